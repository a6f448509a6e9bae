#pragma once

#include "provider.h"
#include "stripeclient.h"

namespace shop::db {
class Database;
}

namespace shop::payments {

// What the storefront needs to show Stripe's card form for an order.
struct CheckoutIntent
{
    QString paymentIntentId;
    QString clientSecret; // for the shopper's browser only; never logged
    qint64 amountCents = 0;
    QString currency;     // as the order has it ("USD")
    QString status;       // the PaymentIntent's status
    bool reused = false;  // the order's existing intent, not a new one
};

// Card payments through Stripe PaymentIntents (DESIGN.md "Payments"). The intent is
// made when the shopper is ready to pay (POST /api/payment/create-intent); the order
// becomes paid when Stripe's signed webhook says so (StripeWebhook), never because a
// browser claims it.
class StripeProvider final : public PaymentProvider
{
public:
    StripeProvider(db::Database &database, StripeClient::Options options);

    QString name() const override { return QStringLiteral("stripe"); }
    // POST /v1/refunds against the order's PaymentIntent, with the order service's
    // idempotency key (made unique to this order). A refund Stripe reports as failed
    // or canceled is an error; pending counts as sent (charge.refunded confirms it).
    Result<RefundReceipt> refund(const orders::Order &order, qint64 amountCents, const QString &reason,
                                 const QString &idempotencyKey) override;

    // The PaymentIntent for `userId`'s order `orderId`: the order's own one when it has
    // a usable one (retrieved for its client secret), else a new one, stored on the
    // order (payment_status pending). Errors: NotFound; FORBIDDEN (someone else's
    // order); ALREADY_PAID (409), also when Stripe says the intent already succeeded
    // (the payment is then recorded at once, in case the webhook is late);
    // ORDER_NOT_PAYABLE (409) for a cancelled or refunded order; the client's errors.
    // No database connection is held while Stripe is called.
    Result<CheckoutIntent> intentForOrder(qint64 userId, qint64 orderId);

    StripeClient &client() { return m_client; }

    // The order as create-intent reads it (no lock held while Stripe is called).
    struct OrderSnapshot
    {
        qint64 userId = 0;
        QString status;
        QString paymentStatus;
        qint64 totalCents = 0;
        QString currency;
        QString paymentIntentId;
        qint64 createdMs = 0;
    };

private:
    Result<CheckoutIntent> store(qint64 orderId, const OrderSnapshot &order, const PaymentIntent &intent, bool reused);

    db::Database &m_database;
    StripeClient m_client;
};

} // namespace shop::payments
