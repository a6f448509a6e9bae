#include "orderservice.h"

#include "audit/auditlog.h"
#include "catalog/ledger.h"
#include "core/money.h"
#include "core/logging.h"
#include "db/database.h"
#include "mail/outbox.h"
#include "payments/provider.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace shop::orders {

namespace {

constexpr auto OrderColumns =
    "o.id, o.user_id, o.status, o.payment_status, o.payment_provider, coalesce(o.payment_intent_id, ''),"
    " o.currency, o.email::text, o.subtotal_cents, o.shipping_cents, o.total_cents, o.refunded_cents,"
    " o.shipping_address::text, o.customer_note, coalesce(o.carrier, ''), coalesce(o.tracking_number, ''),"
    " o.expires_at, o.created_at, o.updated_at, o.version";

Address addressFromJson(const QByteArray &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    return Address{o.value(u"name"_s).toString(),        o.value(u"line1"_s).toString(),
                   o.value(u"line2"_s).toString(),       o.value(u"city"_s).toString(),
                   o.value(u"region"_s).toString(),      o.value(u"postal_code"_s).toString(),
                   o.value(u"country"_s).toString(),     o.value(u"phone"_s).toString()};
}

QByteArray addressToJson(const Address &a)
{
    return QJsonDocument(QJsonObject{{u"name"_s, a.name},
                                     {u"line1"_s, a.line1},
                                     {u"line2"_s, a.line2},
                                     {u"city"_s, a.city},
                                     {u"region"_s, a.region},
                                     {u"postal_code"_s, a.postalCode},
                                     {u"country"_s, a.country},
                                     {u"phone"_s, a.phone}})
        .toJson(QJsonDocument::Compact);
}

Order orderFromRow(const db::Query &q)
{
    Order o;
    o.id = q.value(0).toLongLong();
    o.userId = q.value(1).toLongLong();
    o.status = q.value(2).toString();
    o.paymentStatus = q.value(3).toString();
    o.paymentProvider = q.value(4).toString();
    o.paymentIntentId = q.value(5).toString();
    o.currency = q.value(6).toString();
    o.email = q.value(7).toString();
    o.subtotalCents = q.value(8).toLongLong();
    o.shippingCents = q.value(9).toLongLong();
    o.totalCents = q.value(10).toLongLong();
    o.refundedCents = q.value(11).toLongLong();
    o.address = addressFromJson(q.text(12));
    o.customerNote = q.value(13).toString();
    o.carrier = q.value(14).toString();
    o.trackingNumber = q.value(15).toString();
    o.expiresAt = q.value(16).toDateTime();
    o.createdAt = q.value(17).toDateTime();
    o.updatedAt = q.value(18).toDateTime();
    o.version = q.value(19).toInt();
    return o;
}

OrderLine lineFromRow(const db::Query &q, int first)
{
    OrderLine line;
    line.id = q.value(first).toLongLong();
    if (!q.isNull(first + 1))
        line.productId = q.value(first + 1).toLongLong();
    line.sku = q.value(first + 2).toString();
    line.name = q.value(first + 3).toString();
    line.unitPriceCents = q.value(first + 4).toLongLong();
    line.quantity = q.value(first + 5).toInt();
    line.lineTotalCents = q.value(first + 6).toLongLong();
    return line;
}

// Lines, timeline and payments of one order.
Status loadDetails(db::Connection &conn, Order &order)
{
    auto lines = conn.query(u"SELECT id, product_id, sku, name, unit_price_cents, quantity, line_total_cents"
                            " FROM order_items WHERE order_id = :id ORDER BY id"_s);
    lines.bind(u":id"_s, order.id);
    if (auto ok = lines.exec(); !ok)
        return ok;
    while (lines.next())
        order.lines.append(lineFromRow(lines, 0));

    auto events = conn.query(u"SELECT coalesce(from_status, ''), to_status, actor_label, note, created_at"
                             " FROM order_events WHERE order_id = :id ORDER BY id"_s);
    events.bind(u":id"_s, order.id);
    if (auto ok = events.exec(); !ok)
        return ok;
    while (events.next())
        order.events.append({events.value(0).toString(), events.value(1).toString(), events.value(2).toString(),
                             events.value(3).toString(), events.value(4).toDateTime()});

    auto payments = conn.query(u"SELECT id, kind, provider, coalesce(provider_ref, ''), amount_cents, status, reason,"
                               " actor_label, created_at FROM payments WHERE order_id = :id ORDER BY id"_s);
    payments.bind(u":id"_s, order.id);
    if (auto ok = payments.exec(); !ok)
        return ok;
    while (payments.next())
        order.payments.append({payments.value(0).toLongLong(), payments.value(1).toString(),
                               payments.value(2).toString(), payments.value(3).toString(),
                               payments.value(4).toLongLong(), payments.value(5).toString(),
                               payments.value(6).toString(), payments.value(7).toString(),
                               payments.value(8).toDateTime()});
    return {};
}

Result<Order> loadOrder(db::Connection &conn, qint64 id, bool forUpdate)
{
    auto q = conn.query(u"SELECT "_s + QLatin1StringView(OrderColumns) + u" FROM orders o WHERE o.id = :id"_s
                        + (forUpdate ? u" FOR UPDATE"_s : QString()));
    q.bind(u":id"_s, id);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next())
        return fail(Error::notFound(u"No such order"_s));
    Order order = orderFromRow(q);
    if (auto ok = loadDetails(conn, order); !ok)
        return std::unexpected(ok.error());
    return order;
}

