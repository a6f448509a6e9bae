// The catalog and admin routes over a real socket against a real PostgreSQL, wired the
// way Runtime wires them (service, cache, LISTEN/NOTIFY listener, router, server), with
// a test admin guard in place of sign-in: every route, its error cases, the envelope,
// ETag/304, the cache and its invalidation, optimistic locking, the stock ledger and
// the audit log.

#include "catalog/catalogcache.h"
#include "catalog/catalogservice.h"
#include "catalog/demoseed.h"
#include "db/database.h"
#include "db/listener.h"
#include "db/migrator.h"
#include "http/catalogroutes.h"
#include "http/server.h"
#include "http/staticfiles.h"
#include "rawhttp.h"
#include "testcluster.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>
#include <QUrl>

#include <memory>
#include <optional>

using namespace Qt::StringLiterals;
using namespace shop;
using test::RawConnection;
using test::rawRequest;
using test::RawResponse;

namespace {

const QByteArray AdminAuth = "Authorization: Bearer test-admin\r\n";
const QByteArray CustomerAuth = "Authorization: Bearer test-customer\r\n";

QByteArray httpRequest(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
    const QByteArray &headers = {})
{
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: test\r\n" + headers;
    if (method != "GET" && method != "HEAD")
        out += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
            + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

QByteArray enc(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject envelope(const RawResponse &r)
{
    return QJsonDocument::fromJson(r.body).object();
}

QJsonValue dataOf(const RawResponse &r)
{
    return envelope(r).value(u"data"_s);
}

// Exact decimal text (as a JSON number is written: "19.99", "20.00", "2e+03") to
// cents, in integer arithmetic: nullopt if it is not a whole number of cents.
std::optional<qint64> centsFromText(QByteArray text)
{
    int exponent = 0;
    const qsizetype e = qMax(text.indexOf('e'), text.indexOf('E'));
    if (e >= 0) {
        bool ok = false;
        exponent = text.mid(e + 1).toInt(&ok);
        if (!ok)
            return std::nullopt;
        text = text.left(e);
    }
    const qsizetype dot = text.indexOf('.');
    QByteArray digits = text;
    int fraction = 0;
    if (dot >= 0) {
        digits = text.left(dot) + text.mid(dot + 1);
        fraction = int(text.size() - dot - 1);
    }
    if (digits.isEmpty())
        return std::nullopt;
    for (const char c : std::as_const(digits)) {
        if (c < '0' || c > '9')
            return std::nullopt;
    }
    int shift = 2 + exponent - fraction; // cents = digits * 10^shift
    while (shift < 0) {
        if (!digits.endsWith('0'))
            return std::nullopt;
        digits.chop(1);
        ++shift;
    }
    digits += QByteArray(shift, '0');
    if (digits.isEmpty())
        return 0;
    bool ok = false;
    const qint64 cents = digits.toLongLong(&ok);
    return ok ? std::optional<qint64>(cents) : std::nullopt;
}

// Every "price" and "price_cents" member of a JSON text, in order, as written.
QList<QByteArray> membersAsWritten(const QByteArray &json, const QString &name)
{
    const QRegularExpression pattern(u"\"%1\":([-+0-9.eE]+)"_s.arg(name));
    QList<QByteArray> out;
    auto it = pattern.globalMatch(QString::fromUtf8(json));
    while (it.hasNext())
        out.append(it.next().captured(1).toLatin1());
    return out;
}

QList<qint64> idsOf(const QJsonArray &products)
{
    QList<qint64> ids;
    for (const QJsonValue &p : products)
        ids.append(p.toObject().value(u"id"_s).toInteger());
    return ids;
}

} // namespace

// Helpers that QVERIFY must be able to abort the calling test function.
#define VERIFY_ERROR(...)                                                                                    \
    do {                                                                                                     \
        verifyError(__VA_ARGS__);                                                                            \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)
#define VERIFY_OK(...)                                                                                       \
    do {                                                                                                     \
        verifyOk(__VA_ARGS__);                                                                               \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)
#define VERIFY_PUBLIC_PRODUCT(...)                                                                           \
    do {                                                                                                     \
        verifyPublicProduct(__VA_ARGS__);                                                                    \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)
#define VERIFY_PRICES(...)                                                                                   \
    do {                                                                                                     \
        verifyPricesExact(__VA_ARGS__);                                                                      \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)

class TestCatalogRoutes : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<db::Database> m_db; // the server's pool
    std::unique_ptr<db::Database> m_sqlDb; // "psql": another connection, bypassing the service
    std::unique_ptr<catalog::CatalogService> m_service;
    std::unique_ptr<catalog::CatalogCache> m_cache;
    std::unique_ptr<db::NotificationListener> m_listener;
    http::CatalogRoutesContext m_context;
    std::unique_ptr<http::HttpServer> m_server;
    catalog::Actor m_fixtureActor {std::nullopt, u"fixture"_s, u"test"_s};
    qint64 m_hiddenId = 0; // an inactive product, created in initTestCase
    int m_skuCounter = 0;

    quint16 port() const { return m_server->port(); }

    RawResponse call(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
        const QByteArray &headers = {})
    {
        auto r = rawRequest(port(), httpRequest(method, target, body, headers));
        return r ? *r : RawResponse {};
    }
    RawResponse get(const QByteArray &target, const QByteArray &headers = {})
    {
        return call("GET", target, {}, headers);
    }
    RawResponse admin(const QByteArray &method, const QByteArray &target, const QByteArray &body = {})
    {
        return call(method, target, body, AdminAuth);
    }

    QString nextSku() { return u"RT-%1"_s.arg(++m_skuCounter, 5, 10, QChar(u'0')); }

    // --- SQL on the separate connection ------------------------------------------

    qint64 scalar(const QString &sql)
    {
        auto conn = m_sqlDb->acquire();
        if (!conn)
            return -1;
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    QString text(const QString &sql)
    {
        auto conn = m_sqlDb->acquire();
        if (!conn)
            return u"<no connection>"_s;
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return u"<no row>"_s;
        return q.value(0).toString();
    }

    QList<qint64> ids(const QString &sql)
    {
        QList<qint64> out;
        auto conn = m_sqlDb->acquire();
        if (!conn)
            return out;
        auto q = conn->query(sql);
        if (!q.exec())
            return out;
        while (q.next())
            out.append(q.value(0).toLongLong());
        return out;
    }

    void exec(const QString &sql)
    {
        auto conn = m_sqlDb->acquire();
        QVERIFY(conn);
        auto ok = conn->execute(sql);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    qint64 activeCount() { return scalar(u"SELECT count(*) FROM products WHERE active"_s); }
    int versionOf(qint64 id) { return int(scalar(u"SELECT version FROM products WHERE id = %1"_s.arg(id))); }

    // Everything an admin write could change, as one string.
    QString fingerprint()
    {
        return text(u"SELECT (SELECT count(*) FROM audit_log) || '/' ||"
                    " (SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(sum(stock), 0)"
                    "    || ':' || count(*) FILTER (WHERE active) FROM products) || '/' ||"
                    " (SELECT count(*) || ':' || coalesce(sum(version), 0) FROM categories) || '/' ||"
                    " (SELECT count(*) FROM inventory_movements)"_s);
    }

    // --- Response checks ---------------------------------------------------------

    static void verifyNoInternals(const QByteArray &body)
    {
        const QByteArray lower = body.toLower();
        for (const char *leak : {"select ", "insert into", "update products", "update categories",
                 "delete from", "sqlstate", "violates", "duplicate key", "constraint", "syntax error",
                 "relation \"", "libpq", "qpsql", ".cpp", ".sql", "postgres", "23505", "23503", "/work/"})
            QVERIFY2(!lower.contains(leak),
                qPrintable(u"leaks \"%1\": %2"_s.arg(QLatin1StringView(leak), QString::fromUtf8(body))));
    }

    static void verifyError(const RawResponse &r, int status, const QString &code, const QString &field = {})
    {
        QVERIFY2(r.status == status,
            qPrintable(
                u"status %1, expected %2: %3"_s.arg(r.status).arg(status).arg(QString::fromUtf8(r.body))));
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(r.body, &parseError);
        QVERIFY2(parseError.error == QJsonParseError::NoError && document.isObject(), r.body.constData());
        const QJsonObject body = document.object();
        QCOMPARE(body.value(u"success"_s), QJsonValue(false));
        QVERIFY2(!body.contains(u"data"_s), r.body.constData());
        const QJsonObject error = body.value(u"error"_s).toObject();
        QCOMPARE(error.value(u"code"_s).toString(), code);
        QVERIFY2(!error.value(u"message"_s).toString().isEmpty(), r.body.constData());
        if (!field.isEmpty()) {
            QVERIFY2(error.value(u"fields"_s).toObject().contains(field),
                qPrintable(u"no fields.%1 in %2"_s.arg(field, QString::fromUtf8(r.body))));
            QVERIFY(!error.value(u"fields"_s).toObject().value(field).toString().isEmpty());
        }
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        verifyNoInternals(r.body);
    }

    static void verifyOk(const RawResponse &r, int status = 200)
    {
        QVERIFY2(r.status == status,
            qPrintable(
                u"status %1, expected %2: %3"_s.arg(r.status).arg(status).arg(QString::fromUtf8(r.body))));
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        const QJsonObject body = envelope(r);
        QCOMPARE(body.value(u"success"_s), QJsonValue(true));
        QVERIFY2(body.contains(u"data"_s), r.body.constData());
        QVERIFY(!body.contains(u"error"_s));
    }

    // The seed-compatible product {id,name,description,price,category,stock,image_url}
    // plus the fields added beside them.
    static void verifyPublicProduct(const QJsonObject &p)
    {
        const QByteArray dump = compact(p);
        for (const QString &key :
            {u"id"_s, u"name"_s, u"description"_s, u"price"_s, u"category"_s, u"stock"_s, u"image_url"_s,
                u"sku"_s, u"price_cents"_s, u"currency"_s, u"active"_s, u"category_slug"_s})
            QVERIFY2(p.contains(key), qPrintable(u"no %1 in %2"_s.arg(key, QString::fromUtf8(dump))));
        QVERIFY(p.value(u"id"_s).isDouble() && p.value(u"id"_s).toInteger() > 0);
        QVERIFY(p.value(u"name"_s).isString() && !p.value(u"name"_s).toString().isEmpty());
        QVERIFY(p.value(u"description"_s).isString());
        QVERIFY(p.value(u"price"_s).isDouble());
        QVERIFY(p.value(u"category"_s).isString() || p.value(u"category"_s).isNull());
        QVERIFY(p.value(u"stock"_s).isDouble() && p.value(u"stock"_s).toInteger() >= 0);
        QVERIFY(p.value(u"image_url"_s).isString());
        QVERIFY(p.value(u"sku"_s).isString() && !p.value(u"sku"_s).toString().isEmpty());
        QVERIFY(p.value(u"price_cents"_s).isDouble());
        QCOMPARE(p.value(u"currency"_s).toString().size(), 3);
        QCOMPARE(p.value(u"active"_s), QJsonValue(true)); // shoppers only ever see active products
    }

    // price is exactly price_cents / 100, read from the JSON text (no floats).
    static void verifyPricesExact(const QByteArray &json, qsizetype expectedCount)
    {
        const QList<QByteArray> prices = membersAsWritten(json, u"price"_s);
        const QList<QByteArray> cents = membersAsWritten(json, u"price_cents"_s);
        QCOMPARE(prices.size(), expectedCount);
        QCOMPARE(cents.size(), expectedCount);
        for (qsizetype i = 0; i < prices.size(); ++i) {
            const auto fromPrice = centsFromText(prices.at(i));
            QVERIFY2(fromPrice,
                qPrintable(
                    u"price %1 is not a whole number of cents"_s.arg(QString::fromLatin1(prices.at(i)))));
            QCOMPARE(*fromPrice, cents.at(i).toLongLong());
        }
    }

    QString publicName(qint64 id)
    {
        const RawResponse r = get("/api/products/" + QByteArray::number(id));
        if (r.status != 200)
            return u"<status %1>"_s.arg(r.status);
        return dataOf(r).toObject().value(u"name"_s).toString();
    }

    QJsonArray publicCategories() { return dataOf(get("/api/categories")).toArray(); }

    QJsonObject publicCategory(const QString &slug)
    {
        for (const QJsonValue &c : publicCategories()) {
            if (c.toObject().value(u"slug"_s).toString() == slug)
                return c.toObject();
        }
        return {};
    }

    qint64 categoryId(const QString &slug)
    {
        return scalar(u"SELECT id FROM categories WHERE slug = '%1'"_s.arg(slug));
    }

    // Creates a product through the admin API; 0 if that failed.
    qint64 createProduct(const QString &name, int stock = 10, std::optional<qint64> category = {},
        const QJsonValue &price = u"10.00"_s)
    {
        QJsonObject body {{u"sku"_s, nextSku()}, {u"name"_s, name}, {u"price"_s, price}, {u"stock"_s, stock}};
        if (category)
            body.insert(u"category_id"_s, *category);
        const RawResponse r = admin("POST", "/api/admin/products", compact(body));
        if (r.status != 201) {
            qWarning("create failed: %d %s", r.status, r.body.constData());
            return 0;
        }
        return dataOf(r).toObject().value(u"id"_s).toInteger();
    }

    QJsonObject adminProduct(qint64 id)
    {
        return dataOf(admin("GET", "/api/admin/products/" + QByteArray::number(id))).toObject();
    }

    QJsonArray movements(qint64 id)
    {
        return dataOf(admin("GET", "/api/admin/products/" + QByteArray::number(id) + "/movements")).toArray();
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        const db::ConnectionOptions connection = m_cluster.createDatabase(u"catalogroutes"_s);
        db::Database::Options options;
        options.connection = connection;
        m_db = std::make_unique<db::Database>(options);
        auto applied = db::Migrator(*m_db).migrate();
        QVERIFY2(applied, applied ? "" : qPrintable(applied.error().message()));
        db::Database::Options sqlOptions;
        sqlOptions.connection = connection;
        sqlOptions.poolSize = 2;
        m_sqlDb = std::make_unique<db::Database>(sqlOptions);

        // As Runtime::openDatabase: the service's own writes drop the cache at once.
        m_service = std::make_unique<catalog::CatalogService>(*m_db);
        m_cache = std::make_unique<catalog::CatalogCache>();
        catalog::CatalogCache *cache = m_cache.get();
        m_service->setChangeHook([cache] { cache->invalidateAll(); });

        // As Runtime::startCatalogListener: other writers reach the cache through NOTIFY.
        db::ConnectionOptions listenOptions = connection;
        listenOptions.parameters.insert(u"application_name"_s, u"shopdesk-listen"_s);
        m_listener
            = std::make_unique<db::NotificationListener>(listenOptions, QStringList {u"shopdesk_catalog"_s});
        connect(
            m_listener.get(), &db::NotificationListener::listeningChanged, this,
            [cache](bool listening) { cache->setListening(listening); }, Qt::DirectConnection);
        connect(
            m_listener.get(), &db::NotificationListener::notification, this,
            [cache](const QString &, const QString &) { cache->invalidateAll(); }, Qt::DirectConnection);
        QVERIFY(m_listener->start());
        QTRY_VERIFY(m_cache->serving());

        auto seeded = catalog::seedDemo(*m_db, 60);
        QVERIFY2(seeded, seeded ? "" : qPrintable(seeded.error().message()));
        QCOMPARE(seeded->productsTotal, qint64(60));

        catalog::ProductInput hidden;
        hidden.sku = u"HIDDEN-0001"_s;
        hidden.name = u"Hidden Lantern Zeta"_s;
        hidden.description = u"Never shown to shoppers"_s;
        hidden.priceCents = 4200;
        hidden.categoryId = categoryId(u"books"_s);
        hidden.active = false;
        hidden.initialStock = 3;
        auto created = m_service->createProduct(hidden, m_fixtureActor);
        QVERIFY2(created, created ? "" : qPrintable(created.error().message()));
        m_hiddenId = created->id;

        m_context.service = m_service.get();
        m_context.cache = m_cache.get();
        m_context.adminGuard = [](const http::Request &request) -> Result<Actor> {
            const QByteArray authorization = request.header("authorization");
            if (authorization == "Bearer test-admin")
                return Actor {std::nullopt, u"test-admin"_s, {}};
            if (authorization == "Bearer test-customer")
                return fail(Error(Error::Kind::Forbidden, u"Administrators only"_s));
            return fail(Error(Error::Kind::Unauthorized, u"Sign in as an administrator"_s));
        };
        http::Router router;
        http::addCatalogRoutes(router, &m_context);
        auto statics = std::make_shared<http::StaticFiles>(u":/storefront"_s);
        http::Handler fallback = [statics](const http::Request &request) { return statics->serve(request); };

        http::HttpServer::Options serverOptions;
        serverOptions.port = 0;
        serverOptions.ioThreads = 2;
        serverOptions.workerThreads = 2;
        serverOptions.accessLog = false;
        m_server = std::make_unique<http::HttpServer>(serverOptions, std::move(router), std::move(fallback));
        db::Database *database = m_db.get();
        m_server->setThreadExitHook([database] { database->releaseThreadConnection(); });
        auto started = m_server->start();
        QVERIFY2(started, started ? "" : qPrintable(started.error().message()));
        QVERIFY(port() != 0);
    }

    void cleanupTestCase()
    {
        if (m_server)
            m_server->stop(2000);
        m_server.reset();
        m_listener.reset();
        m_service.reset();
        m_cache.reset();
        m_sqlDb.reset();
        m_db.reset();
    }

    // --- GET /api/products -------------------------------------------------------

    void listDefaultPage()
    {
        const RawResponse r = get("/api/products");
        VERIFY_OK(r);
        const QJsonObject data = dataOf(r).toObject();
        const QJsonObject pagination = data.value(u"pagination"_s).toObject();
        QCOMPARE(pagination.value(u"page"_s).toInteger(), 1);
        QCOMPARE(pagination.value(u"per_page"_s).toInteger(), 20);
        QCOMPARE(pagination.value(u"total"_s).toInteger(), activeCount());
        const QJsonArray products = data.value(u"products"_s).toArray();
        QCOMPARE(products.size(), 20);
        QCOMPARE(idsOf(products), ids(u"SELECT id FROM products WHERE active ORDER BY id LIMIT 20"_s));
        for (const QJsonValue &p : products)
            VERIFY_PUBLIC_PRODUCT(p.toObject());
        VERIFY_PRICES(r.body, 20);
        QVERIFY(!r.header("etag").isEmpty());
        QCOMPARE(r.header("cache-control"), QByteArray("no-cache"));
    }

    void listSameAsExplicitDefaults()
    {
        const RawResponse implicit = get("/api/products");
        const RawResponse explicitDefaults = get("/api/products?page=1&per_page=20&sort=&unknown=1");
        VERIFY_OK(implicit);
        VERIFY_OK(explicitDefaults);
        QCOMPARE(explicitDefaults.body, implicit.body);
        QCOMPARE(explicitDefaults.header("etag"), implicit.header("etag"));
    }

    void listPagesCoverEveryActiveProductOnce()
    {
        QList<qint64> seen;
        for (int page = 1; page < 100; ++page) {
            const RawResponse r = get("/api/products?per_page=7&page=" + QByteArray::number(page));
            VERIFY_OK(r);
            const QJsonObject data = dataOf(r).toObject();
            QCOMPARE(data.value(u"pagination"_s).toObject().value(u"page"_s).toInteger(), page);
            QCOMPARE(data.value(u"pagination"_s).toObject().value(u"per_page"_s).toInteger(), 7);
            QCOMPARE(data.value(u"pagination"_s).toObject().value(u"total"_s).toInteger(), activeCount());
            const QJsonArray products = data.value(u"products"_s).toArray();
            if (products.isEmpty())
                break;
            QVERIFY(products.size() <= 7);
            seen += idsOf(products);
        }
        QCOMPARE(seen, ids(u"SELECT id FROM products WHERE active ORDER BY id"_s));
        QVERIFY(!seen.contains(m_hiddenId));
    }

    void listPageBeyondTheEnd()
    {
        const RawResponse r = get("/api/products?page=1000&per_page=50");
        VERIFY_OK(r);
        const QJsonObject data = dataOf(r).toObject();
        QCOMPARE(data.value(u"products"_s), QJsonValue(QJsonArray()));
        const QJsonObject pagination = data.value(u"pagination"_s).toObject();
        QCOMPARE(pagination.value(u"page"_s).toInteger(), 1000);
        QCOMPARE(pagination.value(u"per_page"_s).toInteger(), 50);
        QCOMPARE(pagination.value(u"total"_s).toInteger(), activeCount());
    }

    void listPerPageBounds_data()
    {
        QTest::addColumn<QByteArray>("query");
        QTest::addColumn<int>("expected"); // products on the page
        QTest::addRow("per_page=1") << QByteArray("per_page=1") << 1;
        QTest::addRow("per_page=100") << QByteArray("per_page=100") << 60;
        QTest::addRow("per_page=007") << QByteArray("per_page=007") << 7;
    }

    void listPerPageBounds()
    {
        QFETCH(QByteArray, query);
        QFETCH(int, expected);
        const RawResponse r = get("/api/products?" + query);
        VERIFY_OK(r);
        const QJsonArray products = dataOf(r).toObject().value(u"products"_s).toArray();
        QCOMPARE(products.size(), qMin<qsizetype>(expected, activeCount()));
    }

    void listByCategory_data()
    {
        QTest::addColumn<QString>("slug");
        for (const QString &slug : {u"books"_s, u"electronics"_s, u"garden"_s})
            QTest::addRow("%s", qPrintable(slug)) << slug;
    }

    void listByCategory()
    {
        QFETCH(QString, slug);
        const QJsonObject category = publicCategory(slug);
        QVERIFY(!category.isEmpty());
        const qint64 count = category.value(u"product_count"_s).toInteger();
        QVERIFY(count > 0);

        const RawResponse r = get("/api/products?per_page=100&category=" + enc(slug));
        VERIFY_OK(r);
        const QJsonObject data = dataOf(r).toObject();
        QCOMPARE(data.value(u"pagination"_s).toObject().value(u"total"_s).toInteger(), count);
        const QJsonArray products = data.value(u"products"_s).toArray();
        QCOMPARE(products.size(), count);
        for (const QJsonValue &p : products) {
            VERIFY_PUBLIC_PRODUCT(p.toObject());
            QCOMPARE(p.toObject().value(u"category_slug"_s).toString(), slug);
            QCOMPARE(p.toObject().value(u"category"_s).toString(), category.value(u"name"_s).toString());
        }
        QCOMPARE(idsOf(products),
            ids(u"SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id"
                " WHERE p.active AND c.slug = '%1' ORDER BY p.id"_s.arg(slug)));
        QVERIFY(!idsOf(products).contains(m_hiddenId)); // the hidden one is in books, inactive
    }

    void listSorted_data()
    {
        QTest::addColumn<QByteArray>("sort");
        QTest::addColumn<QString>("orderBy");
        QTest::addRow("default") << QByteArray() << u"id"_s;
        QTest::addRow("price") << QByteArray("price") << u"price_cents, id"_s;
        QTest::addRow("price_asc") << QByteArray("price_asc") << u"price_cents, id"_s;
        QTest::addRow("price_desc") << QByteArray("price_desc") << u"price_cents DESC, id DESC"_s;
        QTest::addRow("name") << QByteArray("name") << u"name, id"_s;
        QTest::addRow("newest") << QByteArray("newest") << u"created_at DESC, id DESC"_s;
    }

    void listSorted()
    {
        QFETCH(QByteArray, sort);
        QFETCH(QString, orderBy);
        const RawResponse r = get("/api/products?per_page=100&sort=" + sort);
        VERIFY_OK(r);
        const QJsonArray products = dataOf(r).toObject().value(u"products"_s).toArray();
        QCOMPARE(products.size(), qMin<qsizetype>(100, activeCount()));
        QCOMPARE(idsOf(products),
            ids(u"SELECT id FROM products WHERE active ORDER BY %1 LIMIT 100"_s.arg(orderBy)));
        for (qsizetype i = 1; i < products.size(); ++i) {
            const qint64 before = products.at(i - 1).toObject().value(u"price_cents"_s).toInteger();
            const qint64 here = products.at(i).toObject().value(u"price_cents"_s).toInteger();
            if (sort == "price" || sort == "price_asc")
                QVERIFY2(before <= here, qPrintable(u"%1 before %2"_s.arg(before).arg(here)));
            else if (sort == "price_desc")
                QVERIFY2(before >= here, qPrintable(u"%1 before %2"_s.arg(before).arg(here)));
        }
        if (sort == "name") {
            const QString first = products.first().toObject().value(u"name"_s).toString();
            QCOMPARE(first, text(u"SELECT name FROM products WHERE active ORDER BY name, id LIMIT 1"_s));
        }
    }

    void listSortedWithinCategory()
    {
        const RawResponse r = get("/api/products?category=electronics&sort=price_desc&per_page=100");
        VERIFY_OK(r);
        const QJsonArray products = dataOf(r).toObject().value(u"products"_s).toArray();
        QVERIFY(!products.isEmpty());
        QCOMPARE(idsOf(products),
            ids(u"SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id"
                " WHERE p.active AND c.slug = 'electronics'"
                " ORDER BY p.price_cents DESC, p.id DESC"_s));
    }

    void listPricesAreExactCents()
    {
        const RawResponse r = get("/api/products?per_page=100");
        VERIFY_OK(r);
        const qsizetype count = dataOf(r).toObject().value(u"products"_s).toArray().size();
        QVERIFY(count >= 60);
        VERIFY_PRICES(r.body, count);
    }

    // Every public error of the shopper routes: status, code, envelope, nothing internal.
    void publicErrors_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        const auto row = [](const char *name, const QByteArray &target, int status, const QString &code) {
            QTest::addRow("%s", name) << QByteArray("GET") << target << status << code;
        };
        const QString invalid = u"INVALID_REQUEST"_s;
        const QString notFound = u"NOT_FOUND"_s;
        row("per_page=0", "/api/products?per_page=0", 400, invalid);
        row("per_page=101", "/api/products?per_page=101", 400, invalid);
        row("per_page=abc", "/api/products?per_page=abc", 400, invalid);
        row("per_page=1.5", "/api/products?per_page=1.5", 400, invalid);
        row("per_page=-1", "/api/products?per_page=-1", 400, invalid);
        row("per_page=+5", "/api/products?per_page=%2B5", 400, invalid);
        row("per_page empty", "/api/products?per_page=", 400, invalid);
        row("per_page huge", "/api/products?per_page=99999999999999999999", 400, invalid);
        row("page=0", "/api/products?page=0", 400, invalid);
        row("page=-1", "/api/products?page=-1", 400, invalid);
        row("page=abc", "/api/products?page=abc", 400, invalid);
        row("page=2.0", "/api/products?page=2.0", 400, invalid);
        row("page too large", "/api/products?page=1000001", 400, invalid);
        row("bad sort", "/api/products?sort=cheapest", 400, invalid);
        row("sort by sql", "/api/products?sort=" + enc(u"price_cents; drop table products"_s), 400, invalid);
        row("unknown category", "/api/products?category=no-such-category", 404, notFound);
        row("category with quote", "/api/products?category=" + enc(u"x' OR '1'='1"_s), 404, notFound);
        row("category too long", "/api/products?category=" + QByteArray(101, 'a'), 404, notFound);
        row("missing product", "/api/products/999999", 404, notFound);
        row("product 0", "/api/products/0", 404, notFound);
        row("huge id", "/api/products/99999999999999999999999", 404, notFound);
        row("18-digit id", "/api/products/999999999999999999", 404, notFound);
        row("arabic-indic digits", "/api/products/%D9%A1%D9%A2", 404, notFound);
        row("id not a number", "/api/products/abc", 404, notFound);
        row("negative id", "/api/products/-1", 404, notFound);
        row("id with suffix", "/api/products/1abc", 404, notFound);
        row("search without q", "/api/products/search", 400, invalid);
        row("search empty q", "/api/products/search?q=", 400, invalid);
        row("search blank q", "/api/products/search?q=%20%20%09", 400, invalid);
        row("search q too long", "/api/products/search?q=" + QByteArray(201, 'a'), 400, invalid);
        QTest::addRow("POST /api/products")
            << QByteArray("POST") << QByteArray("/api/products") << 405 << u"METHOD_NOT_ALLOWED"_s;
        QTest::addRow("DELETE /api/categories")
            << QByteArray("DELETE") << QByteArray("/api/categories") << 405 << u"METHOD_NOT_ALLOWED"_s;
    }

    void publicErrors()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(int, status);
        QFETCH(QString, code);
        VERIFY_ERROR(call(method, target), status, code);
    }

    void inactiveProductsNeverAppear()
    {
        QVERIFY(m_hiddenId > 0);
        QCOMPARE(scalar(u"SELECT count(*) FROM products WHERE id = %1 AND NOT active"_s.arg(m_hiddenId)), 1);
        VERIFY_ERROR(get("/api/products/" + QByteArray::number(m_hiddenId)), 404, u"NOT_FOUND"_s);

        for (const QByteArray &query : {QByteArray("per_page=100"), QByteArray("per_page=100&category=books"),
                 QByteArray("per_page=100&sort=newest"), QByteArray("per_page=100&sort=name")}) {
            const RawResponse r = get("/api/products?" + query);
            VERIFY_OK(r);
            QVERIFY2(!idsOf(dataOf(r).toObject().value(u"products"_s).toArray()).contains(m_hiddenId),
                query.constData());
        }
        for (const QString &q : {u"Hidden Lantern Zeta"_s, u"lantern"_s, u"HIDDEN-0001"_s, u"zeta"_s}) {
            const RawResponse r = get("/api/products/search?q=" + enc(q));
            VERIFY_OK(r);
            QVERIFY2(!idsOf(dataOf(r).toArray()).contains(m_hiddenId), qPrintable(q));
        }
        // Not counted either: the books count is its active products only.
        QCOMPARE(publicCategory(u"books"_s).value(u"product_count"_s).toInteger(),
            scalar(u"SELECT count(*) FROM products WHERE active AND category_id = %1"_s.arg(
                categoryId(u"books"_s))));
    }

    // --- GET /api/products/{id} ----------------------------------------------------

    void productDetail()
    {
        const qint64 id = scalar(u"SELECT min(id) FROM products WHERE active AND category_id IS NOT NULL"_s);
        const RawResponse r = get("/api/products/" + QByteArray::number(id));
        VERIFY_OK(r);
        const QJsonObject p = dataOf(r).toObject();
        VERIFY_PUBLIC_PRODUCT(p);
        VERIFY_PRICES(r.body, 1);
        QCOMPARE(p.value(u"id"_s).toInteger(), id);
        QCOMPARE(p.value(u"name"_s).toString(), text(u"SELECT name FROM products WHERE id = %1"_s.arg(id)));
        QCOMPARE(p.value(u"sku"_s).toString(), text(u"SELECT sku FROM products WHERE id = %1"_s.arg(id)));
        QCOMPARE(p.value(u"price_cents"_s).toInteger(),
            scalar(u"SELECT price_cents FROM products WHERE id = %1"_s.arg(id)));
        QCOMPARE(
            p.value(u"stock"_s).toInteger(), scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(id)));
        QCOMPARE(p.value(u"category"_s).toString(),
            text(u"SELECT c.name FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = %1"_s
                     .arg(id)));
        QCOMPARE(p.value(u"currency"_s).toString(), u"USD"_s);
        QVERIFY(!r.header("etag").isEmpty());
    }

