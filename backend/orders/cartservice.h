#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace shop::db {
class Database;
}

namespace shop::orders {

// Whose cart: a signed-in user's, or a guest's (the random cart token the storefront
// keeps; only its SHA-256 is stored).
struct CartOwner
{
    std::optional<qint64> userId;
    QString guestToken;
};

struct CartLine
{
    qint64 id = 0; // cart item id
    qint64 productId = 0;
    QString sku;
    QString name;
    QString imageUrl;
    qint64 unitPriceCents = 0; // the catalog's price now, never the client's
    int quantity = 0;
    int stock = 0;             // what the shop has now
    bool active = true;        // false: the product was withdrawn; checkout will refuse it
    qint64 lineTotalCents = 0;
};

struct Cart
{
    QList<CartLine> lines;
    qint64 totalCents = 0;
    QString currency = QStringLiteral("USD");
    int itemCount = 0;
    // Set when this call created a guest cart: the token the client must send back
    // (X-Cart-Token). Never set for a signed-in user.
    QString newGuestToken;
};

class CartService
{
public:
    static constexpr int MaxQuantityPerLine = 99;
    static constexpr int MaxLines = 50;

    explicit CartService(db::Database &database);

    Result<Cart> cart(const CartOwner &owner);
    // Adds to the line (or creates it). INSUFFICIENT_STOCK (409) when the line would
    // exceed the stock, PRODUCT_UNAVAILABLE (409) for an inactive product, NotFound for
    // none, Validation for a quantity outside 1..MaxQuantityPerLine.
    Result<Cart> add(const CartOwner &owner, qint64 productId, int quantity);
    Result<Cart> setQuantity(const CartOwner &owner, qint64 itemId, int quantity);
    Result<Cart> remove(const CartOwner &owner, qint64 itemId);
    Result<Cart> clear(const CartOwner &owner);
    // Moves a guest cart's lines into the user's cart and deletes the guest cart.
    // Quantities add up, capped at MaxQuantityPerLine; new lines join only while the cart
    // has fewer than MaxLines (the oldest guest lines first); a line the stock no longer
    // covers comes along flagged (CartLine::stock), for the cart page to fix. An unknown
    // token is a no-op.
    Result<Cart> merge(qint64 userId, const QString &guestToken);

private:
    db::Database &m_database;
};

} // namespace shop::orders