Status addEvent(db::Connection &conn, qint64 orderId, const QString &from, const QString &to, const Actor &actor,
                const QString &note)
{
    auto q = conn.query(u"INSERT INTO order_events (order_id, from_status, to_status, actor_id, actor_label, note)"
                        " VALUES (:order, NULLIF(:from, ''), :to, :actor::bigint, :label, :note)"_s);
    q.bind(u":order"_s, orderId);
    q.bind(u":from"_s, from);
    q.bind(u":to"_s, to);
    q.bind(u":actor"_s, actor.userId ? QVariant(*actor.userId) : QVariant());
    q.bind(u":label"_s, actor.label);
    q.bind(u":note"_s, note);
    return q.exec();
}

// Moves the order to `to` (payment status too, when given) and records the step.
Status setStatus(db::Connection &conn, const Order &order, const QString &to, const QString &paymentStatus,
                 const Actor &actor, const QString &note)
{
    auto q = conn.query(u"UPDATE orders SET status = :to, payment_status = coalesce(NULLIF(:payment, ''), payment_status),"
                        " expires_at = CASE WHEN :to = 'pending_payment' THEN expires_at END,"
                        " version = version + 1 WHERE id = :id"_s);
    q.bind(u":to"_s, to);
    q.bind(u":payment"_s, paymentStatus);
    q.bind(u":id"_s, order.id);
    if (auto ok = q.exec(); !ok)
        return ok;
    return addEvent(conn, order.id, order.status, to, actor, note);
}

// Puts every line back on the shelf (in product order, as checkout takes them, so the
// two never deadlock) with a ledger entry each.
Status releaseStock(db::Connection &conn, const Order &order, const Actor &actor, const QString &note)
{
    QList<OrderLine> lines = order.lines;
    std::sort(lines.begin(), lines.end(),
              [](const OrderLine &a, const OrderLine &b) { return a.productId < b.productId; });
    for (const OrderLine &line : lines) {
        if (!line.productId)
            continue; // the product was deleted since
        auto update = conn.query(u"UPDATE products SET stock = stock + :qty WHERE id = :id RETURNING stock"_s);
        update.bind(u":qty"_s, line.quantity);
        update.bind(u":id"_s, *line.productId);
        if (auto ok = update.exec(); !ok)
            return ok;
        if (!update.next())
            continue;
        if (auto ok = catalog::recordMovement(conn,
                                              {*line.productId, line.quantity, update.value(0).toLongLong(),
                                               u"cancellation"_s, note, order.id},
                                              actor);
            !ok)
            return ok;
    }
    return {};
}

// One row of payments; false when the provider's reference was recorded before.
Result<bool> insertPayment(db::Connection &conn, const Order &order, const Payment &payment, const Actor &actor)
{
    auto q = conn.query(u"INSERT INTO payments (order_id, kind, provider, provider_ref, amount_cents, currency, status,"
                        " reason, actor_id, actor_label) VALUES (:order, :kind, :provider, NULLIF(:ref, ''), :amount,"
                        " :currency, :status, :reason, :actor::bigint, :label)"
                        " ON CONFLICT (provider, provider_ref) DO NOTHING RETURNING id"_s);
    q.bind(u":order"_s, order.id);
    q.bind(u":kind"_s, payment.kind);
    q.bind(u":provider"_s, payment.provider);
    q.bind(u":ref"_s, payment.providerRef);
    q.bind(u":amount"_s, payment.amountCents);
    q.bind(u":currency"_s, order.currency);
    q.bind(u":status"_s, payment.status);
    q.bind(u":reason"_s, payment.reason.left(500));
    q.bind(u":actor"_s, actor.userId ? QVariant(*actor.userId) : QVariant());
    q.bind(u":label"_s, actor.label);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    return q.next();
}

QByteArray stateJson(const Order &order)
{
    return QJsonDocument(QJsonObject{{u"status"_s, order.status},
                                     {u"payment_status"_s, order.paymentStatus},
                                     {u"refunded_cents"_s, order.refundedCents},
                                     {u"carrier"_s, order.carrier},
                                     {u"tracking_number"_s, order.trackingNumber}})
        .toJson(QJsonDocument::Compact);
}

// "USD 19.99": what a timeline note or an error shows.
QString amountText(qint64 cents, const QString &currency)
{
    return currency + u' ' + money::format(cents);
}

QString statusLabel(const QString &status)
{
    QString s = status;
    s.replace(u'_', u' ');
    return s;
}

Error illegal(const QString &what, const Order &order)
{
    return Error(Error::Kind::Conflict,
                 u"Cannot %1 order %2: it is %3"_s.arg(what, order.number(), statusLabel(order.status)),
                 u"ILLEGAL_TRANSITION"_s);
}

Error validationFailed()
{
    return Error(Error::Kind::Validation, u"Some fields need attention"_s);
}

bool hasControl(const QString &text)
{
    return std::any_of(text.cbegin(), text.cend(), [](QChar c) { return c.category() == QChar::Other_Control; });
}

// The order's id from its number: "SD-000042", "sd-42", "#42" or "42".
std::optional<qint64> orderIdFromSearch(const QString &search)
{
    static const QRegularExpression number(u"^(?:SD-|#)?0*(\\d{1,15})$"_s, QRegularExpression::CaseInsensitiveOption);
    const auto match = number.match(search.trimmed());
    if (!match.hasMatch())
        return std::nullopt;
    return match.captured(1).toLongLong();
}

template<typename T>
Result<T> inTransaction(db::Database &database, const std::function<Result<T>(db::Connection &)> &work)
{
    auto conn = database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto result = work(*conn);
    if (!result)
        return result;
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return result;
}

} // namespace

namespace {

// Money handled by hand: the default provider, and the one that refunds a till payment.
payments::PaymentProvider &manualProvider()
{
    static payments::ManualProvider manual;
    return manual;
}

} // namespace

OrderService::OrderService(db::Database &database, Options options)
    : m_database(database), m_options(options), m_provider(&manualProvider())
{}

void OrderService::setPaymentProvider(payments::PaymentProvider *provider)
{
    m_provider = provider ? provider : &manualProvider();
}

