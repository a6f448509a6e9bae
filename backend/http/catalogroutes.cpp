#include "catalogroutes.h"

#include "catalog/catalogcache.h"
#include "catalog/catalogservice.h"
#include "json.h"

#include <QJsonArray>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

using catalog::CatalogCache;

constexpr int DefaultPerPage = 20;
constexpr int MaxPage = 1'000'000;

// --- Shopper reads: cache, ETag, 304 ---------------------------------------------

bool etagMatches(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    if (ifNoneMatch.isEmpty())
        return false;
    // RFC 9110 13.1.2: a list of tags, weak comparison, or "*".
    for (QByteArray tag : ifNoneMatch.split(',')) {
        tag = tag.trimmed();
        if (tag == "*")
            return true;
        if (tag.startsWith("W/"))
            tag = tag.mid(2);
        if (tag == etag)
            return true;
    }
    return false;
}

Response withValidators(const Request &request, const QByteArray &body, const QByteArray &etag)
{
    // no-cache: browsers and proxies may keep it but must revalidate, which costs a
    // 304 when nothing changed and shows a change at once when something did.
    if (etagMatches(request.header("if-none-match"), etag))
        return Response::notModified(etag).withHeader("Cache-Control", "no-cache");
    Response r = Response::text(200, "application/json", body);
    r.withHeader("ETag", etag);
    r.withHeader("Cache-Control", "no-cache");
    return r;
}

// The inline half: a cache hit answered on the I/O thread, else nullopt.
std::optional<Response> cacheHit(const CatalogRoutesContext *context, const Request &request, const QByteArray &key)
{
    if (auto hit = context->cache->find(key))
        return withValidators(request, hit->body, hit->etag);
    return std::nullopt;
}

template<typename Load>
Response cachedRead(const CatalogRoutesContext *context, const Request &request, const QByteArray &key, Load &&load)
{
    CatalogCache &cache = *context->cache;
    if (auto hit = cache.find(key))
        return withValidators(request, hit->body, hit->etag);
    const quint64 generation = cache.generation(); // before the read: see CatalogCache
    Result<QByteArray> data = load();
    if (!data)
        return Response::error(data.error());
    const Response built = Response::okJson(*data);
    const QByteArray etag = CatalogCache::etagFor(built.body);
    cache.insert(key, {built.body, etag, {}}, generation);
    return withValidators(request, built.body, etag);
}

// A positive whole number from the query string, digits only ("1", not "1.0" or "+1").
std::optional<int> positiveParameter(const Request &request, const QString &name, int fallback, int max)
{
    if (!request.query.hasQueryItem(name))
        return fallback;
    const QString text = request.query.queryItemValue(name, QUrl::FullyDecoded);
    if (text.isEmpty() || text.size() > 9)
        return std::nullopt;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
    }
    const int value = text.toInt();
    if (value < 1 || value > max)
        return std::nullopt;
    return value;
}

// Parses the list query; the cache key is built from the parsed values, so "?page=1"
// and "" (and unknown parameters) share one entry while every distinct page has its
// own.
Result<std::pair<catalog::PublicQuery, QByteArray>> listQuery(const Request &request)
{
    const auto page = positiveParameter(request, u"page"_s, 1, MaxPage);
    if (!page)
        return fail(Error::invalid(u"page must be a whole number from 1 to %1"_s.arg(MaxPage)));
    const auto perPage = positiveParameter(request, u"per_page"_s, DefaultPerPage, 100);
    if (!perPage)
        return fail(Error::invalid(u"per_page must be a whole number from 1 to 100"_s));
    const auto sort = catalog::parseSort(request.query.queryItemValue(u"sort"_s, QUrl::FullyDecoded));
    if (!sort)
        return fail(Error::invalid(u"sort must be one of price, price_desc, name, newest"_s));
    catalog::PublicQuery query;
    query.page = *page;
    query.perPage = *perPage;
    query.sort = *sort;
    query.categorySlug = request.query.queryItemValue(u"category"_s, QUrl::FullyDecoded).trimmed();
    if (query.categorySlug.size() > 100)
        return fail(Error::notFound(u"No such category"_s));
    const QByteArray key = "list|" + QByteArray::number(query.page) + '|' + QByteArray::number(query.perPage) + '|'
                           + QByteArray::number(int(query.sort)) + '|' + query.categorySlug.toUtf8();
    return std::pair{query, key};
}