    // --- GET /api/products/search --------------------------------------------------

    void searchExactNameRanksFirst_data()
    {
        QTest::addColumn<qint64>("id");
        QTest::addColumn<QString>("name");
        // Names no other product shares (the seed may repeat a brand-item-variant).
        auto conn = m_sqlDb->acquire();
        QVERIFY(conn);
        auto q
            = conn->query(u"SELECT min(id), name FROM products WHERE active GROUP BY name HAVING count(*) = 1"
                          " ORDER BY min(id) LIMIT 4"_s);
        QVERIFY(q.exec());
        while (q.next())
            QTest::addRow("%s", qPrintable(q.value(1).toString()))
                << q.value(0).toLongLong() << q.value(1).toString();
    }

    void searchExactNameRanksFirst()
    {
        QFETCH(qint64, id);
        QFETCH(QString, name);
        const RawResponse r = get("/api/products/search?q=" + enc(name));
        VERIFY_OK(r);
        const QJsonArray results = dataOf(r).toArray();
        QVERIFY(!results.isEmpty());
        QCOMPARE(results.first().toObject().value(u"id"_s).toInteger(), id);
        for (const QJsonValue &p : results)
            VERIFY_PUBLIC_PRODUCT(p.toObject());
        VERIFY_PRICES(r.body, results.size());
    }