void OrderService::stockChanged(const QList<OrderLine> &lines) const
{
    if (!m_stockChanged)
        return;
    QList<qint64> ids;
    for (const OrderLine &line : lines) {
        if (line.productId)
            ids.append(*line.productId);
    }
    m_stockChanged(ids);
}

Status OrderService::notifyCustomer(db::Connection &connection, const Order &order, const QString &kind,
                                    const QString &detail) const
{
    const QString number = order.number();
    const QString link = m_publicUrl.isEmpty() ? QString() : u"\n\nSee it at any time: %1/orders/%2\n"_s.arg(m_publicUrl).arg(order.id);
    mail::Message message;
    message.to = order.email;
    message.kind = u"order_"_s + kind;
    if (kind == u"placed"_s) {
        QString lines;
        for (const OrderLine &line : order.lines)
            lines += u"  %1 x %2  %3\n"_s.arg(line.quantity).arg(line.name, amountText(line.lineTotalCents, order.currency));
        message.subject = u"Your order %1"_s.arg(number);
        message.bodyText = u"Thank you for your order %1.\n\n%2\nTotal: %3\n\nShipping to:\n  %4\n  %5\n  %6 %7\n  %8\n\n"
                           "We ship once the payment has arrived."_s
                               .arg(number, lines, amountText(order.totalCents, order.currency), order.address.name,
                                    order.address.line1, order.address.postalCode, order.address.city,
                                    order.address.country);
    } else if (kind == u"shipped"_s) {
        message.subject = u"Order %1 is on its way"_s.arg(number);
        message.bodyText = u"Your order %1 has been shipped with %2.\nTracking number: %3"_s.arg(
            number, order.carrier, order.trackingNumber);
    } else if (kind == u"cancelled"_s) {
        message.subject = u"Order %1 was cancelled"_s.arg(number);
        message.bodyText = u"Your order %1 was cancelled.\n%2"_s.arg(number, detail);
    } else if (kind == u"refunded"_s) {
        message.subject = u"Refund for order %1"_s.arg(number);
        message.bodyText = u"We have refunded %1 for your order %2.\n%3"_s.arg(detail, number, u"It may take a few days to reach your account."_s);
    } else {
        return fail(Error::internal(u"unknown order mail: "_s + kind));
    }
    message.bodyText += link;
    // A customer address the outbox refuses (it was valid when the account was made,
    // so this would be a bug) must not undo the order change; the log says so.
    if (const QString problem = mail::addressProblem(order.email); !problem.isEmpty()) {
        qCWarning(lcApp).noquote() << "order" << number << "mail not queued:" << problem;
        return {};
    }
    return mail::enqueue(connection, message);
}

Status OrderService::validate(const CheckoutInput &input)
{
    Error invalid = validationFailed();
    const auto text = [&invalid](const QString &field, const QString &value, int max, bool required) {
        const QString key = u"shipping_address."_s + field;
        if (required && value.trimmed().isEmpty())
            invalid.withField(key, u"Required"_s);
        else if (value.size() > max)
            invalid.withField(key, u"At most %1 characters"_s.arg(max));
        else if (hasControl(value))
            invalid.withField(key, u"Contains characters that are not allowed"_s);
    };
    const Address &a = input.address;
    text(u"name"_s, a.name, 100, true);
    text(u"line1"_s, a.line1, 200, true);
    text(u"line2"_s, a.line2, 200, false);
    text(u"city"_s, a.city, 100, true);
    text(u"region"_s, a.region, 100, false);
    text(u"postal_code"_s, a.postalCode, 20, true);
    static const QRegularExpression postal(u"^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$"_s);
    if (!a.postalCode.trimmed().isEmpty() && !postal.match(a.postalCode.trimmed()).hasMatch())
        invalid.withField(u"shipping_address.postal_code"_s, u"Letters, digits, spaces and dashes only"_s);
    static const QRegularExpression country(u"^[A-Z]{2}$"_s);
    if (!country.match(a.country.trimmed()).hasMatch())
        invalid.withField(u"shipping_address.country"_s, u"A two-letter country code, such as US or DE"_s);
    static const QRegularExpression phone(u"^[0-9+() .-]{0,30}$"_s);
    if (!phone.match(a.phone).hasMatch())
        invalid.withField(u"shipping_address.phone"_s, u"Digits, spaces and + ( ) - only"_s);
    if (!input.email.isEmpty()) {
        static const QRegularExpression email(u"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"_s);
        if (input.email.size() > 254 || !email.match(input.email).hasMatch())
            invalid.withField(u"email"_s, u"Enter an email address such as name@example.com"_s);
    }
    if (input.customerNote.size() > 1000)
        invalid.withField(u"note"_s, u"At most 1000 characters"_s);
    if (!invalid.fields().isEmpty())
        return fail(invalid);
    return {};
}

