#include "orderroutes.h"

#include "auth/authservice.h"
#include "authroutes.h"
#include "json.h"
#include "orders/cartservice.h"
#include "orders/orderservice.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

constexpr auto Work = Execution::Worker;

// The lab's money numbers (19.99) beside the exact cents.
double units(qint64 cents)
{
    return double(cents) / 100.0;
}

QJsonValue timestamp(const QDateTime &at)
{
    return at.isValid() ? QJsonValue(at.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}

QJsonObject cartJson(const orders::Cart &cart)
{
    QJsonArray items;
    for (const orders::CartLine &line : cart.lines) {
        items.append(QJsonObject{
            {u"id"_s, line.id},
            {u"product_id"_s, line.productId},
            {u"sku"_s, line.sku},
            {u"quantity"_s, line.quantity},
            {u"name"_s, line.name},
            {u"price"_s, units(line.unitPriceCents)},
            {u"price_cents"_s, line.unitPriceCents},
            {u"image_url"_s, line.imageUrl},
            {u"subtotal"_s, units(line.lineTotalCents)},
            {u"subtotal_cents"_s, line.lineTotalCents},
            {u"stock"_s, line.stock},
            // What checkout will decide: the product is sold and the stock covers the line.
            {u"available"_s, line.active && line.stock >= line.quantity},
        });
    }
    QJsonObject data{{u"items"_s, items},
                     {u"total"_s, units(cart.totalCents)},
                     {u"total_cents"_s, cart.totalCents},
                     {u"currency"_s, cart.currency},
                     {u"item_count"_s, cart.itemCount}};
    if (!cart.newGuestToken.isEmpty())
        data.insert(u"cart_token"_s, cart.newGuestToken);
    return data;
}

QJsonObject addressJson(const orders::Address &a)
{
    return QJsonObject{{u"name"_s, a.name},   {u"line1"_s, a.line1},   {u"line2"_s, a.line2},
                       {u"city"_s, a.city},   {u"region"_s, a.region}, {u"postal_code"_s, a.postalCode},
                       {u"country"_s, a.country}, {u"phone"_s, a.phone}};
}

QJsonObject orderJson(const orders::Order &o, bool details)
{
    QJsonArray items;
    for (const orders::OrderLine &line : o.lines) {
        items.append(QJsonObject{
            {u"id"_s, line.id},
            {u"product_id"_s, line.productId ? QJsonValue(*line.productId) : QJsonValue()},
            {u"sku"_s, line.sku},
            {u"name"_s, line.name},
            {u"price"_s, units(line.unitPriceCents)},
            {u"price_cents"_s, line.unitPriceCents},
            {u"quantity"_s, line.quantity},
            {u"subtotal"_s, units(line.lineTotalCents)},
            {u"subtotal_cents"_s, line.lineTotalCents},
        });
    }
    QJsonObject data{
        {u"id"_s, o.id},
        {u"number"_s, o.number()},
        {u"status"_s, o.status},
        {u"payment_status"_s, o.paymentStatus},
        {u"payment_provider"_s, o.paymentProvider},
        {u"currency"_s, o.currency},
        {u"total"_s, units(o.totalCents)},
        {u"total_cents"_s, o.totalCents},
        {u"subtotal"_s, units(o.subtotalCents)},
        {u"subtotal_cents"_s, o.subtotalCents},
        {u"shipping"_s, units(o.shippingCents)},
        {u"shipping_cents"_s, o.shippingCents},
        {u"refunded_cents"_s, o.refundedCents},
        {u"email"_s, o.email},
        {u"shipping_address"_s, addressJson(o.address)},
        {u"note"_s, o.customerNote},
        {u"carrier"_s, o.carrier},
        {u"tracking_number"_s, o.trackingNumber},
        {u"expires_at"_s, timestamp(o.expiresAt)},
        {u"created_at"_s, timestamp(o.createdAt)},
        {u"updated_at"_s, timestamp(o.updatedAt)},
        {u"item_count"_s, o.itemCount()},
        {u"can_cancel"_s, orders::OrderService::customerMayCancel(o.status)},
        {u"items"_s, items},
    };
    if (details) {
        QJsonArray events;
        for (const orders::OrderEvent &e : o.events)
            events.append(QJsonObject{{u"from_status"_s, e.fromStatus.isEmpty() ? QJsonValue() : QJsonValue(e.fromStatus)},
                                      {u"to_status"_s, e.toStatus},
                                      {u"actor"_s, e.actor},
                                      {u"note"_s, e.note},
                                      {u"created_at"_s, timestamp(e.at)}});
        data.insert(u"events"_s, events);
        QJsonArray payments;
        for (const orders::Payment &p : o.payments)
            payments.append(QJsonObject{{u"kind"_s, p.kind},
                                        {u"provider"_s, p.provider},
                                        {u"amount_cents"_s, p.amountCents},
                                        {u"status"_s, p.status},
                                        {u"reason"_s, p.reason},
                                        {u"created_at"_s, timestamp(p.at)}});
        data.insert(u"payments"_s, payments);
    }
    return data;
}

Response noStore(Response r)
{
    r.withHeader("Cache-Control", "no-store");
    return r;
}

Response cartResponse(const Result<orders::Cart> &cart)
{
    return noStore(Response::from(cart, cartJson));
}

Response orderResponse(const Result<orders::Order> &order, int status = 200)
{
    return noStore(Response::from(order, [](const orders::Order &o) { return orderJson(o, true); }, status));
}

// Whose cart this request means: the signed-in user's (a bad token is an error, never
// a silent fall back to a guest cart), else the guest's X-Cart-Token.
Result<orders::CartOwner> cartOwner(const OrderRoutesContext *context, const Request &request)
{
    const QString token = bearerToken(request);
    if (!token.isEmpty()) {
        auto user = context->auth->authenticate(token);
        if (!user)
            return std::unexpected(user.error());
        return orders::CartOwner{user->id, {}};
    }
    const QString guest = QString::fromLatin1(request.header("x-cart-token"));
    static const QRegularExpression shape(u"^[A-Za-z0-9_-]{20,100}$"_s);
    if (!guest.isEmpty() && !shape.match(guest).hasMatch())
        return fail(Error(Error::Kind::InvalidRequest, u"X-Cart-Token is not a cart token"_s, u"INVALID_REQUEST"_s));
    return orders::CartOwner{std::nullopt, guest};
}

Handler withCart(const OrderRoutesContext *context,
                 std::function<Response(const Request &, const orders::CartOwner &)> handler)
{
    return [context, handler = std::move(handler)](const Request &request) {
        auto owner = cartOwner(context, request);
        if (!owner)
            return Response::error(owner.error());
        return handler(request, *owner);
    };
}

Handler signedIn(const OrderRoutesContext *context,
                 std::function<Response(const Request &, const auth::User &)> handler)
{
    return http::signedIn(context->auth, std::move(handler));
}

Handler admin(const OrderRoutesContext *context, std::function<Response(const Request &, const Actor &)> handler)
{
    return withAdmin(context->adminGuard, std::move(handler));
}

// A body that may be empty ({} then).
Result<QJsonObject> optionalBody(const Request &request)
{
    if (request.body.trimmed().isEmpty())
        return QJsonObject();
    return jsonObject(request);
}

Result<orders::CheckoutInput> checkoutInput(const Request &request)
{
    auto body = jsonObject(request);
    if (!body)
        return std::unexpected(body.error());
    JsonReader in(*body);
    in.require({u"shipping_address"_s});
    orders::CheckoutInput input;
    const QJsonValue address = body->value(u"shipping_address"_s);
    if (body->contains(u"shipping_address"_s) && !address.isObject())
        in.addError(u"shipping_address"_s, u"An object with name, line1, city, postal_code and country"_s);
    const QJsonObject a = address.toObject();
    const auto field = [&in, &a](const QString &key) -> QString {
        const QJsonValue v = a.value(key);
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isString()) {
            in.addError(u"shipping_address."_s + key, u"Must be text"_s);
            return {};
        }
        return v.toString().trimmed();
    };
    input.address = {field(u"name"_s),   field(u"line1"_s),       field(u"line2"_s),   field(u"city"_s),
                     field(u"region"_s), field(u"postal_code"_s), field(u"country"_s), field(u"phone"_s)};
    input.email = in.string(u"email"_s, 254).value_or(QString());
    input.customerNote = in.string(u"note"_s, 1000).value_or(QString());
    if (auto ok = in.status(); !ok)
        return std::unexpected(ok.error());
    return input;
}

