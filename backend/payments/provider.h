#pragma once

#include "core/result.h"

#include <QString>

namespace shop::orders {
struct Order;
}

namespace shop::payments {

struct RefundReceipt
{
    QString providerRef; // e.g. "re_..."; empty when nothing was sent anywhere
    QString status;      // "succeeded" or "pending" (the provider confirms later)
};

// How money moves for an order (DESIGN.md "Payments"). `manual` (the default) sends
// nothing anywhere: the admin records what happened at the till or the bank. `stripe`
// talks to Stripe's REST API.
class PaymentProvider
{
public:
    virtual ~PaymentProvider() = default;
    virtual QString name() const = 0;
    // Gives `amountCents` of `order` back to the customer. The caller holds the order's
    // row lock and records the receipt in the same transaction. `idempotencyKey` makes a
    // retried call (after a timeout) refund once.
    virtual Result<RefundReceipt> refund(const orders::Order &order, qint64 amountCents, const QString &reason,
                                         const QString &idempotencyKey) = 0;
};

class ManualProvider final : public PaymentProvider
{
public:
    QString name() const override { return QStringLiteral("manual"); }
    Result<RefundReceipt> refund(const orders::Order &, qint64, const QString &, const QString &) override
    {
        return RefundReceipt{QString(), QStringLiteral("succeeded")};
    }
};

} // namespace shop::payments