Result<Order> OrderService::checkout(qint64 userId, const CheckoutInput &rawInput, const QString &idempotencyKey,
                                     bool *replayed)
{
    if (replayed)
        *replayed = false;
    CheckoutInput input = rawInput;
    input.address.country = input.address.country.trimmed().toUpper();
    input.email = input.email.trimmed().toLower();
    if (idempotencyKey.size() > 255 || hasControl(idempotencyKey))
        return fail(Error::invalid(u"Idempotency-Key: at most 255 printable characters"_s));
    if (auto ok = validate(input); !ok)
        return std::unexpected(ok.error());

    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());

    // The cart's lock serialises one shopper's checkouts, so a retry with the same key
    // waits for the first attempt and then finds its order.
    auto account = conn->query(u"SELECT email::text FROM users WHERE id = :user"_s);
    account.bind(u":user"_s, userId);
    if (auto ok = account.exec(); !ok)
        return std::unexpected(ok.error());
    if (!account.next())
        return fail(Error(Error::Kind::Unauthorized, u"Sign in again"_s, u"UNAUTHORIZED"_s));
    const QString accountEmail = account.value(0).toString();
    auto cart = conn->query(u"INSERT INTO carts (user_id) VALUES (:user) ON CONFLICT (user_id)"
                            " DO UPDATE SET updated_at = now() RETURNING id"_s);
    cart.bind(u":user"_s, userId);
    if (auto ok = cart.exec(); !ok)
        return std::unexpected(ok.error());
    if (!cart.next())
        return fail(Error::internal(u"cart upsert returned no row"_s));
    const qint64 cartId = cart.value(0).toLongLong();

    if (!idempotencyKey.isEmpty()) {
        auto seen = conn->query(u"SELECT id FROM orders WHERE user_id = :user AND idempotency_key = :key"_s);
        seen.bind(u":user"_s, userId);
        seen.bind(u":key"_s, idempotencyKey);
        if (auto ok = seen.exec(); !ok)
            return std::unexpected(ok.error());
        if (seen.next()) {
            auto order = loadOrder(*conn, seen.value(0).toLongLong(), false);
            if (order && replayed)
                *replayed = true;
            return order;
        }
    }

    struct Line
    {
        qint64 productId;
        QString sku;
        QString name;
        qint64 priceCents;
        int quantity;
        bool active;
        QString currency;
    };
    QList<Line> lines;
    auto items = conn->query(u"SELECT p.id, p.sku, p.name, p.price_cents, ci.quantity, p.active, p.currency"
                             " FROM cart_items ci JOIN products p ON p.id = ci.product_id"
                             " WHERE ci.cart_id = :cart ORDER BY p.id"_s);
    items.bind(u":cart"_s, cartId);
    if (auto ok = items.exec(); !ok)
        return std::unexpected(ok.error());
    while (items.next())
        lines.append({items.value(0).toLongLong(), items.value(1).toString(), items.value(2).toString(),
                      items.value(3).toLongLong(), items.value(4).toInt(), items.value(5).toBool(),
                      items.value(6).toString()});
    if (lines.isEmpty())
        return fail(Error(Error::Kind::InvalidRequest, u"Your cart is empty"_s, u"EMPTY_CART"_s));

    Error withdrawn(Error::Kind::Conflict, u"Some products in your cart are no longer sold"_s, u"PRODUCT_UNAVAILABLE"_s);
    qint64 subtotal = 0;
    for (const Line &line : lines) {
        if (!line.active)
            withdrawn.withField(u"items.%1"_s.arg(line.productId), u"%1 is no longer sold"_s.arg(line.name));
        subtotal += line.priceCents * line.quantity;
    }
    if (!withdrawn.fields().isEmpty())
        return fail(withdrawn);

    const QString currency = lines.first().currency;
    auto insert = conn->query(
        u"INSERT INTO orders (user_id, currency, subtotal_cents, shipping_cents, total_cents, email, shipping_address,"
        " customer_note, payment_provider, idempotency_key, expires_at)"
        " VALUES (:user, :currency, :subtotal, 0, :subtotal, :email, :address::jsonb, :note, :provider,"
        " NULLIF(:key, ''), now() + make_interval(mins => :window))"
        " ON CONFLICT ON CONSTRAINT orders_idempotency_unique DO NOTHING RETURNING id"_s);
    insert.bind(u":user"_s, userId);
    insert.bind(u":currency"_s, currency);
    insert.bind(u":subtotal"_s, subtotal);
    insert.bind(u":email"_s, input.email.isEmpty() ? accountEmail : input.email);
    insert.bind(u":address"_s, QString::fromUtf8(addressToJson(input.address)));
    insert.bind(u":note"_s, input.customerNote);
    insert.bind(u":provider"_s, m_provider->name());
    insert.bind(u":key"_s, idempotencyKey);
    insert.bind(u":window"_s, int(m_options.paymentWindow.count()));
    if (auto ok = insert.exec(); !ok)
        return std::unexpected(ok.error());
    if (!insert.next())
        return fail(Error(Error::Kind::Conflict, u"This checkout is already being placed"_s, u"CONFLICT"_s));
    const qint64 orderId = insert.value(0).toLongLong();
    const Actor customer{userId, accountEmail, u"storefront"_s};

    // Take the stock: one guarded update per line, in product order. A line the stock
    // cannot cover leaves the row untouched; every short line is reported, then the
    // whole transaction rolls back.
    Error shortage(Error::Kind::Conflict, u"Some products in your cart do not have enough stock"_s,
                   u"INSUFFICIENT_STOCK"_s);
    QList<std::pair<const Line *, qint64>> taken;
    for (const Line &line : lines) {
        auto take = conn->query(u"UPDATE products SET stock = stock - :qty WHERE id = :id AND stock >= :qty"
                                " RETURNING stock"_s);
        take.bind(u":qty"_s, line.quantity);
        take.bind(u":id"_s, line.productId);
        if (auto ok = take.exec(); !ok)
            return std::unexpected(ok.error());
        if (take.next()) {
            taken.append({&line, take.value(0).toLongLong()});
            continue;
        }
        auto left = conn->query(u"SELECT stock FROM products WHERE id = :id"_s);
        left.bind(u":id"_s, line.productId);
        if (auto ok = left.exec(); !ok)
            return std::unexpected(ok.error());
        const int stock = left.next() ? left.value(0).toInt() : 0;
        shortage.withField(u"items.%1"_s.arg(line.productId),
                           stock == 0 ? u"%1 is sold out"_s.arg(line.name)
                                      : u"Only %1 of %2 left; you asked for %3"_s.arg(stock).arg(line.name).arg(line.quantity));
    }
    if (!shortage.fields().isEmpty())
        return fail(shortage);

    for (const auto &[line, stockAfter] : taken) {
        auto item = conn->query(u"INSERT INTO order_items (order_id, product_id, sku, name, unit_price_cents, quantity,"
                                " line_total_cents) VALUES (:order, :product, :sku, :name, :price, :qty, :total)"_s);
        item.bind(u":order"_s, orderId);
        item.bind(u":product"_s, line->productId);
        item.bind(u":sku"_s, line->sku);
        item.bind(u":name"_s, line->name);
        item.bind(u":price"_s, line->priceCents);
        item.bind(u":qty"_s, line->quantity);
        item.bind(u":total"_s, line->priceCents * line->quantity);
        if (auto ok = item.exec(); !ok)
            return std::unexpected(ok.error());
        if (auto ok = catalog::recordMovement(*conn, {line->productId, -line->quantity, stockAfter, u"sale"_s, {}, orderId},
                                              customer);
            !ok)
            return std::unexpected(ok.error());
    }
    if (auto ok = addEvent(*conn, orderId, QString(), QString::fromLatin1(status::PendingPayment), customer,
                           u"Order placed"_s);
        !ok)
        return std::unexpected(ok.error());
    auto empty = conn->query(u"DELETE FROM cart_items WHERE cart_id = :cart"_s);
    empty.bind(u":cart"_s, cartId);
    if (auto ok = empty.exec(); !ok)
        return std::unexpected(ok.error());
    auto order = loadOrder(*conn, orderId, false);
    if (!order)
        return order;
    if (auto ok = notifyCustomer(*conn, *order, u"placed"_s); !ok)
        return std::unexpected(ok.error());
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    stockChanged(order->lines);
    return order;
}

