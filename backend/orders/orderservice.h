#pragma once

#include "core/actor.h"
#include "core/result.h"
#include "order.h"

#include <QStringList>

#include <chrono>
#include <functional>

namespace shop::db {
class Connection;
class Database;
} // namespace shop::db

namespace shop::payments {
class PaymentProvider;
}

namespace shop::orders {

struct CheckoutInput
{
    Address address;
    QString email;        // empty: the account's email
    QString customerNote;
};

// Orders from checkout to delivery. The HTTP routes and the desktop Orders view both
// call it (the desktop off the GUI thread). Every call is synchronous, takes one pool
// lease and runs in one transaction; every transition writes order_events, and every
// admin action writes the audit log.
class OrderService
{
public:
    struct Options
    {
        // An unpaid order releases its stock after this long (the expiry job).
        std::chrono::minutes paymentWindow{24 * 60};
    };

    OrderService(db::Database &database, Options options);
    OrderService(db::Database &database) : OrderService(database, Options{}) {}

    // The active provider (not owned): new orders record its name, and refunds go
    // through it. Defaults to manual.
    void setPaymentProvider(payments::PaymentProvider *provider);
    payments::PaymentProvider *paymentProvider() const { return m_provider; }
    // Called after every committed change to stock (checkout, cancel, expiry) with the
    // products concerned, on the caller's thread: the runtime drops the cached catalog
    // pages that show them (stock is in the product).
    void setStockChangeHook(std::function<void(const QList<qint64> &productIds)> hook)
    {
        m_stockChanged = std::move(hook);
    }
    // The storefront's address for links in order mail ("https://shop.example.com").
    void setPublicUrl(const QString &url) { m_publicUrl = url; }

    // --- Shopper.
    // Creates an order from the user's cart in one transaction: a guarded stock
    // decrement per line (in product order, so two checkouts never deadlock), name and
    // price snapshots, ledger entries, the cart emptied; all or nothing.
    //  - EMPTY_CART (400) for an empty cart;
    //  - INSUFFICIENT_STOCK (409) with one field per short line ("items.<product_id>");
    //  - PRODUCT_UNAVAILABLE (409) for a line whose product was deactivated;
    //  - VALIDATION_FAILED (422) for the address (fields "shipping_address.<name>").
    // A non-empty idempotency key seen before for this user returns that order and sets
    // *replayed, whatever the cart holds now.
    Result<Order> checkout(qint64 userId, const CheckoutInput &input, const QString &idempotencyKey,
                           bool *replayed = nullptr);
    // Newest first, at most `limit`, lines included, events not.
    Result<QList<Order>> ordersOf(qint64 userId, int limit = 100);
    // NotFound when there is no such order, Forbidden when it is someone else's.
    Result<Order> orderFor(qint64 userId, qint64 orderId);
    // The shopper's cancel: only before shipping. Releases stock.
    Result<Order> cancelByCustomer(qint64 userId, qint64 orderId, const QString &reason);

    // --- Staff (desktop Orders view, /api/admin/orders).
    Result<OrderPage> orders(const OrderFilter &filter);
    Result<Order> order(qint64 orderId);
    // Conflict (409 ILLEGAL_TRANSITION) when the action is not legal in the current
    // status; Validation for a ship without carrier and tracking number.
    Result<Order> transition(qint64 orderId, const TransitionInput &input, const Actor &actor);
    // Money back through the order's provider: full or partial, at most what was paid
    // and not yet refunded. A refund that reaches the total makes the order refunded.
    Result<Order> refund(qint64 orderId, qint64 amountCents, const QString &reason, const Actor &actor);
    // Actions legal for an order in this state, in the order a toolbar shows them.
    static QList<Action> legalActions(const QString &status);
    static bool customerMayCancel(const QString &status);

    // --- The expiry job: cancels unpaid orders past their payment window and releases
    // their stock. Safe with several instances: rows are claimed with FOR UPDATE SKIP
    // LOCKED and re-checked under the lock. Returns how many it expired.
    Result<int> expireUnpaid(int limit = 100);

    // --- Building blocks for payment providers, inside the caller's transaction.
    // The order, locked FOR UPDATE until the transaction ends (NotFound if none).
    static Result<Order> lockOrder(db::Connection &connection, qint64 orderId);
    // A succeeded payment: recorded, and a pending_payment order becomes paid. A payment
    // for a cancelled order is recorded and noted on the timeline (refund due). Nothing
    // happens when `providerRef` was recorded before.
    static Status recordPayment(db::Connection &connection, const Order &locked, qint64 amountCents,
                                const QString &provider, const QString &providerRef, const Actor &actor);
    // A failed attempt: payment_status failed; the order stays open for another try.
    static Status recordPaymentFailure(db::Connection &connection, const Order &locked, const QString &provider,
                                       const QString &reason, const Actor &actor);
    // A refund (from the admin, or reported by the provider). Idempotent by providerRef.
    static Status recordRefund(db::Connection &connection, const Order &locked, qint64 amountCents,
                               const QString &provider, const QString &providerRef, const QString &reason,
                               const Actor &actor);

    static Status validate(const CheckoutInput &input);

private:
    Result<Order> cancelLocked(db::Connection &connection, const Order &locked, const QString &note,
                               const Actor &actor);
    void stockChanged(const QList<OrderLine> &lines) const;
    // Queues the customer's mail about `order` (placed, shipped, cancelled, refunded) in
    // the outbox, inside the caller's transaction.
    Status notifyCustomer(db::Connection &connection, const Order &order, const QString &kind,
                          const QString &detail = {}) const;

    db::Database &m_database;
    Options m_options;
    payments::PaymentProvider *m_provider;
    std::function<void(const QList<qint64> &)> m_stockChanged;
    QString m_publicUrl;
};

} // namespace shop::orders
