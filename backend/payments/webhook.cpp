#include "webhook.h"

#include "core/actor.h"
#include "db/database.h"
#include "orders/order.h"
#include "orders/orderservice.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QLoggingCategory>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace shop::payments {

namespace {

Q_LOGGING_CATEGORY(lcWebhook, "shop.payments")

constexpr auto Provider = "stripe";
constexpr int RetryAfterSeconds = 5;

enum class Handled { Succeeded, Failed, Canceled, Refunded, Other };

Handled handledType(const QString &type)
{
    if (type == "payment_intent.succeeded"_L1)
        return Handled::Succeeded;
    if (type == "payment_intent.payment_failed"_L1)
        return Handled::Failed;
    if (type == "payment_intent.canceled"_L1)
        return Handled::Canceled;
    if (type == "charge.refunded"_L1)
        return Handled::Refunded;
    return Handled::Other;
}

Actor stripeActor()
{
    return Actor{std::nullopt, u"stripe"_s, u"webhook"_s};
}

std::optional<qint64> positiveId(const QJsonValue &value)
{
    bool ok = false;
    const qint64 id = value.isString() ? value.toString().toLongLong(&ok) : 0;
    if (!ok || id <= 0)
        return std::nullopt;
    return id;
}

// The PaymentIntent an event is about: the object itself for payment_intent.*, the
// charge's payment_intent (an id, or the expanded object) for charge.*.
QString intentOf(Handled handled, const QJsonObject &object)
{
    if (handled != Handled::Refunded)
        return object.value(u"id"_s).toString();
    const QJsonValue pi = object.value(u"payment_intent"_s);
    return pi.isObject() ? pi.toObject().value(u"id"_s).toString() : pi.toString();
}

Result<bool> recorded(db::Connection &conn, const QString &providerRef)
{
    auto q = conn.query(u"SELECT 1 FROM payments WHERE provider = :provider AND provider_ref = :ref"_s);
    q.bind(u":provider"_s, QString::fromLatin1(Provider));
    q.bind(u":ref"_s, providerRef);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    return q.next();
}

Status recordOutcome(db::Connection &conn, const QString &eventId, std::optional<qint64> orderId,
                     const QString &outcome)
{
    auto q = conn.query(u"UPDATE stripe_events SET order_id = :order::bigint, outcome = :outcome"
                        " WHERE event_id = :id"_s);
    q.bind(u":order"_s, orderId ? QVariant(*orderId) : QVariant());
    q.bind(u":outcome"_s, outcome.left(500));
    q.bind(u":id"_s, eventId);
    return q.exec();
}

QString paidStateText(const orders::Order &o)
{
    return o.status == QLatin1StringView(orders::status::PendingPayment) ? o.paymentStatus : o.status;
}

} // namespace

StripeWebhook::StripeWebhook(db::Database &database, QByteArray secret, Options options)
    : m_database(database), m_signature(std::move(secret), options.tolerance, options.clock),
      m_options(std::move(options))
{
    if (!m_options.clock)
        m_options.clock = [] { return QDateTime::currentSecsSinceEpoch(); };
}