Result<QList<Order>> OrderService::ordersOf(qint64 userId, int limit)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT "_s + QLatin1StringView(OrderColumns)
                         + u" FROM orders o WHERE o.user_id = :user ORDER BY o.created_at DESC, o.id DESC LIMIT :limit"_s);
    q.bind(u":user"_s, userId);
    q.bind(u":limit"_s, std::clamp(limit, 1, 500));
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    QList<Order> result;
    QHash<qint64, qsizetype> index;
    while (q.next()) {
        index.insert(q.value(0).toLongLong(), result.size());
        result.append(orderFromRow(q));
    }
    if (result.isEmpty())
        return result;
    auto lines = conn->query(u"SELECT i.order_id, i.id, i.product_id, i.sku, i.name, i.unit_price_cents, i.quantity,"
                             " i.line_total_cents FROM order_items i WHERE i.order_id IN"
                             " (SELECT id FROM orders WHERE user_id = :user ORDER BY created_at DESC, id DESC"
                             " LIMIT :limit) ORDER BY i.id"_s);
    lines.bind(u":user"_s, userId);
    lines.bind(u":limit"_s, std::clamp(limit, 1, 500));
    if (auto ok = lines.exec(); !ok)
        return std::unexpected(ok.error());
    while (lines.next()) {
        const auto at = index.constFind(lines.value(0).toLongLong());
        if (at != index.constEnd())
            result[*at].lines.append(lineFromRow(lines, 1));
    }
    return result;
}

Result<Order> OrderService::orderFor(qint64 userId, qint64 orderId)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto order = loadOrder(*conn, orderId, false);
    if (order && order->userId != userId)
        return fail(Error(Error::Kind::Forbidden, u"This order belongs to another account"_s, u"FORBIDDEN"_s));
    return order;
}

bool OrderService::customerMayCancel(const QString &status)
{
    return status == QLatin1StringView(status::PendingPayment) || status == QLatin1StringView(status::Paid)
        || status == QLatin1StringView(status::Packed);
}

QList<Action> OrderService::legalActions(const QString &status)
{
    if (status == QLatin1StringView(status::PendingPayment))
        return {Action::MarkPaid, Action::Cancel};
    if (status == QLatin1StringView(status::Paid))
        return {Action::Pack, Action::Cancel};
    if (status == QLatin1StringView(status::Packed))
        return {Action::Ship, Action::Cancel};
    if (status == QLatin1StringView(status::Shipped))
        return {Action::Deliver};
    return {};
}

Result<Order> OrderService::cancelLocked(db::Connection &conn, const Order &locked, const QString &note,
                                         const Actor &actor)
{
    if (auto ok = releaseStock(conn, locked, actor, note); !ok)
        return std::unexpected(ok.error());
    QString text = note;
    if (locked.paymentStatus == "paid"_L1 || locked.paymentStatus == "partially_refunded"_L1)
        text += (text.isEmpty() ? QString() : u" — "_s) + u"the payment must be refunded"_s;
    if (auto ok = setStatus(conn, locked, QString::fromLatin1(status::Cancelled), QString(), actor, text); !ok)
        return std::unexpected(ok.error());
    auto order = loadOrder(conn, locked.id, false);
    if (!order)
        return order;
    if (auto ok = notifyCustomer(conn, *order, u"cancelled"_s, note); !ok)
        return std::unexpected(ok.error());
    return order;
}

Result<Order> OrderService::cancelByCustomer(qint64 userId, qint64 orderId, const QString &reason)
{
    if (reason.size() > 500 || hasControl(reason))
        return fail(validationFailed().withField(u"reason"_s, u"At most 500 printable characters"_s));
    auto result = inTransaction<Order>(m_database, [&](db::Connection &conn) -> Result<Order> {
        auto order = lockOrder(conn, orderId);
        if (!order)
            return order;
        if (order->userId != userId)
            return fail(Error(Error::Kind::Forbidden, u"This order belongs to another account"_s, u"FORBIDDEN"_s));
        if (!customerMayCancel(order->status))
            return fail(illegal(u"cancel"_s, *order));
        return cancelLocked(conn, *order, reason.trimmed().isEmpty() ? u"Cancelled by the customer"_s
                                                                     : u"Cancelled by the customer: "_s + reason.trimmed(),
                            Actor{userId, order->email, u"storefront"_s});
    });
    if (result)
        stockChanged(result->lines);
    return result;
}