    void searchShortPrefixFindsProducts_data()
    {
        QTest::addColumn<QString>("brand");
        QTest::addRow("electronics brand")
            << text(u"SELECT split_part(name, ' ', 1) FROM products"
                    " WHERE active AND sku LIKE 'ELEC-%' ORDER BY id LIMIT 1"_s);
        QTest::addRow("books brand") << text(u"SELECT split_part(name, ' ', 1) FROM products"
                                             " WHERE active AND sku LIKE 'BOOK-%' ORDER BY id LIMIT 1"_s);
    }

    void searchShortPrefixFindsProducts()
    {
        QFETCH(QString, brand);
        QVERIFY(brand.size() >= 3);
        const QString term = brand.left(2);
        const RawResponse r = get("/api/products/search?q=" + enc(term));
        VERIFY_OK(r);
        const QList<qint64> found = idsOf(dataOf(r).toArray());
        const QList<qint64> withBrand
            = ids(u"SELECT id FROM products WHERE active AND name LIKE '%1 %' ORDER BY id"_s.arg(brand));
        QVERIFY(!withBrand.isEmpty());
        if (found.size() < 50) {
            for (const qint64 id : withBrand)
                QVERIFY2(found.contains(id), qPrintable(u"\"%1\" did not find %2"_s.arg(term).arg(id)));
        } else {
            QVERIFY(found.contains(withBrand.first()));
        }
    }

    void searchByCategoryName()
    {
        const RawResponse r = get("/api/products/search?q=electronics");
        VERIFY_OK(r);
        const QJsonArray results = dataOf(r).toArray();
        const QList<qint64> electronics
            = ids(u"SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id"
                  " WHERE p.active AND c.slug = 'electronics' ORDER BY p.id"_s);
        QVERIFY(!electronics.isEmpty());
        QCOMPARE(results.size(), electronics.size());
        for (const QJsonValue &p : results)
            QCOMPARE(p.toObject().value(u"category_slug"_s).toString(), u"electronics"_s);
        QList<qint64> found = idsOf(results);
        std::sort(found.begin(), found.end());
        QCOMPARE(found, electronics);
    }

    void searchReturnsAtMostFifty()
    {
        // Every seeded description says "Part of our ... range".
        QVERIFY(scalar(u"SELECT count(*) FROM products WHERE active AND description LIKE '%range%'"_s) > 50);
        const RawResponse r = get("/api/products/search?q=range");
        VERIFY_OK(r);
        QCOMPARE(dataOf(r).toArray().size(), 50);
        VERIFY_PRICES(r.body, 50);
    }

    void searchNonsenseIsEmpty()
    {
        const RawResponse r = get("/api/products/search?q=zzqxvbnmplk");
        VERIFY_OK(r);
        QCOMPARE(dataOf(r), QJsonValue(QJsonArray()));
    }

    void searchMetacharactersAreHarmless_data()
    {
        QTest::addColumn<QString>("q");
        QTest::addColumn<bool>("mustBeEmpty"); // LIKE wildcards must not match everything
        QTest::addRow("percent") << u"%"_s << true;
        QTest::addRow("underscore") << u"_"_s << true;
        QTest::addRow("percent underscore") << u"%_%"_s << true;
        QTest::addRow("backslash") << u"\\"_s << true;
        QTest::addRow("sql injection") << u"'; drop table products; --"_s << false;
        QTest::addRow("quote") << u"o'brien"_s << false;
        QTest::addRow("tsquery syntax") << u"a & | ! :* ( )"_s << false;
        QTest::addRow("websearch syntax") << u"\"unterminated or -"_s << false;
        QTest::addRow("unicode") << u"Żółć 🦊"_s << false;
    }

