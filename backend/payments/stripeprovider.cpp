#include "stripeprovider.h"

#include "db/database.h"
#include "orders/order.h"
#include "orders/orderservice.h"

#include <QLoggingCategory>

using namespace Qt::StringLiterals;

namespace shop::payments {

namespace {

Q_LOGGING_CATEGORY(lcStripeProvider, "shop.payments")

using OrderSnapshot = StripeProvider::OrderSnapshot;

Result<OrderSnapshot> snapshot(db::Database &database, qint64 orderId)
{
    auto conn = database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT user_id, status, payment_status, total_cents, currency,"
                         " coalesce(payment_intent_id, ''), (extract(epoch FROM created_at) * 1000)::bigint"
                         " FROM orders WHERE id = :id"_s);
    q.bind(u":id"_s, orderId);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next())
        return fail(Error::notFound(u"No such order"_s));
    return OrderSnapshot{q.value(0).toLongLong(), q.value(1).toString(),   q.value(2).toString(),
                         q.value(3).toLongLong(), q.value(4).toString(),   q.value(5).toString(),
                         q.value(6).toLongLong()};
}

bool isPaid(const OrderSnapshot &o)
{
    return o.paymentStatus == "paid"_L1 || o.paymentStatus == "refunded"_L1
           || o.paymentStatus == "partially_refunded"_L1;
}

Error alreadyPaid()
{
    return Error(Error::Kind::Conflict, u"This order is already paid"_s, u"ALREADY_PAID"_s);
}

// Idempotency keys made from the order's id and its creation time: the same for every
// attempt at one order (two concurrent create-intent calls get one intent), different
// for a same-numbered order of another database on the same Stripe account (a
// recreated test shop) within Stripe's 24-hour key window.
QString orderKey(qint64 orderId, const OrderSnapshot &o)
{
    return u"shopdesk-order-%1-%2"_s.arg(orderId).arg(o.createdMs);
}

} // namespace

StripeProvider::StripeProvider(db::Database &database, StripeClient::Options options)
    : m_database(database), m_client(std::move(options))
{}

Result<RefundReceipt> StripeProvider::refund(const orders::Order &order, qint64 amountCents, const QString &reason,
                                             const QString &idempotencyKey)
{
    QString intent = order.paymentIntentId;
    if (intent.isEmpty()) {
        for (const orders::Payment &p : order.payments) {
            if (p.kind == "payment"_L1 && p.provider == name() && p.status == "succeeded"_L1
                && p.providerRef.startsWith("pi_"_L1))
                intent = p.providerRef;
        }
    }
    if (intent.isEmpty())
        return fail(Error(Error::Kind::Conflict, u"Order %1 has no Stripe payment to refund"_s.arg(order.number()),
                          u"NOT_REFUNDABLE"_s));
    const QString key =
        u"shopdesk-%1-%2-%3"_s.arg(order.id).arg(order.createdAt.toMSecsSinceEpoch()).arg(idempotencyKey).left(255);
    auto refund = m_client.createRefund(intent, amountCents, reason,
                                        {{u"order_id"_s, QString::number(order.id)},
                                         {u"order_number"_s, order.number()}},
                                        key);
    if (!refund)
        return std::unexpected(refund.error());
    if (refund->status == "failed"_L1 || refund->status == "canceled"_L1)
        return fail(Error(Error::Kind::Conflict, u"Stripe could not make the refund (%1)"_s.arg(refund->status),
                          u"PAYMENT_PROVIDER_REFUSED"_s));
    qCInfo(lcStripeProvider).noquote() << "refund" << refund->id << refund->status << "for order" << order.id
                                       << amountCents << "cents";
    return RefundReceipt{refund->id, refund->status == "succeeded"_L1 ? u"succeeded"_s : u"pending"_s};
}