void addCartRoutes(Router &router, const OrderRoutesContext *context)
{
    orders::CartService *carts = context->carts;
    router.get(u"/api/cart"_s, withCart(context, [carts](const Request &, const orders::CartOwner &owner) {
                   return cartResponse(carts->cart(owner));
               }), Work);
    router.post(u"/api/cart"_s, withCart(context, [carts](const Request &request, const orders::CartOwner &owner) {
                    auto body = jsonObject(request);
                    if (!body)
                        return Response::error(body.error());
                    JsonReader in(*body);
                    in.require({u"product_id"_s, u"quantity"_s});
                    const auto product = in.integer(u"product_id"_s, 1, std::numeric_limits<qint64>::max());
                    const auto quantity = in.integer(u"quantity"_s, 1, orders::CartService::MaxQuantityPerLine);
                    if (auto ok = in.status(); !ok)
                        return Response::error(ok.error());
                    return cartResponse(carts->add(owner, *product, int(*quantity)));
                }), Work);
    router.add("PATCH", u"/api/cart/items/{id:int}"_s,
               withCart(context, [carts](const Request &request, const orders::CartOwner &owner) {
                   const auto item = request.intParam(u"id");
                   if (!item)
                       return Response::error(Error::notFound(u"That item is not in your cart"_s));
                   auto body = jsonObject(request);
                   if (!body)
                       return Response::error(body.error());
                   JsonReader in(*body);
                   in.require({u"quantity"_s});
                   const auto quantity = in.integer(u"quantity"_s, 0, orders::CartService::MaxQuantityPerLine);
                   if (auto ok = in.status(); !ok)
                       return Response::error(ok.error());
                   // Zero removes the line, as a quantity stepper going down expects.
                   return cartResponse(*quantity == 0 ? carts->remove(owner, *item)
                                                      : carts->setQuantity(owner, *item, int(*quantity)));
               }), Work);
    router.add("DELETE", u"/api/cart/items/{id:int}"_s,
               withCart(context, [carts](const Request &request, const orders::CartOwner &owner) {
                   const auto item = request.intParam(u"id");
                   if (!item)
                       return Response::error(Error::notFound(u"That item is not in your cart"_s));
                   return cartResponse(carts->remove(owner, *item));
               }), Work);
    router.add("DELETE", u"/api/cart/clear"_s, withCart(context, [carts](const Request &, const orders::CartOwner &owner) {
                   return cartResponse(carts->clear(owner));
               }), Work);
    router.post(u"/api/cart/merge"_s, signedIn(context, [carts](const Request &request, const auth::User &user) {
                    auto body = optionalBody(request);
                    if (!body)
                        return Response::error(body.error());
                    JsonReader in(*body);
                    const auto token = in.string(u"cart_token"_s, 100);
                    if (auto ok = in.status(); !ok)
                        return Response::error(ok.error());
                    return cartResponse(carts->merge(user.id, token.value_or(QString())));
                }), Work);
}