    void searchMetacharactersAreHarmless()
    {
        QFETCH(QString, q);
        QFETCH(bool, mustBeEmpty);
        const qint64 before = scalar(u"SELECT count(*) FROM products"_s);
        const RawResponse r = get("/api/products/search?q=" + enc(q));
        VERIFY_OK(r);
        QVERIFY(dataOf(r).isArray());
        if (mustBeEmpty)
            QCOMPARE(dataOf(r), QJsonValue(QJsonArray()));
        QCOMPARE(text(u"SELECT to_regclass('public.products')::text"_s), u"products"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM products"_s), before);
    }

    // --- GET /api/categories -------------------------------------------------------

    void categoriesWithProductCounts()
    {
        const RawResponse r = get("/api/categories");
        VERIFY_OK(r);
        const QJsonArray categories = dataOf(r).toArray();
        QCOMPARE(categories.size(), scalar(u"SELECT count(*) FROM categories"_s));
        QVERIFY(categories.size() >= 8);
        QCOMPARE(categories.first().toObject().value(u"slug"_s).toString(), u"electronics"_s);
        for (const QJsonValue &v : categories) {
            const QJsonObject c = v.toObject();
            for (const QString &key : {u"id"_s, u"slug"_s, u"name"_s, u"description"_s, u"product_count"_s})
                QVERIFY2(c.contains(key), qPrintable(key));
            const qint64 id = c.value(u"id"_s).toInteger();
            QCOMPARE(
                c.value(u"slug"_s).toString(), text(u"SELECT slug FROM categories WHERE id = %1"_s.arg(id)));
            QCOMPARE(c.value(u"product_count"_s).toInteger(),
                scalar(u"SELECT count(*) FROM products WHERE active AND category_id = %1"_s.arg(id)));
        }
    }

    // --- ETag, 304, HEAD -------------------------------------------------------------

    void notModified_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("form");
        QTest::addColumn<int>("status");
        const QList<QByteArray> targets = {"/api/products", "/api/products?page=2&per_page=5&sort=price",
            "/api/products/3", "/api/products/search?q=range", "/api/categories"};
        for (const QByteArray &target : targets) {
            for (const char *form : {"exact", "weak", "list", "weak in list", "star", "other tag"}) {
                QTest::addRow("%s, %s", target.constData(), form)
                    << target << QByteArray(form) << (qstrcmp(form, "other tag") == 0 ? 200 : 304);
            }
        }
    }

    void notModified()
    {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, form);
        QFETCH(int, status);
        RawConnection connection(port());
        QVERIFY(connection.isConnected());
        QVERIFY(connection.send(httpRequest("GET", target)));
        const auto first = connection.readResponse();
        QVERIFY(first);
        VERIFY_OK(*first);
        const QByteArray etag = first->header("etag");
        QVERIFY2(etag.startsWith('"') && etag.endsWith('"') && etag.size() > 2, etag.constData());