Result<std::pair<QString, QByteArray>> searchQuery(const Request &request)
{
    const QString q = request.query.queryItemValue(u"q"_s, QUrl::FullyDecoded).simplified();
    if (q.isEmpty())
        return fail(Error::invalid(u"Search needs a query: q must not be empty"_s));
    if (q.size() > 200)
        return fail(Error::invalid(u"The search query is too long (200 characters at most)"_s));
    return std::pair{q, QByteArray("search|" + q.toLower().toUtf8())};
}

// The inline half of a parsed read: a bad query is refused at once (it never reaches
// the cache), a cached answer returned, anything else declined for the worker.
template<typename Parse>
FastPath fastPath(const CatalogRoutesContext *context, Parse parse)
{
    return [context, parse](const Request &request) -> std::optional<Response> {
        auto parsed = parse(request);
        if (!parsed)
            return Response::error(parsed.error());
        return cacheHit(context, request, parsed->second);
    };
}

Response listProducts(const CatalogRoutesContext *context, const Request &request)
{
    auto parsed = listQuery(request);
    if (!parsed)
        return Response::error(parsed.error());
    const auto &[query, key] = *parsed;
    return cachedRead(context, request, key, [&] { return context->service->publicProductPage(query); });
}

Response searchProducts(const CatalogRoutesContext *context, const Request &request)
{
    auto parsed = searchQuery(request);
    if (!parsed)
        return Response::error(parsed.error());
    const auto &[q, key] = *parsed;
    return cachedRead(context, request, key, [&] { return context->service->publicSearch(q); });
}

// --- Admin ---------------------------------------------------------------------------

