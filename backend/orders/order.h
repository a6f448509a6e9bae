#pragma once

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace shop::orders {

// Where an order goes. Validated by OrderService::validate (country: ISO 3166 alpha-2).
struct Address
{
    QString name;
    QString line1;
    QString line2;
    QString city;
    QString region;
    QString postalCode;
    QString country;
    QString phone;
};

struct OrderLine
{
    qint64 id = 0;
    std::optional<qint64> productId; // null once the product was deleted
    QString sku;
    QString name;                    // snapshot at checkout
    qint64 unitPriceCents = 0;       // snapshot at checkout
    int quantity = 0;
    qint64 lineTotalCents = 0;
};

// One step of the fulfilment timeline (order_events).
struct OrderEvent
{
    QString fromStatus; // empty for the order's creation
    QString toStatus;
    QString actor;
    QString note;
    QDateTime at;
};

// A payment or refund as recorded (payments table).
struct Payment
{
    qint64 id = 0;
    QString kind;     // payment | refund
    QString provider; // manual | stripe
    QString providerRef;
    qint64 amountCents = 0;
    QString status;   // pending | succeeded | failed
    QString reason;
    QString actor;
    QDateTime at;
};

// "SD-000042": what a shopper quotes on the phone.
inline QString orderNumber(qint64 id)
{
    return QStringLiteral("SD-%1").arg(id, 6, 10, QLatin1Char('0'));
}

// Order status values (orders.status) and payment status values (orders.payment_status).
namespace status {
inline constexpr auto PendingPayment = "pending_payment";
inline constexpr auto Paid = "paid";
inline constexpr auto Packed = "packed";
inline constexpr auto Shipped = "shipped";
inline constexpr auto Delivered = "delivered";
inline constexpr auto Cancelled = "cancelled";
inline constexpr auto Refunded = "refunded";
} // namespace status

struct Order
{
    qint64 id = 0;
    qint64 userId = 0;
    QString status;
    QString paymentStatus;
    QString paymentProvider;
    QString paymentIntentId;
    QString currency;
    QString email;
    qint64 subtotalCents = 0;
    qint64 shippingCents = 0;
    qint64 totalCents = 0;
    qint64 refundedCents = 0;
    Address address;
    QString customerNote;
    QString carrier;
    QString trackingNumber;
    QDateTime expiresAt; // null unless pending_payment
    QDateTime createdAt;
    QDateTime updatedAt;
    int version = 0;
    QList<OrderLine> lines;
    QList<OrderEvent> events;   // oldest first
    QList<Payment> payments;    // oldest first

    QString number() const { return orderNumber(id); }
    int itemCount() const
    {
        int n = 0;
        for (const OrderLine &line : lines)
            n += line.quantity;
        return n;
    }
};

// A row of the desktop list and the admin API's list.
struct OrderSummary
{
    qint64 id = 0;
    QString status;
    QString paymentStatus;
    QString email;
    QString customerName;
    qint64 totalCents = 0;
    qint64 refundedCents = 0;
    QString currency;
    int itemCount = 0;
    QDateTime createdAt;
    QDateTime updatedAt;
};

struct OrderFilter
{
    QString status;  // empty: every status
    QString search;  // order number ("SD-000042", "42") or part of the email
    int offset = 0;
    int limit = 200;
};

struct OrderPage
{
    QList<OrderSummary> rows;
    qint64 total = 0;                           // rows matching the filter
    QList<std::pair<QString, qint64>> counts;   // every status -> orders in it (search applied, status not)
};

// The desktop's and the admin API's actions on an order. Which are legal depends on
// the status (OrderService::legalActions); refunds are a separate call.
enum class Action { MarkPaid, Pack, Ship, Deliver, Cancel };

struct TransitionInput
{
    Action action = Action::MarkPaid;
    QString note;
    QString carrier;        // Ship: required
    QString trackingNumber; // Ship: required
};

QString actionName(Action action);                  // "mark_paid", "pack", ...
std::optional<Action> actionFromName(QStringView name);
QStringList allStatuses();                          // in fulfilment order

} // namespace shop::orders