void addShopperOrderRoutes(Router &router, const OrderRoutesContext *context)
{
    orders::OrderService *service = context->orders;
    router.post(u"/api/orders"_s, signedIn(context, [service](const Request &request, const auth::User &user) {
                    auto input = checkoutInput(request);
                    if (!input)
                        return Response::error(input.error());
                    bool replayed = false;
                    const QString key = QString::fromUtf8(request.header("idempotency-key")).trimmed();
                    auto order = service->checkout(user.id, *input, key, &replayed);
                    Response r = orderResponse(order, replayed ? 200 : 201);
                    if (order && replayed)
                        r.withHeader("Idempotent-Replayed", "true");
                    return r;
                }), Work);
    router.get(u"/api/orders"_s, signedIn(context, [service](const Request &, const auth::User &user) {
                   auto list = service->ordersOf(user.id);
                   return noStore(Response::from(list, [](const QList<orders::Order> &all) {
                       QJsonArray out;
                       for (const orders::Order &o : all)
                           out.append(orderJson(o, false));
                       return out;
                   }));
               }), Work);
    router.get(u"/api/orders/{id:int}"_s, signedIn(context, [service](const Request &request, const auth::User &user) {
                   return orderResponse(service->orderFor(user.id, *request.intParam(u"id")));
               }), Work);
    router.post(u"/api/orders/{id:int}/cancel"_s,
                signedIn(context, [service](const Request &request, const auth::User &user) {
                    auto body = optionalBody(request);
                    if (!body)
                        return Response::error(body.error());
                    JsonReader in(*body);
                    const auto reason = in.string(u"reason"_s, 500);
                    if (auto ok = in.status(); !ok)
                        return Response::error(ok.error());
                    return orderResponse(
                        service->cancelByCustomer(user.id, *request.intParam(u"id"), reason.value_or(QString())));
                }), Work);
}