Result<CheckoutIntent> StripeProvider::intentForOrder(qint64 userId, qint64 orderId)
{
    auto order = snapshot(m_database, orderId);
    if (!order)
        return std::unexpected(order.error());
    if (order->userId != userId)
        return fail(Error(Error::Kind::Forbidden, u"This order belongs to another account"_s, u"FORBIDDEN"_s));
    if (isPaid(*order))
        return fail(alreadyPaid());
    if (order->status != QLatin1StringView(orders::status::PendingPayment))
        return fail(Error(Error::Kind::Conflict, u"This order is %1 and cannot be paid"_s.arg(order->status),
                          u"ORDER_NOT_PAYABLE"_s));

    const QString previous = order->paymentIntentId;
    QString key = orderKey(orderId, *order);
    if (!previous.isEmpty()) {
        auto existing = m_client.retrievePaymentIntent(previous);
        if (existing) {
            if (existing->status == "succeeded"_L1) {
                // Paid, and the webhook has not arrived (or was lost): record it now.
                // Idempotent by the intent's id, so the webhook changes nothing later.
                auto conn = m_database.acquire();
                if (!conn)
                    return std::unexpected(conn.error());
                db::Transaction tx(*conn);
                if (auto ok = tx.begin(); !ok)
                    return std::unexpected(ok.error());
                auto locked = orders::OrderService::lockOrder(*conn, orderId);
                if (!locked)
                    return std::unexpected(locked.error());
                const qint64 amount = existing->amountReceived > 0 ? existing->amountReceived : existing->amount;
                if (existing->currency.compare(locked->currency, Qt::CaseInsensitive) == 0) {
                    if (auto ok = orders::OrderService::recordPayment(*conn, *locked, amount, name(), existing->id,
                                                                      Actor{std::nullopt, u"stripe"_s, u"create-intent"_s});
                        !ok)
                        return std::unexpected(ok.error());
                    if (auto ok = tx.commit(); !ok)
                        return std::unexpected(ok.error());
                }
                return fail(alreadyPaid());
            }
            const bool usable = existing->status != "canceled"_L1 && existing->amount == order->totalCents
                                && existing->currency.compare(order->currency, Qt::CaseInsensitive) == 0;
            if (usable)
                return store(orderId, *order, *existing, true);
        } else if (existing.error().kind() != Error::Kind::NotFound) {
            return std::unexpected(existing.error());
        }
        // Cancelled, changed, or unknown to this Stripe account (the key was switched):
        // a new intent, keyed by the one it replaces.
        key += u"-after-"_s + previous;
    }

    orders::Order named;
    named.id = orderId;
    auto created = m_client.createPaymentIntent(order->totalCents, order->currency,
                                                {{u"order_id"_s, QString::number(orderId)},
                                                 {u"user_id"_s, QString::number(userId)},
                                                 {u"order_number"_s, named.number()}},
                                                key.left(255));
    if (!created)
        return std::unexpected(created.error());
    qCInfo(lcStripeProvider).noquote() << "payment intent" << created->id << "for order" << orderId
                                       << order->totalCents << "cents" << order->currency;
    return store(orderId, *order, *created, false);
}

Result<CheckoutIntent> StripeProvider::store(qint64 orderId, const OrderSnapshot &order, const PaymentIntent &intent,
                                             bool reused)
{
    const CheckoutIntent answer{intent.id, intent.clientSecret, order.totalCents, order.currency, intent.status,
                                reused};
    if (reused && order.paymentStatus == "pending"_L1)
        return answer; // a repeat: nothing to write
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    // Only over the intent this call saw (or none): a concurrent call for the same
    // order used the same key and got the same intent, so it matches too.
    auto q = conn->query(u"UPDATE orders SET payment_intent_id = :intent,"
                         " payment_status = CASE WHEN payment_status IN ('unpaid', 'failed') THEN 'pending'"
                         " ELSE payment_status END, version = version + 1"
                         " WHERE id = :id AND status = 'pending_payment'"
                         " AND (payment_intent_id IS NULL OR payment_intent_id = :intent OR payment_intent_id = :previous)"
                         " RETURNING id"_s);
    q.bind(u":intent"_s, intent.id);
    q.bind(u":previous"_s, order.paymentIntentId);
    q.bind(u":id"_s, orderId);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next()) {
        // Paid, cancelled or given another intent meanwhile.
        auto now = snapshot(m_database, orderId);
        if (now && isPaid(*now))
            return fail(alreadyPaid());
        return fail(Error(Error::Kind::Conflict, u"The order changed while the payment was prepared; try again"_s,
                          u"CONFLICT"_s));
    }
    return answer;
}

} // namespace shop::payments