Result<WebhookOutcome> StripeWebhook::process(const QByteArray &rawBody, const QByteArray &signatureHeader)
{
    // The signature covers the bytes as they arrived; nothing is parsed before it holds.
    const StripeSignature::Check check = m_signature.verify(rawBody, signatureHeader);
    if (check != StripeSignature::Check::Valid) {
        qCWarning(lcWebhook).noquote() << "Stripe webhook refused:" << StripeSignature::describe(check);
        if (check == StripeSignature::Check::NoSecret)
            return fail(Error(Error::Kind::Unavailable, u"Stripe webhooks are not configured on this shop"_s,
                              u"WEBHOOK_NOT_CONFIGURED"_s));
        return fail(Error(Error::Kind::InvalidRequest, u"Webhook signature rejected: "_s + StripeSignature::describe(check),
                          u"INVALID_SIGNATURE"_s));
    }

    QJsonParseError parseError;
    const QJsonObject event = QJsonDocument::fromJson(rawBody, &parseError).object();
    const QString eventId = event.value(u"id"_s).toString();
    const QString type = event.value(u"type"_s).toString();
    const QJsonObject object = event.value(u"data"_s).toObject().value(u"object"_s).toObject();
    if (parseError.error != QJsonParseError::NoError || eventId.isEmpty() || eventId.size() > 255 || type.isEmpty()
        || type.size() > 255)
        return fail(Error::invalid(u"The body is not a Stripe event"_s));
    const qint64 created = event.value(u"created"_s).toInteger(m_options.clock());

    WebhookOutcome out;
    out.eventId = eventId;
    out.type = type;
    const Handled handled = handledType(type);

    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());

    // The claim on the event id. A concurrent delivery of the same event blocks here on
    // the first one's uncommitted row, then finds it: DO NOTHING, no unique violation.
    auto claim = conn->query(u"INSERT INTO stripe_events (event_id, type, outcome) VALUES (:id, :type, 'processing')"
                             " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"_s);
    claim.bind(u":id"_s, eventId);
    claim.bind(u":type"_s, type);
    if (auto ok = claim.exec(); !ok)
        return std::unexpected(ok.error());
    if (!claim.next()) {
        out.kind = WebhookOutcome::Kind::Duplicate;
        out.outcome = u"duplicate"_s;
        qCInfo(lcWebhook).noquote() << "Stripe event" << eventId << type << "already processed";
        return out;
    }

    const auto finish = [&](WebhookOutcome::Kind kind, const QString &outcome) -> Result<WebhookOutcome> {
        if (auto ok = recordOutcome(*conn, eventId, out.orderId, outcome); !ok)
            return std::unexpected(ok.error());
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        out.kind = kind;
        out.outcome = outcome;
        qCInfo(lcWebhook).noquote() << "Stripe event" << eventId << type << "->" << outcome
                                    << (out.orderId ? u"order %1"_s.arg(*out.orderId) : QString());
        return out;
    };

    if (handled == Handled::Other)
        return finish(WebhookOutcome::Kind::Ignored, u"ignored"_s);

    // Which order: the metadata ShopDesk put on the intent, else the intent stored on
    // the order.
    const QJsonObject metadata = object.value(u"metadata"_s).toObject();
    const QString intentId = intentOf(handled, object);
    std::optional<qint64> orderId = positiveId(metadata.value(u"order_id"_s));
    const bool named = orderId.has_value();
    if (!orderId && !intentId.isEmpty()) {
        auto byIntent = conn->query(u"SELECT id FROM orders WHERE payment_intent_id = :intent"_s);
        byIntent.bind(u":intent"_s, intentId);
        if (auto ok = byIntent.exec(); !ok)
            return std::unexpected(ok.error());
        if (byIntent.next())
            orderId = byIntent.value(0).toLongLong();
    }
    if (!orderId)
        return finish(WebhookOutcome::Kind::Ignored, u"ignored: no ShopDesk order"_s);

    auto locked = orders::OrderService::lockOrder(*conn, *orderId);
    if (!locked) {
        if (locked.error().kind() != Error::Kind::NotFound)
            return std::unexpected(locked.error());
        // Not visible (yet): the order's transaction may still be committing. Leave
        // the event unrecorded (the transaction rolls back) and let Stripe retry.
        if (named && m_options.clock() - created < m_options.missingOrderWindow.count()) {
            qCInfo(lcWebhook).noquote() << "Stripe event" << eventId << type << "names order" << *orderId
                                        << "which is not visible yet; Stripe will retry";
            return fail(Error(Error::Kind::Unavailable, u"The order is not ready yet; retry later"_s,
                              u"ORDER_NOT_READY"_s)
                            .withRetryAfter(RetryAfterSeconds));
        }
        qCWarning(lcWebhook).noquote() << "Stripe event" << eventId << type << "names order" << *orderId
                                       << "which does not exist";
        return finish(WebhookOutcome::Kind::Ignored, u"ignored: no such order"_s);
    }
    out.orderId = *orderId;

    // Signed by Stripe, but it must also be about this order of this customer.
    if (const auto user = positiveId(metadata.value(u"user_id"_s)); user && *user != locked->userId) {
        qCWarning(lcWebhook).noquote() << "Stripe event" << eventId << "names order" << *orderId
                                       << "with another customer; not applied";
        return finish(WebhookOutcome::Kind::Ignored, u"ignored: customer does not match the order"_s);
    }
    const QString currency = object.value(u"currency"_s).toString();
    if (!currency.isEmpty() && currency.compare(locked->currency, Qt::CaseInsensitive) != 0) {
        qCWarning(lcWebhook).noquote() << "Stripe event" << eventId << "is in" << currency << "but order"
                                       << *orderId << "is in" << locked->currency << "; not applied";
        return finish(WebhookOutcome::Kind::Ignored, u"ignored: currency does not match the order"_s);
    }

    switch (handled) {
    case Handled::Succeeded: {
        const qint64 received = object.value(u"amount_received"_s).toInteger();
        const qint64 amount = received > 0 ? received : object.value(u"amount"_s).toInteger();
        if (amount <= 0 || intentId.isEmpty())
            return finish(WebhookOutcome::Kind::Ignored, u"ignored: no amount"_s);
        auto before = recorded(*conn, intentId);
        if (!before)
            return std::unexpected(before.error());
        if (*before)
            return finish(WebhookOutcome::Kind::Processed, u"payment already recorded"_s);
        if (amount != locked->totalCents)
            qCWarning(lcWebhook).noquote() << "Stripe event" << eventId << "paid" << amount << "cents for order"
                                           << *orderId << "whose total is" << locked->totalCents;
        if (auto ok = orders::OrderService::recordPayment(*conn, *locked, amount, QString::fromLatin1(Provider),
                                                          intentId, stripeActor());
            !ok)
            return std::unexpected(ok.error());
        // An intent made outside create-intent (or whose storing failed): remember it,
        // so refunds and charge.refunded find the order.
        if (locked->paymentIntentId.isEmpty()) {
            auto remember = conn->query(u"UPDATE orders SET payment_intent_id = :intent WHERE id = :id"
                                        " AND payment_intent_id IS NULL AND NOT EXISTS"
                                        " (SELECT 1 FROM orders WHERE payment_intent_id = :intent)"_s);
            remember.bind(u":intent"_s, intentId);
            remember.bind(u":id"_s, *orderId);
            if (auto ok = remember.exec(); !ok)
                return std::unexpected(ok.error());
        }
        return finish(WebhookOutcome::Kind::Processed,
                      locked->status == QLatin1StringView(orders::status::PendingPayment)
                          ? u"paid"_s
                          : u"payment recorded; the order was %1"_s.arg(locked->status));
    }
    case Handled::Failed:
    case Handled::Canceled: {
        // Events arrive in any order: a failure reported after the payment succeeded
        // (or for an intent that was replaced) changes nothing.
        if (locked->status != QLatin1StringView(orders::status::PendingPayment) || locked->paymentStatus == "paid"_L1)
            return finish(WebhookOutcome::Kind::Processed, u"no change: the order is %1"_s.arg(paidStateText(*locked)));
        QString reason;
        if (handled == Handled::Failed) {
            const QJsonObject error = object.value(u"last_payment_error"_s).toObject();
            reason = error.value(u"message"_s).toString();
            if (reason.isEmpty())
                reason = error.value(u"code"_s).toString();
        } else {
            reason = u"payment canceled"_s;
            if (const QString why = object.value(u"cancellation_reason"_s).toString(); !why.isEmpty())
                reason += u" ("_s + why + u')';
        }
        if (auto ok = orders::OrderService::recordPaymentFailure(*conn, *locked, QString::fromLatin1(Provider),
                                                                 reason.left(200), stripeActor());
            !ok)
            return std::unexpected(ok.error());
        return finish(WebhookOutcome::Kind::Processed,
                      handled == Handled::Failed ? u"payment failed"_s : u"payment canceled"_s);
    }
    case Handled::Refunded: {
        // Each refund once: by its re_ id when the event lists them (the admin's own
        // refunds are already recorded under that id), else (API versions since
        // 2022-11-15 leave the list out) by how far amount_refunded grew past what
        // the order has recorded. Never more than is left to refund.
        qint64 total = 0;
        const QJsonArray refunds = object.value(u"refunds"_s).toObject().value(u"data"_s).toArray();
        if (!refunds.isEmpty()) {
            for (const QJsonValue &value : refunds) {
                const QJsonObject refund = value.toObject();
                const QString id = refund.value(u"id"_s).toString();
                const QString status = refund.value(u"status"_s).toString();
                if (id.isEmpty() || status == "failed"_L1 || status == "canceled"_L1)
                    continue;
                auto before = recorded(*conn, id);
                if (!before)
                    return std::unexpected(before.error());
                const qint64 left = locked->totalCents - locked->refundedCents;
                const qint64 amount = std::min(refund.value(u"amount"_s).toInteger(), left);
                if (*before || amount <= 0)
                    continue;
                if (auto ok = orders::OrderService::recordRefund(*conn, *locked, amount, QString::fromLatin1(Provider),
                                                                 id, u"Refunded in Stripe"_s, stripeActor());
                    !ok)
                    return std::unexpected(ok.error());
                total += amount;
                locked = orders::OrderService::lockOrder(*conn, *orderId); // refunded_cents moved
                if (!locked)
                    return std::unexpected(locked.error());
            }
        } else {
            const qint64 refunded = object.value(u"amount_refunded"_s).toInteger();
            const qint64 amount = std::min(refunded - locked->refundedCents, locked->totalCents - locked->refundedCents);
            const QString ref = object.value(u"id"_s).toString() + u'/' + QString::number(refunded);
            if (amount > 0) {
                if (auto ok = orders::OrderService::recordRefund(*conn, *locked, amount, QString::fromLatin1(Provider),
                                                                 ref, u"Refunded in Stripe"_s, stripeActor());
                    !ok)
                    return std::unexpected(ok.error());
                total = amount;
            }
        }
        return finish(WebhookOutcome::Kind::Processed,
                      total > 0 ? u"refunded %1 cents"_s.arg(total) : u"refund already recorded"_s);
    }
    case Handled::Other:
        break;
    }
    return finish(WebhookOutcome::Kind::Ignored, u"ignored"_s);
}

} // namespace shop::payments