QJsonValue nullable(const std::optional<qint64> &value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

QJsonObject productJson(const catalog::Product &p)
{
    return QJsonObject{
        {u"id"_s, p.id},
        {u"sku"_s, p.sku},
        {u"name"_s, p.name},
        {u"description"_s, p.description},
        // The lab's display number. Cents are the truth; the double nearest to
        // cents/100 prints as exactly that decimal for any realistic amount.
        {u"price"_s, double(p.priceCents) / 100},
        {u"price_cents"_s, p.priceCents},
        {u"currency"_s, p.currency},
        {u"category_id"_s, nullable(p.categoryId)},
        {u"category"_s, p.categoryName.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(p.categoryName)},
        {u"category_slug"_s, p.categorySlug.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(p.categorySlug)},
        {u"stock"_s, p.stock},
        {u"image_url"_s, p.imageUrl},
        {u"active"_s, p.active},
        {u"version"_s, p.version},
        {u"created_at"_s, p.createdAt.toString(Qt::ISODateWithMs)},
        {u"updated_at"_s, p.updatedAt.toString(Qt::ISODateWithMs)},
    };
}

QJsonObject categoryJson(const catalog::Category &c)
{
    return QJsonObject{
        {u"id"_s, c.id},
        {u"slug"_s, c.slug},
        {u"name"_s, c.name},
        {u"description"_s, c.description},
        {u"sort_order"_s, c.sortOrder},
        {u"version"_s, c.version},
        {u"product_count"_s, c.activeProducts},
    };
}

QJsonObject movementJson(const catalog::StockMovement &m)
{
    return QJsonObject{
        {u"id"_s, m.id},
        {u"product_id"_s, m.productId},
        {u"delta"_s, m.delta},
        {u"stock_after"_s, m.stockAfter},
        {u"reason"_s, m.reason},
        {u"note"_s, m.note},
        {u"order_id"_s, nullable(m.orderId)},
        {u"actor"_s, m.actor},
        {u"created_at"_s, m.createdAt.toString(Qt::ISODateWithMs)},
    };
}

// The product fields of a create or update body over `base` (the stored product on
// update, defaults on create).
Result<catalog::ProductInput> readProductInput(const QJsonObject &body, catalog::ProductInput base, bool creating)
{
    JsonReader in(body);
    if (creating) {
        in.require({u"sku"_s, u"name"_s});
        // null counts as absent, as require() has it.
        const auto given = [&body](const QString &key) { return body.contains(key) && !body.value(key).isNull(); };
        if (!given(u"price"_s) && !given(u"price_cents"_s))
            in.require({u"price"_s});
    }
    if (auto v = in.string(u"sku"_s, 40))
        base.sku = *v;
    if (auto v = in.string(u"name"_s, 200))
        base.name = *v;
    if (auto v = in.string(u"description"_s, 5000))
        base.description = *v;
    if (in.has(u"price_cents"_s)) {
        if (auto v = in.integer(u"price_cents"_s, 0, 10'000'000'000'000))
            base.priceCents = *v;
    } else if (auto v = in.cents(u"price"_s)) {
        base.priceCents = *v;
    }
    if (auto v = in.string(u"currency"_s, 3))
        base.currency = *v;
    if (auto v = in.nullableInteger(u"category_id"_s, 1, std::numeric_limits<qint64>::max()))
        base.categoryId = *v;
    if (auto v = in.string(u"image_url"_s, 2000))
        base.imageUrl = *v;
    if (auto v = in.boolean(u"active"_s))
        base.active = *v;
    if (creating) {
        if (auto v = in.integer(u"stock"_s, 0, 1'000'000'000))
            base.initialStock = int(*v);
    } else if (in.has(u"stock"_s)) {
        in.addError(u"stock"_s, u"Stock changes go through POST /api/admin/products/{id}/stock with a reason"_s);
    }
    if (auto ok = in.status(); !ok)
        return std::unexpected(ok.error());
    if (auto ok = catalog::CatalogService::validate(base); !ok)
        return std::unexpected(ok.error());
    return base;
}

Result<catalog::CategoryInput> readCategoryInput(const QJsonObject &body, catalog::CategoryInput base, bool creating)
{
    JsonReader in(body);
    if (creating)
        in.require({u"slug"_s, u"name"_s});
    if (auto v = in.string(u"slug"_s, 60))
        base.slug = *v;
    if (auto v = in.string(u"name"_s, 100))
        base.name = *v;
    if (auto v = in.string(u"description"_s, 2000))
        base.description = *v;
    if (auto v = in.integer(u"sort_order"_s, -1'000'000, 1'000'000))
        base.sortOrder = int(*v);
    if (auto ok = in.status(); !ok)
        return std::unexpected(ok.error());
    if (auto ok = catalog::CatalogService::validate(base); !ok)
        return std::unexpected(ok.error());
    return base;
}

// The version the client last saw: from the body, or ?version= for DELETE.
Result<int> expectedVersion(const Request &request, const QJsonObject *body)
{
    if (body) {
        JsonReader in(*body);
        in.require({u"version"_s});
        const auto v = in.integer(u"version"_s, 1, std::numeric_limits<int>::max());
        if (auto ok = in.status(); !ok)
            return std::unexpected(ok.error());
        return int(*v);
    }
    bool ok = false;
    const int v = request.query.queryItemValue(u"version"_s).toInt(&ok);
    if (!request.query.hasQueryItem(u"version"_s))
        return fail(Error(Error::Kind::MissingFields, u"Pass ?version= with the version you last loaded"_s)
                        .withField(u"version"_s, u"Required"_s));
    if (!ok || v < 1)
        return fail(Error(Error::Kind::Validation, u"Some fields need attention"_s)
                        .withField(u"version"_s, u"Must be a whole number of 1 or more"_s));
    return v;
}

catalog::ProductInput inputOf(const catalog::Product &p)
{
    catalog::ProductInput in;
    in.sku = p.sku;
    in.name = p.name;
    in.description = p.description;
    in.priceCents = p.priceCents;
    in.currency = p.currency;
    in.categoryId = p.categoryId;
    in.imageUrl = p.imageUrl;
    in.active = p.active;
    return in;
}

bool truthy(const QString &value)
{
    return value == "1"_L1 || value == "true"_L1 || value == "yes"_L1;
}

Handler admin(const CatalogRoutesContext *context, std::function<Response(const Request &, const Actor &)> handler)
{
    return withAdmin(context->adminGuard, std::move(handler));
}

void addAdminRoutes(Router &router, const CatalogRoutesContext *context)
{
    catalog::CatalogService *service = context->service;
    constexpr auto Work = Execution::Worker;

    router.get(u"/api/admin/products"_s, admin(context, [service](const Request &request, const Actor &) {
        catalog::ProductFilter filter;
        filter.search = request.query.queryItemValue(u"search"_s, QUrl::FullyDecoded);
        if (request.query.hasQueryItem(u"category_id"_s)) {
            bool ok = false;
            const qint64 id = request.query.queryItemValue(u"category_id"_s).toLongLong(&ok);
            if (!ok)
                return Response::error(Error::invalid(u"category_id must be a number"_s));
            filter.categoryId = id;
        }
        filter.includeInactive = !request.query.hasQueryItem(u"active_only"_s)
                                 || !truthy(request.query.queryItemValue(u"active_only"_s));
        const auto sort = catalog::parseSort(request.query.queryItemValue(u"sort"_s));
        if (!sort)
            return Response::error(Error::invalid(u"sort must be one of price, price_desc, name, newest"_s));
        filter.sort = *sort;
        const auto limit = positiveParameter(request, u"limit"_s, 100, 1000);
        if (!limit)
            return Response::error(Error::invalid(u"limit must be a whole number from 1 to 1000"_s));
        filter.limit = *limit;
        const QString offsetText = request.query.queryItemValue(u"offset"_s);
        bool ok = true;
        filter.offset = offsetText.isEmpty() ? 0 : offsetText.toInt(&ok);
        if (!ok || filter.offset < 0)
            return Response::error(Error::invalid(u"offset must be a whole number of 0 or more"_s));
        auto page = service->products(filter);
        if (!page)
            return Response::error(page.error());
        QJsonArray products;
        for (const auto &p : std::as_const(page->products))
            products.append(productJson(p));
        QJsonObject data{{u"products"_s, products}};
        if (page->total >= 0)
            data.insert(u"total"_s, page->total);
        return Response::ok(data);
    }), Work);

    router.post(u"/api/admin/products"_s, admin(context, [service](const Request &request, const Actor &actor) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        auto input = readProductInput(*body, {}, true);
        if (!input)
            return Response::error(input.error());
        return Response::from(service->createProduct(*input, actor), productJson, 201);
    }), Work);

    router.get(u"/api/admin/products/{id:int}"_s, admin(context, [service](const Request &request, const Actor &) {
        return Response::from(service->product(*request.intParam(u"id")), productJson);
    }), Work);

    const Handler update = admin(context, [service](const Request &request, const Actor &actor) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        auto version = expectedVersion(request, &*body);
        if (!version)
            return Response::error(version.error());
        auto current = service->product(*request.intParam(u"id"));
        if (!current)
            return Response::error(current.error());
        auto input = readProductInput(*body, inputOf(*current), false);
        if (!input)
            return Response::error(input.error());
        return Response::from(service->updateProduct(current->id, *version, *input, actor), productJson);
    });
    router.add("PUT", u"/api/admin/products/{id:int}"_s, update, Work);
    router.add("PATCH", u"/api/admin/products/{id:int}"_s, update, Work);

    // DELETE deactivates (shoppers stop seeing it, orders keep their history);
    // ?hard=true removes a product that no order ever referenced.
    router.add("DELETE", u"/api/admin/products/{id:int}"_s,
               admin(context, [service](const Request &request, const Actor &actor) {
                   auto version = expectedVersion(request, nullptr);
                   if (!version)
                       return Response::error(version.error());
                   const qint64 id = *request.intParam(u"id");
                   if (truthy(request.query.queryItemValue(u"hard"_s))) {
                       if (auto ok = service->deleteProduct(id, *version, actor); !ok)
                           return Response::error(ok.error());
                       return Response::ok(QJsonObject{{u"id"_s, id}, {u"deleted"_s, true}});
                   }
                   return Response::from(service->setActive(id, *version, false, actor), productJson);
               }),
               Work);

    router.post(u"/api/admin/products/{id:int}/stock"_s,
                admin(context, [service](const Request &request, const Actor &actor) {
                    auto body = jsonObject(request);
                    if (!body)
                        return Response::error(body.error());
                    JsonReader in(*body);
                    in.require({u"delta"_s, u"reason"_s});
                    const auto delta = in.integer(u"delta"_s, std::numeric_limits<int>::min(),
                                                  std::numeric_limits<int>::max());
                    const auto reason = in.string(u"reason"_s, 40);
                    const auto note = in.string(u"note"_s, 500);
                    if (auto ok = in.status(); !ok)
                        return Response::error(ok.error());
                    return Response::from(service->adjustStock(*request.intParam(u"id"), int(*delta), *reason,
                                                               note.value_or(QString()), actor),
                                          productJson);
                }),
                Work);

    router.get(u"/api/admin/products/{id:int}/movements"_s,
               admin(context, [service](const Request &request, const Actor &) {
                   const qint64 id = *request.intParam(u"id");
                   if (auto exists = service->product(id); !exists)
                       return Response::error(exists.error());
                   auto movements = service->movements(id);
                   if (!movements)
                       return Response::error(movements.error());
                   QJsonArray out;
                   for (const auto &m : std::as_const(*movements))
                       out.append(movementJson(m));
                   return Response::ok(out);
               }),
               Work);

    router.get(u"/api/admin/categories"_s, admin(context, [service](const Request &, const Actor &) {
        auto categories = service->categories();
        if (!categories)
            return Response::error(categories.error());
        QJsonArray out;
        for (const auto &c : std::as_const(*categories))
            out.append(categoryJson(c));
        return Response::ok(out);
    }), Work);

    router.post(u"/api/admin/categories"_s, admin(context, [service](const Request &request, const Actor &actor) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        auto input = readCategoryInput(*body, {}, true);
        if (!input)
            return Response::error(input.error());
        return Response::from(service->createCategory(*input, actor), categoryJson, 201);
    }), Work);

    const Handler updateCategory = admin(context, [service](const Request &request, const Actor &actor) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        auto version = expectedVersion(request, &*body);
        if (!version)
            return Response::error(version.error());
        const qint64 id = *request.intParam(u"id");
        auto categories = service->categories();
        if (!categories)
            return Response::error(categories.error());
        const auto it = std::find_if(categories->cbegin(), categories->cend(),
                                     [id](const catalog::Category &c) { return c.id == id; });
        if (it == categories->cend())
            return Response::error(Error::notFound(u"No such category"_s));
        auto input = readCategoryInput(*body, {it->slug, it->name, it->description, it->sortOrder}, false);
        if (!input)
            return Response::error(input.error());
        return Response::from(service->updateCategory(id, *version, *input, actor), categoryJson);
    });
    router.add("PUT", u"/api/admin/categories/{id:int}"_s, updateCategory, Work);
    router.add("PATCH", u"/api/admin/categories/{id:int}"_s, updateCategory, Work);

    router.add("DELETE", u"/api/admin/categories/{id:int}"_s,
               admin(context, [service](const Request &request, const Actor &actor) {
                   auto version = expectedVersion(request, nullptr);
                   if (!version)
                       return Response::error(version.error());
                   const qint64 id = *request.intParam(u"id");
                   if (auto ok = service->deleteCategory(id, *version, actor); !ok)
                       return Response::error(ok.error());
                   return Response::ok(QJsonObject{{u"id"_s, id}, {u"deleted"_s, true}});
               }),
               Work);
}

} // namespace