Result<OrderPage> OrderService::orders(const OrderFilter &filter)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    const std::optional<qint64> byNumber = orderIdFromSearch(filter.search);
    const QString search = filter.search.trimmed();
    // One WHERE for the rows, the total and the per-status counts.
    const QString where =
        u" WHERE (:search = '' OR o.id = :number OR o.email::text ILIKE '%' || :like || '%')"_s;
    const auto bindSearch = [&](db::Query &q) {
        q.bind(u":search"_s, search);
        q.bind(u":number"_s, byNumber.value_or(-1));
        q.bind(u":like"_s, db::escapeLike(search));
    };

    OrderPage page;
    auto counts = conn->query(u"SELECT o.status, count(*) FROM orders o"_s + where + u" GROUP BY o.status"_s);
    bindSearch(counts);
    if (auto ok = counts.exec(); !ok)
        return std::unexpected(ok.error());
    QHash<QString, qint64> byStatus;
    while (counts.next())
        byStatus.insert(counts.value(0).toString(), counts.value(1).toLongLong());
    for (const QString &s : allStatuses()) {
        page.counts.append({s, byStatus.value(s)});
        if (filter.status.isEmpty() || filter.status == s)
            page.total += byStatus.value(s);
    }

    auto rows = conn->query(
        u"SELECT o.id, o.status, o.payment_status, o.email::text, o.shipping_address->>'name', o.total_cents,"
        " o.refunded_cents, o.currency, (SELECT coalesce(sum(quantity), 0) FROM order_items WHERE order_id = o.id),"
        " o.created_at, o.updated_at FROM orders o"_s
        + where + u" AND (:status = '' OR o.status = :status) ORDER BY o.created_at DESC, o.id DESC"
                  " OFFSET :offset LIMIT :limit"_s);
    bindSearch(rows);
    rows.bind(u":status"_s, filter.status);
    rows.bind(u":offset"_s, std::max(0, filter.offset));
    rows.bind(u":limit"_s, std::clamp(filter.limit, 1, 1000));
    if (auto ok = rows.exec(); !ok)
        return std::unexpected(ok.error());
    while (rows.next())
        page.rows.append({rows.value(0).toLongLong(), rows.value(1).toString(), rows.value(2).toString(),
                          rows.value(3).toString(), rows.value(4).toString(), rows.value(5).toLongLong(),
                          rows.value(6).toLongLong(), rows.value(7).toString(), rows.value(8).toInt(),
                          rows.value(9).toDateTime(), rows.value(10).toDateTime()});
    return page;
}

Result<Order> OrderService::order(qint64 orderId)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    return loadOrder(*conn, orderId, false);
}

Result<Order> OrderService::transition(qint64 orderId, const TransitionInput &input, const Actor &actor)
{
    if (input.action == Action::Ship) {
        Error invalid = validationFailed();
        if (input.carrier.trimmed().isEmpty() || input.carrier.size() > 100 || hasControl(input.carrier))
            invalid.withField(u"carrier"_s, u"Enter the carrier (at most 100 characters)"_s);
        if (input.trackingNumber.trimmed().isEmpty() || input.trackingNumber.size() > 100
            || hasControl(input.trackingNumber))
            invalid.withField(u"tracking_number"_s, u"Enter the tracking number (at most 100 characters)"_s);
        if (!invalid.fields().isEmpty())
            return fail(invalid);
    }
    if (input.note.size() > 500 || hasControl(input.note))
        return fail(validationFailed().withField(u"note"_s, u"At most 500 printable characters"_s));

    auto result = inTransaction<Order>(m_database, [&](db::Connection &conn) -> Result<Order> {
        auto order = lockOrder(conn, orderId);
        if (!order)
            return order;
        const QString name = actionName(input.action);
        if (!legalActions(order->status).contains(input.action))
            return fail(illegal(QString(name).replace(u'_', u' '), *order));
        const QByteArray before = stateJson(*order);
        Result<Order> after = fail(Error::internal(u"unhandled order action"_s));
        switch (input.action) {
        case Action::MarkPaid:
            if (auto ok = recordPayment(conn, *order, order->totalCents - order->refundedCents, u"manual"_s, QString(),
                                        actor);
                !ok)
                return std::unexpected(ok.error());
            if (!input.note.isEmpty())
                if (auto ok = addEvent(conn, order->id, u"paid"_s, u"paid"_s, actor, input.note); !ok)
                    return std::unexpected(ok.error());
            after = loadOrder(conn, order->id, false);
            break;
        case Action::Pack:
        case Action::Deliver: {
            const QString to = QString::fromLatin1(input.action == Action::Pack ? status::Packed : status::Delivered);
            if (auto ok = setStatus(conn, *order, to, QString(), actor, input.note); !ok)
                return std::unexpected(ok.error());
            after = loadOrder(conn, order->id, false);
            break;
        }
        case Action::Ship: {
            auto q = conn.query(u"UPDATE orders SET carrier = :carrier, tracking_number = :tracking WHERE id = :id"_s);
            q.bind(u":carrier"_s, input.carrier.trimmed());
            q.bind(u":tracking"_s, input.trackingNumber.trimmed());
            q.bind(u":id"_s, order->id);
            if (auto ok = q.exec(); !ok)
                return std::unexpected(ok.error());
            const QString note = u"%1 %2"_s.arg(input.carrier.trimmed(), input.trackingNumber.trimmed())
                                 + (input.note.isEmpty() ? QString() : u" — "_s + input.note);
            if (auto ok = setStatus(conn, *order, QString::fromLatin1(status::Shipped), QString(), actor, note); !ok)
                return std::unexpected(ok.error());
            after = loadOrder(conn, order->id, false);
            if (after)
                if (auto ok = notifyCustomer(conn, *after, u"shipped"_s); !ok)
                    return std::unexpected(ok.error());
            break;
        }
        case Action::Cancel:
            after = cancelLocked(conn, *order, input.note.isEmpty() ? u"Cancelled by the shop"_s : input.note, actor);
            break;
        }
        if (!after)
            return after;
        if (auto ok = audit::record(conn, actor, {u"order."_s + name, u"order"_s, QString::number(order->id), before,
                                                  stateJson(*after)});
            !ok)
            return std::unexpected(ok.error());
        return after;
    });
    if (result && input.action == Action::Cancel)
        stockChanged(result->lines);
    return result;
}

