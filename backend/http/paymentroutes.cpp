#include "paymentroutes.h"

#include "auth/authservice.h"
#include "authroutes.h"
#include "json.h"
#include "payments/stripeprovider.h"
#include "payments/webhook.h"

#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

// {order_id}: a whole number, or its digits as text (the learning lab's clients).
Result<qint64> orderIdOf(const Request &request)
{
    auto body = jsonObject(request);
    if (!body)
        return std::unexpected(body.error());
    const QJsonValue value = body->value(u"order_id"_s);
    if (value.isUndefined() || value.isNull())
        return fail(Error(Error::Kind::MissingFields, u"Required fields are missing"_s)
                        .withField(u"order_id"_s, u"Required"_s));
    qint64 id = 0;
    if (value.isDouble() && value.toDouble() == double(value.toInteger()))
        id = value.toInteger();
    else if (value.isString())
        id = value.toString().trimmed().toLongLong();
    if (id <= 0)
        return fail(Error(Error::Kind::Validation, u"Some fields need attention"_s)
                        .withField(u"order_id"_s, u"An order id"_s));
    return id;
}

double units(qint64 cents)
{
    return double(cents) / 100.0;
}

Response noStore(Response r)
{
    r.withHeader("Cache-Control", "no-store");
    return r;
}

} // namespace

void addPaymentRoutes(Router &router, const PaymentRoutesContext *context)
{
    router.post(u"/api/payment/create-intent"_s, [context](const Request &request) {
        auto user = signedInUser(context->auth, request);
        if (!user)
            return Response::error(user.error());
        auto orderId = orderIdOf(request);
        if (!orderId)
            return Response::error(orderId.error());
        if (!context->stripe)
            return Response::error(Error(Error::Kind::Conflict,
                                         u"This shop takes payment by other means; see GET /api/payment/config"_s,
                                         u"PAYMENT_PROVIDER_MANUAL"_s));
        auto intent = context->stripe->intentForOrder(user->id, *orderId);
        if (!intent)
            return Response::error(intent.error());
        return noStore(Response::ok(QJsonObject{
            {u"client_secret"_s, intent->clientSecret}, // seed-compatible
            {u"amount"_s, units(intent->amountCents)},  // seed-compatible: currency units
            {u"amount_cents"_s, intent->amountCents},
            {u"currency"_s, intent->currency},
            {u"payment_intent_id"_s, intent->paymentIntentId},
            {u"status"_s, intent->status},
            {u"order_id"_s, *orderId},
        }));
    }, Execution::Worker);

    router.post(u"/api/webhook/stripe"_s, [context](const Request &request) {
        if (!context->webhook)
            return Response::error(Error(Error::Kind::NotFound, u"This shop does not take Stripe payments"_s));
        // request.body is the raw bytes as received: the signature covers exactly them.
        auto outcome = context->webhook->process(request.body, request.header("stripe-signature"));
        if (!outcome)
            return Response::error(outcome.error());
        return Response::ok(QJsonObject{{u"received"_s, true},
                                        {u"event_id"_s, outcome->eventId},
                                        {u"outcome"_s, outcome->outcome},
                                        {u"duplicate"_s, outcome->kind == payments::WebhookOutcome::Kind::Duplicate}});
    }, Execution::Worker);

    router.get(u"/api/payment/config"_s, [context](const Request &) {
        QJsonObject config;
        if (context->stripe) {
            config.insert(u"provider"_s, u"stripe"_s);
            config.insert(u"publishable_key"_s, context->publishableKey);
        } else {
            config.insert(u"provider"_s, u"manual"_s);
            config.insert(u"instructions"_s, context->instructions);
        }
        return Response::ok(config);
    });
}

} // namespace shop::http