void addAdminOrderRoutes(Router &router, const OrderRoutesContext *context)
{
    orders::OrderService *service = context->orders;
    router.get(u"/api/admin/orders"_s, admin(context, [service](const Request &request, const Actor &) {
                   orders::OrderFilter filter;
                   filter.status = request.query.queryItemValue(u"status"_s, QUrl::FullyDecoded);
                   filter.search = request.query.queryItemValue(u"q"_s, QUrl::FullyDecoded);
                   if (!filter.status.isEmpty() && !orders::allStatuses().contains(filter.status))
                       return Response::error(Error::invalid(u"status: one of "_s + orders::allStatuses().join(u", "_s)));
                   bool ok = true;
                   const auto number = [&request, &ok](const QString &key, int fallback, int min, int max) {
                       const QString text = request.query.queryItemValue(key);
                       if (text.isEmpty())
                           return fallback;
                       bool parsed = false;
                       const int v = text.toInt(&parsed);
                       if (!parsed || v < min || v > max)
                           ok = false;
                       return v;
                   };
                   filter.offset = number(u"offset"_s, 0, 0, 1'000'000'000);
                   filter.limit = number(u"limit"_s, 50, 1, 500);
                   if (!ok)
                       return Response::error(Error::invalid(u"offset >= 0 and limit 1..500"_s));
                   auto page = service->orders(filter);
                   return noStore(Response::from(page, [](const orders::OrderPage &p) {
                       QJsonArray rows;
                       for (const orders::OrderSummary &s : p.rows)
                           rows.append(QJsonObject{{u"id"_s, s.id},
                                                   {u"number"_s, orders::orderNumber(s.id)},
                                                   {u"status"_s, s.status},
                                                   {u"payment_status"_s, s.paymentStatus},
                                                   {u"email"_s, s.email},
                                                   {u"customer_name"_s, s.customerName},
                                                   {u"total"_s, units(s.totalCents)},
                                                   {u"total_cents"_s, s.totalCents},
                                                   {u"refunded_cents"_s, s.refundedCents},
                                                   {u"currency"_s, s.currency},
                                                   {u"item_count"_s, s.itemCount},
                                                   {u"created_at"_s, timestamp(s.createdAt)},
                                                   {u"updated_at"_s, timestamp(s.updatedAt)}});
                       QJsonObject counts;
                       for (const auto &[status, n] : p.counts)
                           counts.insert(status, n);
                       return QJsonObject{{u"orders"_s, rows}, {u"total"_s, p.total}, {u"counts"_s, counts}};
                   }));
               }), Work);
    const auto withActions = [](const orders::Order &o) {
        QJsonObject data = orderJson(o, true);
        QJsonArray actions;
        for (orders::Action a : orders::OrderService::legalActions(o.status))
            actions.append(orders::actionName(a));
        data.insert(u"legal_actions"_s, actions);
        data.insert(u"user_id"_s, o.userId);
        return data;
    };
    router.get(u"/api/admin/orders/{id:int}"_s, admin(context, [service, withActions](const Request &request, const Actor &) {
                   return noStore(Response::from(service->order(*request.intParam(u"id")), withActions));
               }), Work);
    router.post(u"/api/admin/orders/{id:int}/transition"_s,
                admin(context, [service, withActions](const Request &request, const Actor &actor) {
                    auto body = jsonObject(request);
                    if (!body)
                        return Response::error(body.error());
                    JsonReader in(*body);
                    in.require({u"action"_s});
                    const auto action = in.string(u"action"_s, 40);
                    orders::TransitionInput input;
                    input.note = in.string(u"note"_s, 500).value_or(QString());
                    input.carrier = in.string(u"carrier"_s, 100).value_or(QString());
                    input.trackingNumber = in.string(u"tracking_number"_s, 100).value_or(QString());
                    std::optional<orders::Action> parsed;
                    if (action) {
                        parsed = orders::actionFromName(*action);
                        if (!parsed)
                            in.addError(u"action"_s, u"One of mark_paid, pack, ship, deliver, cancel"_s);
                    }
                    if (auto ok = in.status(); !ok)
                        return Response::error(ok.error());
                    input.action = *parsed;
                    return noStore(
                        Response::from(service->transition(*request.intParam(u"id"), input, actor), withActions));
                }), Work);
    router.post(u"/api/admin/orders/{id:int}/refund"_s,
                admin(context, [service, withActions](const Request &request, const Actor &actor) {
                    auto body = jsonObject(request);
                    if (!body)
                        return Response::error(body.error());
                    JsonReader in(*body);
                    in.require({u"reason"_s});
                    std::optional<qint64> cents;
                    if (in.has(u"amount_cents"_s))
                        cents = in.integer(u"amount_cents"_s, 1, 10'000'000'000'000LL);
                    else if (in.has(u"amount"_s))
                        cents = in.cents(u"amount"_s);
                    else
                        in.require({u"amount_cents"_s});
                    const auto reason = in.string(u"reason"_s, 500);
                    if (auto ok = in.status(); !ok)
                        return Response::error(ok.error());
                    return noStore(Response::from(
                        service->refund(*request.intParam(u"id"), *cents, *reason, actor), withActions));
                }), Work);
}

} // namespace

void addOrderRoutes(Router &router, const OrderRoutesContext *context)
{
    addCartRoutes(router, context);
    addShopperOrderRoutes(router, context);
    addAdminOrderRoutes(router, context);
}

} // namespace shop::http