        QByteArray ifNoneMatch;
        if (form == "exact")
            ifNoneMatch = etag;
        else if (form == "weak")
            ifNoneMatch = "W/" + etag;
        else if (form == "list")
            ifNoneMatch = "\"0000\", " + etag;
        else if (form == "weak in list")
            ifNoneMatch = "\"aaaa\",W/" + etag + " , \"bbbb\"";
        else if (form == "star")
            ifNoneMatch = "*";
        else
            ifNoneMatch = "\"deadbeef\"";
        QVERIFY(connection.send(httpRequest("GET", target, {}, "If-None-Match: " + ifNoneMatch + "\r\n")));
        const auto second = connection.readResponse();
        QVERIFY(second);
        QCOMPARE(second->status, status);
        QCOMPARE(second->header("etag"), etag);
        if (status == 304) {
            QVERIFY2(second->header("content-length").isEmpty(), second->head.constData());
            QVERIFY(second->body.isEmpty());
            QCOMPARE(second->header("cache-control"), QByteArray("no-cache"));
        } else {
            QCOMPARE(second->body, first->body);
        }
        // The next response on the same connection parses cleanly: the 304 sent no body.
        QVERIFY(connection.send(httpRequest("GET", target)));
        const auto third = connection.readResponse();
        QVERIFY(third);
        QCOMPARE(third->status, 200);
        QCOMPARE(third->body, first->body);
    }

    void etagChangesAfterAdminWrite()
    {
        const qint64 id = scalar(u"SELECT min(id) FROM products WHERE active"_s);
        const QByteArray path = "/api/products/" + QByteArray::number(id);
        const RawResponse detail = get(path);
        const RawResponse list = get("/api/products");
        const RawResponse categories = get("/api/categories");
        VERIFY_OK(detail);
        VERIFY_OK(list);
        VERIFY_OK(categories);
        // Cached now: the same tag answers 304.
        QCOMPARE(get(path, "If-None-Match: " + detail.header("etag") + "\r\n").status, 304);

        const RawResponse patch = admin("PATCH", "/api/admin/products/" + QByteArray::number(id),
            compact({{u"version"_s, versionOf(id)}, {u"name"_s, u"Renamed via admin"_s}}));
        VERIFY_OK(patch);

        // At once, no waiting: the write dropped this process's cache.
        const RawResponse detail2 = get(path, "If-None-Match: " + detail.header("etag") + "\r\n");
        VERIFY_OK(detail2);
        QVERIFY(detail2.header("etag") != detail.header("etag"));
        QCOMPARE(dataOf(detail2).toObject().value(u"name"_s).toString(), u"Renamed via admin"_s);
        const RawResponse list2 = get("/api/products", "If-None-Match: " + list.header("etag") + "\r\n");
        VERIFY_OK(list2);
        QVERIFY(list2.header("etag") != list.header("etag"));
        QCOMPARE(dataOf(list2)
                     .toObject()
                     .value(u"products"_s)
                     .toArray()
                     .first()
                     .toObject()
                     .value(u"name"_s)
                     .toString(),
            u"Renamed via admin"_s);

        // A category write changes /api/categories the same way.
        const qint64 garden = categoryId(u"garden"_s);
        const int gardenVersion = int(scalar(u"SELECT version FROM categories WHERE id = %1"_s.arg(garden)));
        VERIFY_OK(admin("PATCH", "/api/admin/categories/" + QByteArray::number(garden),
            compact({{u"version"_s, gardenVersion}, {u"description"_s, u"Tools and seeds"_s}})));
        const RawResponse categories2
            = get("/api/categories", "If-None-Match: " + categories.header("etag") + "\r\n");
        VERIFY_OK(categories2);
        QVERIFY(categories2.header("etag") != categories.header("etag"));
        QCOMPARE(publicCategory(u"garden"_s).value(u"description"_s).toString(), u"Tools and seeds"_s);
    }

    void headReturnsHeadersOnly_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addRow("list") << QByteArray("/api/products");
        QTest::addRow("detail") << QByteArray("/api/products/2");
        QTest::addRow("categories") << QByteArray("/api/categories");
    }

    void headReturnsHeadersOnly()
    {
        QFETCH(QByteArray, target);
        RawConnection connection(port());
        QVERIFY(connection.isConnected());
        QVERIFY(connection.send(httpRequest("GET", target)));
        const auto full = connection.readResponse();
        QVERIFY(full);
        VERIFY_OK(*full);

        QVERIFY(connection.send(httpRequest("HEAD", target)));
        const auto head = connection.readResponse(10000, false);
        QVERIFY(head);
        QCOMPARE(head->status, 200);
        QCOMPARE(head->header("content-type"), QByteArray("application/json"));
        QCOMPARE(head->header("content-length").toLongLong(), full->body.size());
        QCOMPARE(head->header("etag"), full->header("etag"));

        // Had HEAD sent a body, this response would not parse.
        QVERIFY(connection.send(httpRequest("GET", target)));
        const auto after = connection.readResponse();
        QVERIFY(after);
        QCOMPARE(after->status, 200);
        QCOMPARE(after->body, full->body);
    }

    // --- The cache -------------------------------------------------------------------

    void repeatReadIsACacheHit()
    {
        QVERIFY(m_cache->serving());
        // A NOTIFY from an earlier test's write may still be on its way and drop the
        // first copy; the second read after a fill must hit.
        const auto hitOnRepeat = [this]() -> bool {
            const RawResponse first = get("/api/categories");
            const qint64 hits = m_cache->stats().hits;
            const RawResponse second = get("/api/categories");
            return first.status == 200 && second.body == first.body && m_cache->stats().hits > hits;
        };
        QTRY_VERIFY_WITH_TIMEOUT(hitOnRepeat(), 3000);
        QVERIFY(m_cache->stats().entries > 0);
    }

    void directSqlUpdateVisibleWithinASecond()
    {
        QVERIFY(m_cache->serving());
        const qint64 id = scalar(u"SELECT max(id) FROM products WHERE active AND sku LIKE 'GARD-%'"_s);
        const QString before = publicName(id);
        QVERIFY(!before.startsWith(u'<'));
        const auto cachedNow = [this, id]() -> bool {
            publicName(id);
            const qint64 hits = m_cache->stats().hits;
            publicName(id);
            return m_cache->stats().hits > hits;
        };
        QTRY_VERIFY_WITH_TIMEOUT(cachedNow(), 3000); // served from the cache from here on

        const qint64 invalidations = m_cache->stats().invalidations;
        exec(u"UPDATE products SET name = 'Renamed by psql' WHERE id = %1"_s.arg(id)); // not the service
        QTRY_COMPARE_WITH_TIMEOUT(publicName(id), u"Renamed by psql"_s, 1000);
        QVERIFY(m_cache->stats().invalidations > invalidations);

        // A list and the categories follow too.
        const auto priceInList = [this, id]() -> qint64 {
            const QJsonArray products = dataOf(get("/api/products?per_page=100&category=garden"))
                                            .toObject()
                                            .value(u"products"_s)
                                            .toArray();
            for (const QJsonValue &p : products) {
                if (p.toObject().value(u"id"_s).toInteger() == id)
                    return p.toObject().value(u"price_cents"_s).toInteger();
            }
            return -1;
        };
        QVERIFY(priceInList() > 0);
        priceInList();
        exec(u"UPDATE products SET price_cents = 123457 WHERE id = %1"_s.arg(id));
        QTRY_COMPARE_WITH_TIMEOUT(priceInList(), qint64(123457), 1000);

        const auto toysName
            = [this]() -> QString { return publicCategory(u"toys"_s).value(u"name"_s).toString(); };
        QCOMPARE(toysName(), u"Toys"_s);
        QCOMPARE(toysName(), u"Toys"_s);
        exec(u"UPDATE categories SET name = 'Toys & Games' WHERE slug = 'toys'"_s);
        QTRY_COMPARE_WITH_TIMEOUT(toysName(), u"Toys & Games"_s, 1000);

        // Deactivated in SQL: gone from the detail and the total within a second.
        const qint64 total = activeCount();
        exec(u"UPDATE products SET active = false WHERE id = %1"_s.arg(id));
        QTRY_COMPARE_WITH_TIMEOUT(get("/api/products/" + QByteArray::number(id)).status, 404, 1000);
        QTRY_COMPARE_WITH_TIMEOUT(dataOf(get("/api/products"))
                                      .toObject()
                                      .value(u"pagination"_s)
                                      .toObject()
                                      .value(u"total"_s)
                                      .toInteger(),
            total - 1, 1000);
        exec(u"UPDATE products SET active = true, name = '%1' WHERE id = %2"_s.arg(before).arg(id));
        QTRY_COMPARE_WITH_TIMEOUT(publicName(id), before, 1000);
    }

    // --- The admin guard -------------------------------------------------------------

    void adminGuard_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        const QByteArray productBody = R"({"sku":"GUARD-1","name":"Guarded","price":1,"stock":1})";
        const QByteArray productEdit = R"({"version":1,"name":"Hacked"})";
        const QByteArray stockBody = R"({"delta":100,"reason":"restock"})";
        const QByteArray categoryBody = R"({"slug":"hacked","name":"Hacked"})";
        const struct
        {
            const char *method;
            const char *target;
            QByteArray body;
        } routes[] = {
            {"GET", "/api/admin/products", {}},
            {"GET", "/api/admin/products?search=a&limit=5", {}},
            {"POST", "/api/admin/products", productBody},
            {"GET", "/api/admin/products/1", {}},
            {"PUT", "/api/admin/products/1", productEdit},
            {"PATCH", "/api/admin/products/1", productEdit},
            {"DELETE", "/api/admin/products/1?version=1", {}},
            {"DELETE", "/api/admin/products/1?version=1&hard=true", {}},
            {"POST", "/api/admin/products/1/stock", stockBody},
            {"GET", "/api/admin/products/1/movements", {}},
            {"GET", "/api/admin/categories", {}},
            {"POST", "/api/admin/categories", categoryBody},
            {"PUT", "/api/admin/categories/1", productEdit},
            {"PATCH", "/api/admin/categories/1", productEdit},
            {"DELETE", "/api/admin/categories/1?version=1", {}},
            // The guard runs before the id is looked at: a missing product, the largest
            // id the router still matches (18 digits) and digits that are not ASCII.
            {"DELETE", "/api/admin/products/999999?version=1", {}},
            {"GET", "/api/admin/products/999999999999999999", {}},
            {"PATCH", "/api/admin/products/%D9%A1%D9%A2", productEdit},
        };
        const struct
        {
            const char *who;
            QByteArray headers;
            int status;
            QString code;
        } callers[] = {
            {"no token", {}, 401, u"UNAUTHORIZED"_s},
            {"customer", CustomerAuth, 403, u"FORBIDDEN"_s},
            {"unknown token", "Authorization: Bearer test-admin2\r\n", 401, u"UNAUTHORIZED"_s},
            {"basic auth", "Authorization: Basic dGVzdC1hZG1pbjp4\r\n", 401, u"UNAUTHORIZED"_s},
            {"no scheme", "Authorization: test-admin\r\n", 401, u"UNAUTHORIZED"_s},
            {"empty bearer", "Authorization: Bearer \r\n", 401, u"UNAUTHORIZED"_s},
        };
        for (const auto &route : routes) {
            for (const auto &caller : callers) {
                QTest::addRow("%s %s, %s", route.method, route.target, caller.who)
                    << QByteArray(route.method) << QByteArray(route.target) << route.body << caller.headers
                    << caller.status << caller.code;
            }
        }
    }

    void adminGuard()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, headers);
        QFETCH(int, status);
        QFETCH(QString, code);
        const QString before = fingerprint();
        VERIFY_ERROR(call(method, target, body, headers), status, code);
        QCOMPARE(fingerprint(), before); // refused before anything was read or written
    }

    // --- Admin products ----------------------------------------------------------------

    void adminCreateProduct()
    {
        const qint64 books = categoryId(u"books"_s);
        const qint64 booksBefore = publicCategory(u"books"_s).value(u"product_count"_s).toInteger();
        const qint64 totalBefore = activeCount();
        const QJsonObject body {{u"sku"_s, u"RT-CREATE-1"_s}, {u"name"_s, u"  Route Test Atlas  "_s},
            {u"description"_s, u"Created over HTTP"_s}, {u"price"_s, 19.99}, {u"currency"_s, u"USD"_s},
            {u"category_id"_s, books}, {u"stock"_s, 7},
            {u"image_url"_s, u"/assets/img/products/books.svg"_s}};
        const RawResponse r = admin("POST", "/api/admin/products", compact(body));
        VERIFY_OK(r, 201);
        const QJsonObject p = dataOf(r).toObject();
        const qint64 id = p.value(u"id"_s).toInteger();
        QVERIFY(id > 0);
        QCOMPARE(p.value(u"version"_s).toInteger(), 1);
        QCOMPARE(p.value(u"sku"_s).toString(), u"RT-CREATE-1"_s);
        QCOMPARE(p.value(u"name"_s).toString(), u"Route Test Atlas"_s); // trimmed
        QCOMPARE(p.value(u"price_cents"_s).toInteger(), 1999);
        QCOMPARE(p.value(u"stock"_s).toInteger(), 7);
        QCOMPARE(p.value(u"category_id"_s).toInteger(), books);
        QCOMPARE(p.value(u"category_slug"_s).toString(), u"books"_s);
        QCOMPARE(p.value(u"active"_s), QJsonValue(true));
        VERIFY_PRICES(r.body, 1);

        // The same through GET, and the initial stock in the ledger.
        const RawResponse again = admin("GET", "/api/admin/products/" + QByteArray::number(id));
        VERIFY_OK(again);
        QCOMPARE(dataOf(again).toObject(), p);
        const QJsonArray ledger = movements(id);
        QCOMPARE(ledger.size(), 1);
        const QJsonObject initial = ledger.first().toObject();
        QCOMPARE(initial.value(u"reason"_s).toString(), u"initial"_s);
        QCOMPARE(initial.value(u"delta"_s).toInteger(), 7);
        QCOMPARE(initial.value(u"stock_after"_s).toInteger(), 7);
        QCOMPARE(initial.value(u"actor"_s).toString(), u"test-admin"_s);
        QCOMPARE(initial.value(u"product_id"_s).toInteger(), id);

        // Shoppers see it at once, and the counts follow.
        const RawResponse shopper = get("/api/products/" + QByteArray::number(id));
        VERIFY_OK(shopper);
        QCOMPARE(dataOf(shopper).toObject().value(u"name"_s).toString(), u"Route Test Atlas"_s);
        QCOMPARE(publicCategory(u"books"_s).value(u"product_count"_s).toInteger(), booksBefore + 1);
        QCOMPARE(dataOf(get("/api/products"))
                     .toObject()
                     .value(u"pagination"_s)
                     .toObject()
                     .value(u"total"_s)
                     .toInteger(),
            totalBefore + 1);

        // No initial stock, no ledger entry.
        const qint64 empty = createProduct(u"Route Test Empty Shelf"_s, 0);
        QVERIFY(empty > 0);
        QCOMPARE(movements(empty), QJsonArray());
    }

    void adminCreateAcceptsPriceForms_data()
    {
        QTest::addColumn<QByteArray>("priceMember");
        QTest::addColumn<qint64>("cents");
        QTest::addRow("19.99") << QByteArray(R"("price":19.99)") << qint64(1999);
        QTest::addRow("\"19.99\"") << QByteArray(R"("price":"19.99")") << qint64(1999);
        QTest::addRow("20") << QByteArray(R"("price":20)") << qint64(2000);
        QTest::addRow("\"20\"") << QByteArray(R"("price":"20")") << qint64(2000);
        QTest::addRow("0") << QByteArray(R"("price":0)") << qint64(0);
        QTest::addRow("0.07") << QByteArray(R"("price":0.07)") << qint64(7);
        QTest::addRow("0.29") << QByteArray(R"("price":0.29)") << qint64(29);
        QTest::addRow("1.15") << QByteArray(R"("price":1.15)") << qint64(115);
        QTest::addRow("0.1") << QByteArray(R"("price":0.1)") << qint64(10);
        QTest::addRow("1234567.89") << QByteArray(R"("price":1234567.89)") << qint64(123456789);
        QTest::addRow("price_cents 1") << QByteArray(R"("price_cents":1)") << qint64(1);
        QTest::addRow("price_cents 99999") << QByteArray(R"("price_cents":99999)") << qint64(99999);
    }

    void adminCreateAcceptsPriceForms()
    {
        QFETCH(QByteArray, priceMember);
        QFETCH(qint64, cents);
        const QByteArray body
            = "{\"sku\":\"" + nextSku().toLatin1() + "\",\"name\":\"Price form\"," + priceMember + '}';
        const RawResponse created = admin("POST", "/api/admin/products", body);
        VERIFY_OK(created, 201);
        QCOMPARE(dataOf(created).toObject().value(u"price_cents"_s).toInteger(), cents);
        VERIFY_PRICES(created.body, 1);
        const qint64 id = dataOf(created).toObject().value(u"id"_s).toInteger();
        const RawResponse shopper = get("/api/products/" + QByteArray::number(id));
        VERIFY_OK(shopper);
        QCOMPARE(dataOf(shopper).toObject().value(u"price_cents"_s).toInteger(), cents);
        VERIFY_PRICES(shopper.body, 1);
        QCOMPARE(scalar(u"SELECT price_cents FROM products WHERE id = %1"_s.arg(id)), cents);
    }

    void adminCreateValidation_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        int n = 0;
        // A valid body with one member replaced (or removed, for an undefined value).
        const auto with = [&n](const QString &key, const QJsonValue &value) -> QByteArray {
            QJsonObject body {{u"sku"_s, u"RT-V-%1"_s.arg(++n)}, {u"name"_s, u"Valid name"_s},
                {u"price"_s, u"10.00"_s}, {u"stock"_s, 1}};
            if (value.isUndefined())
                body.remove(key);
            else
                body.insert(key, value);
            return compact(body);
        };
        const QString validation = u"VALIDATION_FAILED"_s;
        const QString missing = u"MISSING_FIELDS"_s;
        const QString invalid = u"INVALID_REQUEST"_s;
        const QJsonValue absent(QJsonValue::Undefined);
        QTest::addRow("sku ab") << with(u"sku"_s, u"ab"_s) << 422 << validation << u"sku"_s;
        QTest::addRow("sku lower case") << with(u"sku"_s, u"abc-123"_s) << 422 << validation << u"sku"_s;
        QTest::addRow("sku one char") << with(u"sku"_s, u"A"_s) << 422 << validation << u"sku"_s;
        QTest::addRow("sku leading dash") << with(u"sku"_s, u"-ABC"_s) << 422 << validation << u"sku"_s;
        QTest::addRow("sku with space") << with(u"sku"_s, u"AB C"_s) << 422 << validation << u"sku"_s;
        QTest::addRow("sku 41 chars") << with(u"sku"_s, QString(41, u'A')) << 422 << validation << u"sku"_s;
        QTest::addRow("sku empty") << with(u"sku"_s, u""_s) << 422 << validation << u"sku"_s;
        QTest::addRow("sku a number") << with(u"sku"_s, 12345) << 422 << validation << u"sku"_s;
        QTest::addRow("duplicate sku") << with(u"sku"_s, u"ELEC-000001"_s) << 422 << validation << u"sku"_s;
        QTest::addRow("price -1") << with(u"price"_s, -1) << 422 << validation << u"price"_s;
        QTest::addRow("price \"-1\"") << with(u"price"_s, u"-1"_s) << 422 << validation << u"price"_s;
        QTest::addRow("price 19.999") << with(u"price"_s, 19.999) << 422 << validation << u"price"_s;
        QTest::addRow("price \"19.999\"") << with(u"price"_s, u"19.999"_s) << 422 << validation << u"price"_s;
        QTest::addRow("price abc") << with(u"price"_s, u"abc"_s) << 422 << validation << u"price"_s;
        QTest::addRow("price 1e3 text") << with(u"price"_s, u"1e3"_s) << 422 << validation << u"price"_s;
        QTest::addRow("price true") << with(u"price"_s, true) << 422 << validation << u"price"_s;
        QTest::addRow("price null") << with(u"price"_s, QJsonValue(QJsonValue::Null)) << 400 << missing
                                    << u"price"_s;
        QTest::addRow("price_cents -5")
            << with(u"price_cents"_s, -5) << 422 << validation << u"price_cents"_s;
        QTest::addRow("price_cents 1.5")
            << with(u"price_cents"_s, 1.5) << 422 << validation << u"price_cents"_s;
        QTest::addRow("name empty") << with(u"name"_s, u""_s) << 422 << validation << u"name"_s;
        QTest::addRow("name blank") << with(u"name"_s, u"   "_s) << 422 << validation << u"name"_s;
        QTest::addRow("name 201 chars")
            << with(u"name"_s, QString(201, u'n')) << 422 << validation << u"name"_s;
        QTest::addRow("name a number") << with(u"name"_s, 5) << 422 << validation << u"name"_s;
        QTest::addRow("description 5001")
            << with(u"description"_s, QString(5001, u'd')) << 422 << validation << u"description"_s;
        QTest::addRow("currency usd") << with(u"currency"_s, u"usd"_s) << 422 << validation << u"currency"_s;
        QTest::addRow("currency US") << with(u"currency"_s, u"US"_s) << 422 << validation << u"currency"_s;
        QTest::addRow("currency EURO")
            << with(u"currency"_s, u"EURO"_s) << 422 << validation << u"currency"_s;
        QTest::addRow("image javascript")
            << with(u"image_url"_s, u"javascript:alert(1)"_s) << 422 << validation << u"image_url"_s;
        QTest::addRow("image data url") << with(u"image_url"_s, u"data:image/svg+xml;base64,PHN2Zz4="_s)
                                        << 422 << validation << u"image_url"_s;
        QTest::addRow("image protocol-relative")
            << with(u"image_url"_s, u"//evil.example/x.png"_s) << 422 << validation << u"image_url"_s;
        QTest::addRow("image with space")
            << with(u"image_url"_s, u"/img/a b.png"_s) << 422 << validation << u"image_url"_s;
        QTest::addRow("stock -1") << with(u"stock"_s, -1) << 422 << validation << u"stock"_s;
        QTest::addRow("stock 1.5") << with(u"stock"_s, 1.5) << 422 << validation << u"stock"_s;
        QTest::addRow("stock \"5\"") << with(u"stock"_s, u"5"_s) << 422 << validation << u"stock"_s;
        QTest::addRow("category missing")
            << with(u"category_id"_s, 999999) << 422 << validation << u"category_id"_s;
        QTest::addRow("category 0") << with(u"category_id"_s, 0) << 422 << validation << u"category_id"_s;
        QTest::addRow("category text")
            << with(u"category_id"_s, u"books"_s) << 422 << validation << u"category_id"_s;
        QTest::addRow("active text") << with(u"active"_s, u"yes"_s) << 422 << validation << u"active"_s;
        QTest::addRow("missing sku") << with(u"sku"_s, absent) << 400 << missing << u"sku"_s;
        QTest::addRow("missing name") << with(u"name"_s, absent) << 400 << missing << u"name"_s;
        QTest::addRow("missing price") << with(u"price"_s, absent) << 400 << missing << u"price"_s;
        QTest::addRow("empty object sku") << QByteArray("{}") << 400 << missing << u"sku"_s;
        QTest::addRow("empty object name") << QByteArray("{}") << 400 << missing << u"name"_s;
        QTest::addRow("empty object price") << QByteArray("{}") << 400 << missing << u"price"_s;
        QTest::addRow("not json") << QByteArray("sku=ABC&name=x") << 400 << invalid << QString();
        QTest::addRow("truncated json")
            << QByteArray(R"({"sku":"ABC-1","name":)") << 400 << invalid << QString();
        QTest::addRow("json array") << QByteArray(R"([{"sku":"ABC-1","name":"x","price":1}])") << 400
                                    << invalid << QString();
        QTest::addRow("json string") << QByteArray(R"("hello")") << 400 << invalid << QString();
        QTest::addRow("json null") << QByteArray("null") << 400 << invalid << QString();
        QTest::addRow("empty body") << QByteArray() << 400 << invalid << QString();
    }

    void adminCreateValidation()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(QString, field);
        const QString before = fingerprint();
        VERIFY_ERROR(admin("POST", "/api/admin/products", body), status, code, field);
        QCOMPARE(fingerprint(), before); // nothing created, nothing audited
    }

    void adminGetProduct_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<int>("status");
        QTest::addRow("seeded") << QByteArray("/api/admin/products/1") << 200;
        QTest::addRow("inactive") << QByteArray("/api/admin/products/" + QByteArray::number(m_hiddenId))
                                  << 200;
        QTest::addRow("missing") << QByteArray("/api/admin/products/999999") << 404;
        QTest::addRow("huge id") << QByteArray("/api/admin/products/99999999999999999999999") << 404;
        QTest::addRow("18-digit id") << QByteArray("/api/admin/products/999999999999999999") << 404;
        QTest::addRow("arabic-indic digits") << QByteArray("/api/admin/products/%D9%A1%D9%A2") << 404;
        QTest::addRow("not a number") << QByteArray("/api/admin/products/abc") << 404;
        QTest::addRow("movements of missing") << QByteArray("/api/admin/products/999999/movements") << 404;
        QTest::addRow("movements huge id")
            << QByteArray("/api/admin/products/99999999999999999999999/movements") << 404;
    }

    void adminGetProduct()
    {
        QFETCH(QByteArray, target);
        QFETCH(int, status);
        const RawResponse r = admin("GET", target);
        if (status != 200) {
            VERIFY_ERROR(r, status, u"NOT_FOUND"_s);
            return;
        }
        VERIFY_OK(r);
        const QJsonObject p = dataOf(r).toObject();
        const qint64 id = p.value(u"id"_s).toInteger();
        QVERIFY(target.endsWith(QByteArray('/' + QByteArray::number(id))));
        for (const QString &key : {u"id"_s, u"sku"_s, u"name"_s, u"description"_s, u"price"_s,
                 u"price_cents"_s, u"currency"_s, u"category_id"_s, u"category"_s, u"category_slug"_s,
                 u"stock"_s, u"image_url"_s, u"active"_s, u"version"_s, u"created_at"_s, u"updated_at"_s})
            QVERIFY2(p.contains(key), qPrintable(key));
        QCOMPARE(p.value(u"active"_s).toBool(),
            scalar(u"SELECT active::int FROM products WHERE id = %1"_s.arg(id)) == 1);
        QCOMPARE(p.value(u"version"_s).toInteger(), versionOf(id));
        VERIFY_PRICES(r.body, 1);
    }

    void adminListProducts()
    {
        const RawResponse all = admin("GET", "/api/admin/products?limit=1000");
        VERIFY_OK(all);
        const QJsonObject data = dataOf(all).toObject();
        QCOMPARE(data.value(u"total"_s).toInteger(), scalar(u"SELECT count(*) FROM products"_s));
        QVERIFY(idsOf(data.value(u"products"_s).toArray()).contains(m_hiddenId)); // admins see inactive ones

        const RawResponse activeOnly = admin("GET", "/api/admin/products?limit=1000&active_only=true");
        VERIFY_OK(activeOnly);
        QVERIFY(!idsOf(dataOf(activeOnly).toObject().value(u"products"_s).toArray()).contains(m_hiddenId));

        const RawResponse bySku = admin("GET", "/api/admin/products?search=HIDDEN");
        VERIFY_OK(bySku);
        QCOMPARE(idsOf(dataOf(bySku).toObject().value(u"products"_s).toArray()), QList<qint64> {m_hiddenId});

        VERIFY_ERROR(admin("GET", "/api/admin/products?sort=random"), 400, u"INVALID_REQUEST"_s);
        VERIFY_ERROR(admin("GET", "/api/admin/products?limit=0"), 400, u"INVALID_REQUEST"_s);
        VERIFY_ERROR(admin("GET", "/api/admin/products?offset=-1"), 400, u"INVALID_REQUEST"_s);
        VERIFY_ERROR(admin("GET", "/api/admin/products?category_id=x"), 400, u"INVALID_REQUEST"_s);
    }

    void adminUpdateProduct()
    {
        const qint64 id = createProduct(u"Route Test Lamp"_s, 4, categoryId(u"home"_s));
        QVERIFY(id > 0);
        const QByteArray path = "/api/admin/products/" + QByteArray::number(id);

        const RawResponse patched
            = admin("PATCH", path, R"({"version":1,"name":"Route Test Lamp II","price":"25.50"})");
        VERIFY_OK(patched);
        QJsonObject p = dataOf(patched).toObject();
        QCOMPARE(p.value(u"version"_s).toInteger(), 2);
        QCOMPARE(p.value(u"name"_s).toString(), u"Route Test Lamp II"_s);
        QCOMPARE(p.value(u"price_cents"_s).toInteger(), 2550);
        QCOMPARE(p.value(u"stock"_s).toInteger(), 4); // untouched
        QCOMPARE(p.value(u"category_slug"_s).toString(), u"home"_s); // untouched
        const RawResponse shopper = get("/api/products/" + QByteArray::number(id));
        VERIFY_OK(shopper);
        QCOMPARE(dataOf(shopper).toObject().value(u"name"_s).toString(), u"Route Test Lamp II"_s);
        QCOMPARE(dataOf(shopper).toObject().value(u"price_cents"_s).toInteger(), 2550);
        VERIFY_PRICES(shopper.body, 1);

        // Someone still holding version 1 loses, and changes nothing.
        const QString before = fingerprint();
        VERIFY_ERROR(admin("PATCH", path, R"({"version":1,"name":"Stale edit"})"), 409, u"CONFLICT"_s);
        QCOMPARE(fingerprint(), before);
        p = adminProduct(id);
        QCOMPARE(p.value(u"name"_s).toString(), u"Route Test Lamp II"_s);
        QCOMPARE(p.value(u"version"_s).toInteger(), 2);
        QCOMPARE(publicName(id), u"Route Test Lamp II"_s);

        // PUT is the same edit; moving it out of its category and deactivating it.
        const RawResponse put = admin("PUT", path, R"({"version":2,"category_id":null,"active":false})");
        VERIFY_OK(put);
        p = dataOf(put).toObject();
        QCOMPARE(p.value(u"version"_s).toInteger(), 3);
        QVERIFY(p.value(u"category_id"_s).isNull());
        QCOMPARE(p.value(u"active"_s), QJsonValue(false));
        VERIFY_ERROR(get("/api/products/" + QByteArray::number(id)), 404, u"NOT_FOUND"_s);
        VERIFY_OK(admin("PATCH", path, R"({"version":3,"active":true})"));
        QCOMPARE(publicName(id), u"Route Test Lamp II"_s);
        QVERIFY(
            dataOf(get("/api/products/" + QByteArray::number(id))).toObject().value(u"category"_s).isNull());
    }

    void adminUpdateErrors_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target"); // {id}: the product under edit
        QTest::addColumn<QByteArray>("body"); // {v}: its current version
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        const QByteArray self = "/api/admin/products/{id}";
        const QString validation = u"VALIDATION_FAILED"_s;
        const auto row = [&](const char *name, const QByteArray &body, int status, const QString &code,
                             const QString &field) {
            QTest::addRow("%s", name) << QByteArray("PATCH") << self << body << status << code << field;
        };
        row("stock", R"({"version":{v},"stock":500})", 422, validation, u"stock"_s);
        row("stale version", R"({"version":{stale},"name":"Stale"})", 409, u"CONFLICT"_s, QString());
        row("future version", R"({"version":{future},"name":"Future"})", 409, u"CONFLICT"_s, QString());
        row("missing version", R"({"name":"No version"})", 400, u"MISSING_FIELDS"_s, u"version"_s);
        row("null version", R"({"version":null,"name":"Null"})", 400, u"MISSING_FIELDS"_s, u"version"_s);
        row("version text", R"({"version":"{v}","name":"Text"})", 422, validation, u"version"_s);
        row("version 0", R"({"version":0,"name":"Zero"})", 422, validation, u"version"_s);
        row("version 1.5", R"({"version":1.5,"name":"Half"})", 422, validation, u"version"_s);
        row("bad price", R"({"version":{v},"price":"-3"})", 422, validation, u"price"_s);
        row("lower-case sku", R"({"version":{v},"sku":"lower"})", 422, validation, u"sku"_s);
        row("duplicate sku", R"({"version":{v},"sku":"ELEC-000001"})", 422, validation, u"sku"_s);
        row("empty name", R"({"version":{v},"name":""})", 422, validation, u"name"_s);
        row("bad currency", R"({"version":{v},"currency":"usd"})", 422, validation, u"currency"_s);
        row("bad image", R"json({"version":{v},"image_url":"javascript:alert(1)"})json", 422, validation,
            u"image_url"_s);
        row("unknown category", R"({"version":{v},"category_id":999999})", 422, validation, u"category_id"_s);
        row("not json", "version=1", 400, u"INVALID_REQUEST"_s, QString());
        row("json array", "[1]", 400, u"INVALID_REQUEST"_s, QString());
        row("empty body", "", 400, u"INVALID_REQUEST"_s, QString());
        QTest::addRow("unknown id") << QByteArray("PATCH") << QByteArray("/api/admin/products/999999")
                                    << QByteArray(R"({"version":1,"name":"Ghost"})") << 404 << u"NOT_FOUND"_s
                                    << QString();
        QTest::addRow("huge id") << QByteArray("PUT")
                                 << QByteArray("/api/admin/products/99999999999999999999999")
                                 << QByteArray(R"({"version":1,"name":"Ghost"})") << 404 << u"NOT_FOUND"_s
                                 << QString();
        QTest::addRow("PUT stock") << QByteArray("PUT") << self << QByteArray(R"({"version":{v},"stock":1})")
                                   << 422 << validation << u"stock"_s;
    }

    void adminUpdateErrors()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(QString, field);
        static qint64 id = 0;
        if (id == 0)
            id = createProduct(u"Route Test Edit Target"_s, 5);
        QVERIFY(id > 0);
        VERIFY_OK(admin("PATCH", "/api/admin/products/" + QByteArray::number(id),
            compact({{u"version"_s, versionOf(id)}, {u"description"_s, u"bump"_s}}))); // version > 1
        const int version = versionOf(id);
        target.replace("{id}", QByteArray::number(id));
        body.replace("{v}", QByteArray::number(version))
            .replace("{stale}", QByteArray::number(version - 1))
            .replace("{future}", QByteArray::number(version + 1));
        const QString before = fingerprint();
        const QJsonObject stored = adminProduct(id);
        VERIFY_ERROR(call(method, target, body, AdminAuth), status, code, field);
        QCOMPARE(fingerprint(), before);
        QCOMPARE(adminProduct(id), stored);
    }

    void adminDeleteProduct()
    {
        const qint64 id = createProduct(u"Route Test Soft Delete"_s, 2, categoryId(u"sports"_s));
        QVERIFY(id > 0);
        const QByteArray path = "/api/admin/products/" + QByteArray::number(id);
        const QString before = fingerprint();
        VERIFY_ERROR(admin("DELETE", path), 400, u"MISSING_FIELDS"_s, u"version"_s);
        VERIFY_ERROR(admin("DELETE", path + "?hard=true"), 400, u"MISSING_FIELDS"_s, u"version"_s);
        VERIFY_ERROR(admin("DELETE", path + "?version=abc"), 422, u"VALIDATION_FAILED"_s, u"version"_s);
        VERIFY_ERROR(admin("DELETE", path + "?version=0"), 422, u"VALIDATION_FAILED"_s, u"version"_s);
        VERIFY_ERROR(admin("DELETE", path + "?version=7"), 409, u"CONFLICT"_s);
        VERIFY_ERROR(admin("DELETE", "/api/admin/products/999999?version=1"), 404, u"NOT_FOUND"_s);
        QCOMPARE(fingerprint(), before);

        const qint64 total = activeCount();
        const qint64 sports = publicCategory(u"sports"_s).value(u"product_count"_s).toInteger();
        QCOMPARE(publicName(id), u"Route Test Soft Delete"_s); // cached before the delete
        const RawResponse soft = admin("DELETE", path + "?version=1");
        VERIFY_OK(soft);
        QCOMPARE(dataOf(soft).toObject().value(u"active"_s), QJsonValue(false));
        QCOMPARE(dataOf(soft).toObject().value(u"version"_s).toInteger(), 2);
        VERIFY_ERROR(get("/api/products/" + QByteArray::number(id)), 404, u"NOT_FOUND"_s);
        const QJsonObject page = dataOf(get("/api/products?per_page=100&sort=newest")).toObject();
        QVERIFY(!idsOf(page.value(u"products"_s).toArray()).contains(id));
        QCOMPARE(page.value(u"pagination"_s).toObject().value(u"total"_s).toInteger(), total - 1);
        QCOMPARE(publicCategory(u"sports"_s).value(u"product_count"_s).toInteger(), sports - 1);
        QVERIFY(!idsOf(dataOf(get("/api/products/search?q=" + enc(u"Route Test Soft Delete"_s))).toArray())
                     .contains(id));
        // Still there for admins and its history.
        QCOMPARE(adminProduct(id).value(u"active"_s), QJsonValue(false));
        QCOMPARE(movements(id).size(), 1);
    }

    void adminHardDeleteProduct()
    {
        const qint64 id = createProduct(u"Route Test Hard Delete"_s, 3);
        QVERIFY(id > 0);
        const QByteArray path = "/api/admin/products/" + QByteArray::number(id);
        QCOMPARE(publicName(id), u"Route Test Hard Delete"_s);
        VERIFY_ERROR(admin("DELETE", path + "?hard=true&version=2"), 409, u"CONFLICT"_s);
        const RawResponse hard = admin("DELETE", path + "?hard=true&version=1");
        VERIFY_OK(hard);
        QCOMPARE(dataOf(hard).toObject(), (QJsonObject {{u"id"_s, id}, {u"deleted"_s, true}}));
        QCOMPARE(scalar(u"SELECT count(*) FROM products WHERE id = %1"_s.arg(id)), 0);
        VERIFY_ERROR(get("/api/products/" + QByteArray::number(id)), 404, u"NOT_FOUND"_s);
        VERIFY_ERROR(admin("GET", path), 404, u"NOT_FOUND"_s);
        VERIFY_ERROR(admin("DELETE", path + "?hard=true&version=1"), 404, u"NOT_FOUND"_s);
    }

    void adminHardDeleteRefusesOrderedProduct()
    {
        const qint64 id = createProduct(u"Route Test Ordered"_s, 3);
        QVERIFY(id > 0);
        exec(u"INSERT INTO users (email, password_hash) VALUES ('buyer@shop.test', 'x')"_s);
        exec(u"INSERT INTO orders (user_id, subtotal_cents, total_cents, email)"
             " SELECT id, 1000, 1000, email FROM users WHERE email = 'buyer@shop.test'"_s);
        exec(
            u"INSERT INTO order_items (order_id, product_id, sku, name, unit_price_cents, quantity,"
            " line_total_cents) SELECT max(o.id), %1, 'X', 'Route Test Ordered', 1000, 1, 1000 FROM orders o"_s
                .arg(id));
        if (QTest::currentTestFailed())
            return;
        const QByteArray path = "/api/admin/products/" + QByteArray::number(id);
        const QString before = fingerprint();
        VERIFY_ERROR(admin("DELETE", path + "?hard=1&version=1"), 409, u"PRODUCT_HAS_ORDERS"_s);
        QCOMPARE(fingerprint(), before);
        QCOMPARE(publicName(id), u"Route Test Ordered"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM order_items WHERE product_id = %1"_s.arg(id)), 1);
        // Deactivating it is still allowed.
        VERIFY_OK(admin("DELETE", path + "?version=1"));
        VERIFY_ERROR(get("/api/products/" + QByteArray::number(id)), 404, u"NOT_FOUND"_s);
    }

    // --- Stock ---------------------------------------------------------------------------

    void adminAdjustStock()
    {
        const qint64 id = createProduct(u"Route Test Stock"_s, 10);
        QVERIFY(id > 0);
        const QByteArray path = "/api/admin/products/" + QByteArray::number(id) + "/stock";

        RawResponse r = admin("POST", path, R"({"delta":5,"reason":"restock","note":"pallet 7"})");
        VERIFY_OK(r);
        QCOMPARE(dataOf(r).toObject().value(u"stock"_s).toInteger(), 15);
        QCOMPARE(dataOf(r).toObject().value(u"id"_s).toInteger(), id);
        QCOMPARE(
            dataOf(get("/api/products/" + QByteArray::number(id))).toObject().value(u"stock"_s).toInteger(),
            15);
        QJsonObject entry = movements(id).first().toObject();
        QCOMPARE(entry.value(u"delta"_s).toInteger(), 5);
        QCOMPARE(entry.value(u"stock_after"_s).toInteger(), 15);
        QCOMPARE(entry.value(u"reason"_s).toString(), u"restock"_s);
        QCOMPARE(entry.value(u"note"_s).toString(), u"pallet 7"_s);
        QCOMPARE(entry.value(u"actor"_s).toString(), u"test-admin"_s);
        QVERIFY(entry.value(u"order_id"_s).isNull());

        r = admin("POST", path, R"({"delta":-3,"reason":"damage","note":"dropped"})");
        VERIFY_OK(r);
        QCOMPARE(dataOf(r).toObject().value(u"stock"_s).toInteger(), 12);
        entry = movements(id).first().toObject();
        QCOMPARE(entry.value(u"delta"_s).toInteger(), -3);
        QCOMPARE(entry.value(u"stock_after"_s).toInteger(), 12);
        QCOMPARE(entry.value(u"reason"_s).toString(), u"damage"_s);
        QCOMPARE(entry.value(u"note"_s).toString(), u"dropped"_s);
        QCOMPARE(entry.value(u"actor"_s).toString(), u"test-admin"_s);

        // Down to exactly zero is fine; the note is optional.
        r = admin("POST", path, R"({"delta":-12,"reason":"adjustment"})");
        VERIFY_OK(r);
        QCOMPARE(dataOf(r).toObject().value(u"stock"_s).toInteger(), 0);
        QCOMPARE(movements(id).first().toObject().value(u"note"_s).toString(), QString());

        // The whole ledger, newest first, adds up.
        const QJsonArray ledger = movements(id);
        QCOMPARE(ledger.size(), 4);
        QList<qint64> deltas;
        for (const QJsonValue &m : ledger)
            deltas.append(m.toObject().value(u"delta"_s).toInteger());
        QCOMPARE(deltas, (QList<qint64> {-12, -3, 5, 10}));
        // Stock changes do not bump the edit version: an open edit dialog stays valid.
        QCOMPARE(adminProduct(id).value(u"version"_s).toInteger(), 1);
    }

    void adminAdjustStockErrors_data()
    {
        QTest::addColumn<QByteArray>("target"); // {id}: a product with 12 in stock
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        const QByteArray self = "/api/admin/products/{id}/stock";
        const QString validation = u"VALIDATION_FAILED"_s;
        const QString missing = u"MISSING_FIELDS"_s;
        const auto row = [&](const char *name, const QByteArray &body, int status, const QString &code,
                             const QString &field) {
            QTest::addRow("%s", name) << self << body << status << code << field;
        };
        row("below zero", R"({"delta":-13,"reason":"damage"})", 422, validation, u"delta"_s);
        row("far below zero", R"({"delta":-1000000,"reason":"damage"})", 422, validation, u"delta"_s);
        row("delta 0", R"({"delta":0,"reason":"restock"})", 422, validation, u"delta"_s);
        row("delta too large", R"({"delta":1000001,"reason":"restock"})", 422, validation, u"delta"_s);
        row("delta beyond int", R"({"delta":99999999999,"reason":"restock"})", 422, validation, u"delta"_s);
        row("delta 1.5", R"({"delta":1.5,"reason":"restock"})", 422, validation, u"delta"_s);
        row("delta text", R"({"delta":"5","reason":"restock"})", 422, validation, u"delta"_s);
        row("bad reason", R"({"delta":5,"reason":"gift"})", 422, validation, u"reason"_s);
        row("reason initial", R"({"delta":5,"reason":"initial"})", 422, validation, u"reason"_s);
        row("reason sale", R"({"delta":-1,"reason":"sale"})", 422, validation, u"reason"_s);
        row("reason empty", R"({"delta":5,"reason":""})", 422, validation, u"reason"_s);
        row("reason number", R"({"delta":5,"reason":1})", 422, validation, u"reason"_s);
        row("note too long", "{\"delta\":5,\"reason\":\"restock\",\"note\":\"" + QByteArray(501, 'n') + "\"}",
            422, validation, u"note"_s);
        row("missing delta", R"({"reason":"restock"})", 400, missing, u"delta"_s);
        row("missing reason", R"({"delta":5})", 400, missing, u"reason"_s);
        row("null delta", R"({"delta":null,"reason":"restock"})", 400, missing, u"delta"_s);
        row("empty object", "{}", 400, missing, u"delta"_s);
        row("not json", "delta=5", 400, u"INVALID_REQUEST"_s, QString());
        row("json array", R"([5,"restock"])", 400, u"INVALID_REQUEST"_s, QString());
        QTest::addRow("unknown product")
            << QByteArray("/api/admin/products/999999/stock")
            << QByteArray(R"({"delta":5,"reason":"restock"})") << 404 << u"NOT_FOUND"_s << QString();
        QTest::addRow("huge id") << QByteArray("/api/admin/products/99999999999999999999999/stock")
                                 << QByteArray(R"({"delta":5,"reason":"restock"})") << 404 << u"NOT_FOUND"_s
                                 << QString();
    }

    void adminAdjustStockErrors()
    {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(QString, field);
        static qint64 id = 0;
        if (id == 0)
            id = createProduct(u"Route Test Stock Errors"_s, 12);
        QVERIFY(id > 0);
        target.replace("{id}", QByteArray::number(id));
        const QString before = fingerprint();
        const qsizetype ledger = movements(id).size();
        VERIFY_ERROR(admin("POST", target, body), status, code, field);
        QCOMPARE(fingerprint(), before);
        QCOMPARE(scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(id)), 12);
        QCOMPARE(
            dataOf(get("/api/products/" + QByteArray::number(id))).toObject().value(u"stock"_s).toInteger(),
            12);
        QCOMPARE(movements(id).size(), ledger);
    }

    // --- Admin categories ----------------------------------------------------------------

    void adminCategories()
    {
        const RawResponse list = admin("GET", "/api/admin/categories");
        VERIFY_OK(list);
        const QJsonArray categories = dataOf(list).toArray();
        QCOMPARE(categories.size(), scalar(u"SELECT count(*) FROM categories"_s));
        for (const QJsonValue &v : categories) {
            const QJsonObject c = v.toObject();
            for (const QString &key : {u"id"_s, u"slug"_s, u"name"_s, u"description"_s, u"sort_order"_s,
                     u"version"_s, u"product_count"_s})
                QVERIFY2(c.contains(key), qPrintable(key));
            QCOMPARE(c.value(u"product_count"_s).toInteger(),
                scalar(u"SELECT count(*) FROM products WHERE active AND category_id = %1"_s.arg(
                    c.value(u"id"_s).toInteger())));
        }

        const qsizetype publicBefore = publicCategories().size();
        const RawResponse created = admin("POST", "/api/admin/categories",
            R"({"slug":"kitchen-gadgets","name":"Kitchen Gadgets",)"
            R"("description":"Small helpers","sort_order":5})");
        VERIFY_OK(created, 201);
        const QJsonObject c = dataOf(created).toObject();
        const qint64 id = c.value(u"id"_s).toInteger();
        QVERIFY(id > 0);
        QCOMPARE(c.value(u"slug"_s).toString(), u"kitchen-gadgets"_s);
        QCOMPARE(c.value(u"name"_s).toString(), u"Kitchen Gadgets"_s);
        QCOMPARE(c.value(u"version"_s).toInteger(), 1);
        QCOMPARE(c.value(u"sort_order"_s).toInteger(), 5);
        QCOMPARE(c.value(u"product_count"_s).toInteger(), 0);
        QCOMPARE(publicCategories().size(), publicBefore + 1); // at once
        QCOMPARE(publicCategory(u"kitchen-gadgets"_s).value(u"product_count"_s).toInteger(), 0);
        const RawResponse emptyList = get("/api/products?category=kitchen-gadgets");
        VERIFY_OK(emptyList);
        QCOMPARE(dataOf(emptyList).toObject().value(u"products"_s), QJsonValue(QJsonArray()));
        QCOMPARE(
            dataOf(emptyList).toObject().value(u"pagination"_s).toObject().value(u"total"_s).toInteger(), 0);

        // Update with the version; a stale one is refused and changes nothing.
        const QByteArray path = "/api/admin/categories/" + QByteArray::number(id);
        const RawResponse updated = admin("PATCH", path, R"({"version":1,"name":"Kitchen Helpers"})");
        VERIFY_OK(updated);
        QCOMPARE(dataOf(updated).toObject().value(u"version"_s).toInteger(), 2);
        QCOMPARE(dataOf(updated).toObject().value(u"name"_s).toString(), u"Kitchen Helpers"_s);
        QCOMPARE(dataOf(updated).toObject().value(u"slug"_s).toString(), u"kitchen-gadgets"_s);
        QCOMPARE(publicCategory(u"kitchen-gadgets"_s).value(u"name"_s).toString(), u"Kitchen Helpers"_s);
        const QString before = fingerprint();
        VERIFY_ERROR(admin("PATCH", path, R"({"version":1,"name":"Stale"})"), 409, u"CONFLICT"_s);
        VERIFY_ERROR(admin("PUT", path, R"({"version":3,"name":"Future"})"), 409, u"CONFLICT"_s);
        QCOMPARE(fingerprint(), before);
        QCOMPARE(publicCategory(u"kitchen-gadgets"_s).value(u"name"_s).toString(), u"Kitchen Helpers"_s);
        const RawResponse put = admin("PUT", path, R"({"version":2,"slug":"kitchen-helpers"})");
        VERIFY_OK(put);
        QCOMPARE(dataOf(put).toObject().value(u"version"_s).toInteger(), 3);
        QVERIFY(publicCategory(u"kitchen-gadgets"_s).isEmpty());
        QCOMPARE(publicCategory(u"kitchen-helpers"_s).value(u"name"_s).toString(), u"Kitchen Helpers"_s);
    }

    void adminCategoryErrors_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target"); // {id}: the "errors-target" category
        QTest::addColumn<QByteArray>("body"); // {v}: its version
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        const QString validation = u"VALIDATION_FAILED"_s;
        const QString missing = u"MISSING_FIELDS"_s;
        const QString invalid = u"INVALID_REQUEST"_s;
        const auto create = [&](const char *name, const QByteArray &body, int status, const QString &code,
                                const QString &field) {
            QTest::addRow("create, %s", name) << QByteArray("POST") << QByteArray("/api/admin/categories")
                                              << body << status << code << field;
        };
        const auto update = [&](const char *name, const QByteArray &body, int status, const QString &code,
                                const QString &field) {
            QTest::addRow("update, %s", name)
                << QByteArray("PATCH") << QByteArray("/api/admin/categories/{id}") << body << status << code
                << field;
        };
        create("duplicate slug", R"({"slug":"books","name":"Books again"})", 422, validation, u"slug"_s);
        create("slug with space", R"({"slug":"bad slug","name":"x"})", 422, validation, u"slug"_s);
        create("slug upper case", R"({"slug":"Books2","name":"x"})", 422, validation, u"slug"_s);
        create("slug leading dash", R"({"slug":"-books","name":"x"})", 422, validation, u"slug"_s);
        create("slug trailing dash", R"({"slug":"books-","name":"x"})", 422, validation, u"slug"_s);
        create("slug double dash", R"({"slug":"a--b","name":"x"})", 422, validation, u"slug"_s);
        // (not a raw string: moc 6.4 misreads a quote inside one)
        create("slug with quote", "{\"slug\":\"x'--\",\"name\":\"x\"}", 422, validation, u"slug"_s);
        create("slug 61 chars", "{\"slug\":\"" + QByteArray(61, 'a') + "\",\"name\":\"x\"}", 422, validation,
            u"slug"_s);
        create("slug empty", R"({"slug":"","name":"x"})", 422, validation, u"slug"_s);
        create("name empty", R"({"slug":"fresh-one","name":""})", 422, validation, u"name"_s);
        create("name blank", R"({"slug":"fresh-one","name":"  "})", 422, validation, u"name"_s);
        create("name 101 chars", "{\"slug\":\"fresh-one\",\"name\":\"" + QByteArray(101, 'n') + "\"}", 422,
            validation, u"name"_s);
        create("sort_order text", R"({"slug":"fresh-one","name":"x","sort_order":"1"})", 422, validation,
            u"sort_order"_s);
        create("missing slug", R"({"name":"x"})", 400, missing, u"slug"_s);
        create("missing name", R"({"slug":"fresh-one"})", 400, missing, u"name"_s);
        create("not json", "slug=x", 400, invalid, QString());
        create("json array", "[]", 400, invalid, QString());
        create("empty body", "", 400, invalid, QString());
        update("stale version", R"({"version":{stale},"name":"Stale"})", 409, u"CONFLICT"_s, QString());
        update("missing version", R"({"name":"No version"})", 400, missing, u"version"_s);
        update("version text", R"({"version":"{v}","name":"x"})", 422, validation, u"version"_s);
        update("duplicate slug", R"({"version":{v},"slug":"books"})", 422, validation, u"slug"_s);
        update("bad slug", R"({"version":{v},"slug":"Not Valid"})", 422, validation, u"slug"_s);
        update("empty name", R"({"version":{v},"name":""})", 422, validation, u"name"_s);
        update("not json", "x", 400, invalid, QString());
        QTest::addRow("update, unknown id")
            << QByteArray("PATCH") << QByteArray("/api/admin/categories/999999")
            << QByteArray(R"({"version":1,"name":"Ghost"})") << 404 << u"NOT_FOUND"_s << QString();
        QTest::addRow("delete, no version")
            << QByteArray("DELETE") << QByteArray("/api/admin/categories/{id}") << QByteArray() << 400
            << missing << u"version"_s;
        QTest::addRow("delete, stale version")
            << QByteArray("DELETE") << QByteArray("/api/admin/categories/{id}?version={stale}")
            << QByteArray() << 409 << u"CONFLICT"_s << QString();
        QTest::addRow("delete, version text")
            << QByteArray("DELETE") << QByteArray("/api/admin/categories/{id}?version=x") << QByteArray()
            << 422 << validation << u"version"_s;
        QTest::addRow("delete, unknown id")
            << QByteArray("DELETE") << QByteArray("/api/admin/categories/999999?version=1") << QByteArray()
            << 404 << u"NOT_FOUND"_s << QString();
        QTest::addRow("delete, huge id")
            << QByteArray("DELETE") << QByteArray("/api/admin/categories/99999999999999999999999?version=1")
            << QByteArray() << 404 << u"NOT_FOUND"_s << QString();
    }

    void adminCategoryErrors()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(QString, field);
        qint64 id = categoryId(u"errors-target"_s);
        if (id <= 0) {
            VERIFY_OK(
                admin("POST", "/api/admin/categories", R"({"slug":"errors-target","name":"Errors"})"), 201);
            id = categoryId(u"errors-target"_s);
            VERIFY_OK(admin("PATCH", "/api/admin/categories/" + QByteArray::number(id),
                R"({"version":1,"description":"version 2"})"));
        }
        const int version = int(scalar(u"SELECT version FROM categories WHERE id = %1"_s.arg(id)));
        QVERIFY(version >= 2);
        target.replace("{id}", QByteArray::number(id)).replace("{stale}", QByteArray::number(version - 1));
        body.replace("{v}", QByteArray::number(version)).replace("{stale}", QByteArray::number(version - 1));
        const QString before = fingerprint();
        const QJsonArray categoriesBefore = publicCategories();
        VERIFY_ERROR(call(method, target, body, AdminAuth), status, code, field);
        QCOMPARE(fingerprint(), before);
        QCOMPARE(publicCategories(), categoriesBefore);
    }

    void adminDeleteCategory()
    {
        const RawResponse created
            = admin("POST", "/api/admin/categories", R"({"slug":"doomed","name":"Doomed"})");
        VERIFY_OK(created, 201);
        const qint64 id = dataOf(created).toObject().value(u"id"_s).toInteger();
        const qint64 a = createProduct(u"Route Test Doomed A"_s, 1, id);
        const qint64 b = createProduct(u"Route Test Doomed B"_s, 1, id);
        QVERIFY(a > 0 && b > 0);
        QCOMPARE(publicCategory(u"doomed"_s).value(u"product_count"_s).toInteger(), 2);
        QCOMPARE(
            dataOf(get("/api/products/" + QByteArray::number(a))).toObject().value(u"category"_s).toString(),
            u"Doomed"_s);
        const qint64 total = activeCount();

        const QByteArray path = "/api/admin/categories/" + QByteArray::number(id);
        VERIFY_ERROR(admin("DELETE", path), 400, u"MISSING_FIELDS"_s, u"version"_s);
        VERIFY_ERROR(admin("DELETE", path + "?version=2"), 409, u"CONFLICT"_s);
        const RawResponse deleted = admin("DELETE", path + "?version=1");
        VERIFY_OK(deleted);
        QCOMPARE(dataOf(deleted).toObject(), (QJsonObject {{u"id"_s, id}, {u"deleted"_s, true}}));

        // Gone from the categories at once; its products stay, uncategorised.
        QVERIFY(publicCategory(u"doomed"_s).isEmpty());
        VERIFY_ERROR(get("/api/products?category=doomed"), 404, u"NOT_FOUND"_s);
        for (const qint64 pid : {a, b}) {
            const RawResponse r = get("/api/products/" + QByteArray::number(pid));
            VERIFY_OK(r);
            const QJsonObject p = dataOf(r).toObject();
            QVERIFY2(p.value(u"category"_s).isNull(), r.body.constData());
            QVERIFY2(p.value(u"category_slug"_s).isNull(), r.body.constData());
            QVERIFY(adminProduct(pid).value(u"category_id"_s).isNull());
        }
        QCOMPARE(dataOf(get("/api/products"))
                     .toObject()
                     .value(u"pagination"_s)
                     .toObject()
                     .value(u"total"_s)
                     .toInteger(),
            total);
        VERIFY_ERROR(admin("DELETE", path + "?version=1"), 404, u"NOT_FOUND"_s);
        for (const QJsonValue &c : dataOf(admin("GET", "/api/admin/categories")).toArray())
            QVERIFY(c.toObject().value(u"id"_s).toInteger() != id);
    }

    // --- The audit log ---------------------------------------------------------------------

    void auditTrail_data()
    {
        QTest::addColumn<QString>("action");
        for (const QString &action :
            {u"product.create"_s, u"product.update"_s, u"product.stock_adjust"_s, u"product.deactivate"_s,
                u"product.delete"_s, u"category.create"_s, u"category.update"_s, u"category.delete"_s})
            QTest::addRow("%s", qPrintable(action)) << action;
    }

    void auditTrail()
    {
        QFETCH(QString, action);
        QVERIFY2(
            scalar(u"SELECT count(*) FROM audit_log WHERE action = '%1' AND actor_label = 'test-admin'"_s.arg(
                action))
                > 0,
            qPrintable(action));
        // The API records where the call came from.
        QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE action = '%1' AND actor_label = 'test-admin'"
                        " AND source <> '127.0.0.1'"_s.arg(action)),
            0);
        if (action == u"product.update") {
            // before and after, so a reviewer can see what changed.
            QCOMPARE(text(u"SELECT after->>'name' FROM audit_log WHERE action = 'product.update'"
                          " AND before->>'name' = 'Route Test Lamp' ORDER BY id LIMIT 1"_s),
                u"Route Test Lamp II"_s);
        }
        if (action == u"product.stock_adjust") {
            QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE action = 'product.stock_adjust'"
                            " AND after->>'reason' = 'restock' AND (after->>'delta')::int = 5"
                            " AND actor_label = 'test-admin'"_s),
                1);
        }
    }
};

QTEST_GUILESS_MAIN(TestCatalogRoutes)
#include "tst_catalogroutes.moc"