void addCatalogRoutes(Router &router, const CatalogRoutesContext *context)
{
    // Reads are answered inline from the cache; misses (and refusals of bad queries,
    // which never reach the cache) go to the worker pool.
    router.cached(
        u"/api/products"_s,
        fastPath(context, listQuery),
        [context](const Request &request) { return listProducts(context, request); });
    // Registered before {id:int}; the typed parameter would not match "search" anyway.
    router.cached(
        u"/api/products/search"_s,
        fastPath(context, searchQuery),
        [context](const Request &request) { return searchProducts(context, request); });
    router.cached(
        u"/api/products/{id:int}"_s,
        [context](const Request &request) -> std::optional<Response> {
            const auto id = request.intParam(u"id");
            if (!id)
                return Response::error(Error::notFound(u"Product not found"_s));
            return cacheHit(context, request, "product|" + QByteArray::number(*id));
        },
        [context](const Request &request) {
            const qint64 id = *request.intParam(u"id");
            return cachedRead(context, request, "product|" + QByteArray::number(id),
                              [&] { return context->service->publicProduct(id); });
        });
    router.cached(
        u"/api/categories"_s,
        [context](const Request &request) { return cacheHit(context, request, "categories"); },
        [context](const Request &request) {
            return cachedRead(context, request, "categories", [&] { return context->service->publicCategories(); });
        });
    addAdminRoutes(router, context);
}

} // namespace shop::http