Result<Order> OrderService::refund(qint64 orderId, qint64 amountCents, const QString &reason, const Actor &actor)
{
    Error invalid = validationFailed();
    if (amountCents <= 0)
        invalid.withField(u"amount_cents"_s, u"Enter an amount above zero"_s);
    if (reason.trimmed().isEmpty() || reason.size() > 500 || hasControl(reason))
        invalid.withField(u"reason"_s, u"Say why (at most 500 characters)"_s);
    if (!invalid.fields().isEmpty())
        return fail(invalid);

    bool released = false;
    auto result = inTransaction<Order>(m_database, [&](db::Connection &conn) -> Result<Order> {
        auto order = lockOrder(conn, orderId);
        if (!order)
            return order;
        if (order->paymentStatus != "paid"_L1 && order->paymentStatus != "partially_refunded"_L1)
            return fail(Error(Error::Kind::Conflict,
                              u"Order %1 has no payment to refund (payment is %2)"_s.arg(order->number(),
                                                                                         statusLabel(order->paymentStatus)),
                              u"NOT_REFUNDABLE"_s));
        const qint64 refundable = order->totalCents - order->refundedCents;
        if (amountCents > refundable)
            return fail(validationFailed().withField(
                u"amount_cents"_s, u"At most %1 can be refunded"_s.arg(amountText(refundable, order->currency))));
        // The payment went through the provider that took it: a Stripe order's money
        // goes back through Stripe, a till payment is given back by hand.
        payments::PaymentProvider *provider = &manualProvider();
        for (const Payment &p : order->payments) {
            if (p.kind != "payment"_L1 || p.status != "succeeded"_L1 || p.provider == manualProvider().name())
                continue;
            if (p.provider != m_provider->name())
                return fail(Error(Error::Kind::Conflict,
                                  u"Order %1 was paid through %2, which this shop no longer uses: refund it there"
                                  " and record it by hand"_s.arg(order->number(), p.provider),
                                  u"PAYMENT_PROVIDER_UNAVAILABLE"_s));
            provider = m_provider;
        }
        const QString key = u"refund-%1-%2-%3"_s.arg(order->id).arg(order->refundedCents).arg(amountCents);
        auto receipt = provider->refund(*order, amountCents, reason.trimmed(), key);
        if (!receipt)
            return std::unexpected(receipt.error());
        const QByteArray before = stateJson(*order);
        if (auto ok = recordRefund(conn, *order, amountCents, provider->name(), receipt->providerRef, reason.trimmed(),
                                   actor);
            !ok)
            return std::unexpected(ok.error());
        auto after = loadOrder(conn, order->id, false);
        if (!after)
            return after;
        released = after->status == QLatin1StringView(status::Refunded)
                   && (order->status == QLatin1StringView(status::Paid)
                       || order->status == QLatin1StringView(status::Packed));
        if (auto ok = notifyCustomer(conn, *after, u"refunded"_s, amountText(amountCents, order->currency)); !ok)
            return std::unexpected(ok.error());
        if (auto ok = audit::record(conn, actor,
                                    {u"order.refund"_s, u"order"_s, QString::number(order->id), before,
                                     stateJson(*after)});
            !ok)
            return std::unexpected(ok.error());
        return after;
    });
    if (released && result)
        stockChanged(result->lines);
    return result;
}

Result<int> OrderService::expireUnpaid(int limit)
{
    const Actor system{std::nullopt, u"system"_s, u"expiry job"_s};
    QList<OrderLine> released;
    auto result = inTransaction<int>(m_database, [&](db::Connection &conn) -> Result<int> {
        // Another instance's job skips what this one holds, and vice versa; the status
        // is re-checked under the lock, so an order paid a moment ago stays paid.
        auto due = conn.query(u"SELECT id FROM orders WHERE status = 'pending_payment' AND expires_at < now()"
                              " ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED"_s);
        due.bind(u":limit"_s, std::clamp(limit, 1, 1000));
        if (auto ok = due.exec(); !ok)
            return std::unexpected(ok.error());
        QList<qint64> ids;
        while (due.next())
            ids.append(due.value(0).toLongLong());
        int expired = 0;
        released.clear(); // a retried transaction starts over
        for (qint64 id : ids) {
            auto order = loadOrder(conn, id, true);
            if (!order)
                return std::unexpected(order.error());
            if (order->status != QLatin1StringView(status::PendingPayment))
                continue;
            auto cancelled = cancelLocked(conn, *order, u"Payment window expired; stock released"_s, system);
            if (!cancelled)
                return std::unexpected(cancelled.error());
            released.append(cancelled->lines);
            ++expired;
        }
        return expired;
    });
    if (result && *result > 0)
        stockChanged(released);
    return result;
}

Result<Order> OrderService::lockOrder(db::Connection &connection, qint64 orderId)
{
    return loadOrder(connection, orderId, true);
}

Status OrderService::recordPayment(db::Connection &connection, const Order &locked, qint64 amountCents,
                                   const QString &provider, const QString &providerRef, const Actor &actor)
{
    if (amountCents <= 0)
        return fail(Error::internal(u"a payment needs a positive amount"_s));
    auto inserted = insertPayment(connection, locked, {0, u"payment"_s, provider, providerRef, amountCents,
                                                       u"succeeded"_s, QString(), QString(), {}}, actor);
    if (!inserted)
        return std::unexpected(inserted.error());
    if (!*inserted)
        return {}; // this provider reference was recorded before
    const QString amount = amountText(amountCents, locked.currency);
    if (locked.status == QLatin1StringView(status::PendingPayment))
        return setStatus(connection, locked, QString::fromLatin1(status::Paid), u"paid"_s, actor,
                         u"Payment of %1 received (%2)"_s.arg(amount, provider));
    // Paid after the order was cancelled (the payment window ran out first), or paid a
    // second time (marked paid at the counter, then the card payment went through):
    // keep the money on record and say on the timeline that it has to go back. A
    // refund state already reached stays as it is.
    const bool alreadyPaid = locked.paymentStatus == "paid"_L1 || locked.paymentStatus == "partially_refunded"_L1
                             || locked.paymentStatus == "refunded"_L1;
    if (!alreadyPaid) {
        auto update =
            connection.query(u"UPDATE orders SET payment_status = 'paid', version = version + 1 WHERE id = :id"_s);
        update.bind(u":id"_s, locked.id);
        if (auto ok = update.exec(); !ok)
            return ok;
    }
    const bool refundDue = alreadyPaid || locked.status == QLatin1StringView(status::Cancelled);
    return addEvent(connection, locked.id, locked.status, locked.status, actor,
                    (alreadyPaid ? u"A second payment of %1 arrived (%2) for an order already paid"_s.arg(amount, provider)
                                 : u"Payment of %1 received (%2) while the order was %3"_s.arg(
                                       amount, provider, statusLabel(locked.status)))
                        + (refundDue ? u": refund it"_s : QString()));
}

Status OrderService::recordPaymentFailure(db::Connection &connection, const Order &locked, const QString &provider,
                                          const QString &reason, const Actor &actor)
{
    // A late failure report never undoes a payment that succeeded.
    if (locked.status != QLatin1StringView(status::PendingPayment) || locked.paymentStatus == "paid"_L1)
        return {};
    if (auto ok = insertPayment(connection, locked, {0, u"payment"_s, provider, QString(),
                                                     std::max<qint64>(locked.totalCents, 1), u"failed"_s, reason, QString(), {}},
                                actor);
        !ok)
        return std::unexpected(ok.error());
    auto update = connection.query(u"UPDATE orders SET payment_status = 'failed', version = version + 1 WHERE id = :id"_s);
    update.bind(u":id"_s, locked.id);
    if (auto ok = update.exec(); !ok)
        return ok;
    return addEvent(connection, locked.id, locked.status, locked.status, actor,
                    u"Payment failed (%1)%2"_s.arg(provider, reason.isEmpty() ? QString() : u": "_s + reason.left(200)));
}

Status OrderService::recordRefund(db::Connection &connection, const Order &locked, qint64 amountCents,
                                  const QString &provider, const QString &providerRef, const QString &reason,
                                  const Actor &actor)
{
    if (amountCents <= 0)
        return fail(Error::internal(u"a refund needs a positive amount"_s));
    if (!providerRef.isEmpty()) {
        // Recorded before (the admin's refund, then the provider's webhook about it):
        // nothing to do, even when the order is fully refunded by now.
        auto seen = connection.query(u"SELECT 1 FROM payments WHERE provider = :provider AND provider_ref = :ref"_s);
        seen.bind(u":provider"_s, provider);
        seen.bind(u":ref"_s, providerRef);
        if (auto ok = seen.exec(); !ok)
            return ok;
        if (seen.next())
            return {};
    }
    if (amountCents > locked.totalCents - locked.refundedCents)
        return fail(Error(Error::Kind::Conflict, u"The refund is larger than what is left to refund"_s,
                          u"NOT_REFUNDABLE"_s));
    auto inserted = insertPayment(connection, locked, {0, u"refund"_s, provider, providerRef, amountCents,
                                                       u"succeeded"_s, reason, QString(), {}}, actor);
    if (!inserted)
        return std::unexpected(inserted.error());
    if (!*inserted)
        return {}; // recorded before (the admin's refund, then the provider's webhook)
    const qint64 refunded = locked.refundedCents + amountCents;
    const bool full = refunded == locked.totalCents;
    // A full refund of an order that never left the shop puts its stock back.
    if (full && (locked.status == QLatin1StringView(status::Paid) || locked.status == QLatin1StringView(status::Packed)))
        if (auto ok = releaseStock(connection, locked, actor, u"Refunded before shipping"_s); !ok)
            return ok;
    auto update = connection.query(u"UPDATE orders SET refunded_cents = :refunded, payment_status = :payment,"
                                   " status = CASE WHEN :full THEN 'refunded' ELSE status END, expires_at = NULL,"
                                   " version = version + 1 WHERE id = :id"_s);
    update.bind(u":refunded"_s, refunded);
    update.bind(u":payment"_s, full ? u"refunded"_s : u"partially_refunded"_s);
    update.bind(u":full"_s, full);
    update.bind(u":id"_s, locked.id);
    if (auto ok = update.exec(); !ok)
        return ok;
    return addEvent(connection, locked.id, locked.status, full ? QString::fromLatin1(status::Refunded) : locked.status,
                    actor,
                    u"Refunded %1 of %2 (%3)%4"_s.arg(amountText(amountCents, locked.currency),
                                                     amountText(locked.totalCents, locked.currency), provider,
                                                     reason.isEmpty() ? QString() : u": "_s + reason.left(200)));
}

} // namespace shop::orders
