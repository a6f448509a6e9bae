#include "cartservice.h"

#include "auth/tokens.h"
#include "db/database.h"

using namespace Qt::StringLiterals;

namespace shop::orders {

namespace {

Error insufficientStock(qint64 productId, const QString &name, int stock, int inCart)
{
    QString message = stock == 0 ? u"%1 is sold out"_s.arg(name)
                                 : u"Only %1 of %2 in stock"_s.arg(stock).arg(name);
    if (inCart > 0)
        message += u" (you already have %1 in your cart)"_s.arg(inCart);
    return Error(Error::Kind::Conflict, message, u"INSUFFICIENT_STOCK"_s)
        .withField(u"items.%1"_s.arg(productId), message);
}

Error unavailable(qint64 productId, const QString &name)
{
    const QString message = u"%1 is no longer sold"_s.arg(name);
    return Error(Error::Kind::Conflict, message, u"PRODUCT_UNAVAILABLE"_s)
        .withField(u"items.%1"_s.arg(productId), message);
}

Status checkQuantity(int quantity)
{
    if (quantity < 1 || quantity > CartService::MaxQuantityPerLine)
        return fail(Error(Error::Kind::Validation, u"Some fields need attention"_s)
                        .withField(u"quantity"_s, u"Choose 1 to %1"_s.arg(CartService::MaxQuantityPerLine)));
    return {};
}

// The owner's cart id, locked until the transaction ends, or 0 when there is none and
// `create` is false. A guest without a (known) token gets a new cart and token.
Result<qint64> lockCart(db::Connection &conn, const CartOwner &owner, bool create, QString *newToken)
{
    if (owner.userId) {
        auto q = conn.query(create ? u"INSERT INTO carts (user_id) VALUES (:user) ON CONFLICT (user_id)"
                                     " DO UPDATE SET updated_at = now() RETURNING id"_s
                                   : u"SELECT id FROM carts WHERE user_id = :user FOR UPDATE"_s);
        q.bind(u":user"_s, *owner.userId);
        if (auto ok = q.exec(); !ok)
            return std::unexpected(ok.error());
        return q.next() ? q.value(0).toLongLong() : 0;
    }
    if (!owner.guestToken.isEmpty()) {
        auto q = conn.query(u"SELECT id FROM carts WHERE token_hash = :hash FOR UPDATE"_s);
        q.bind(u":hash"_s, auth::tokenHash(owner.guestToken));
        if (auto ok = q.exec(); !ok)
            return std::unexpected(ok.error());
        if (q.next())
            return q.value(0).toLongLong();
    }
    if (!create)
        return 0;
    const QString token = auth::randomToken();
    auto q = conn.query(u"INSERT INTO carts (token_hash) VALUES (:hash) RETURNING id"_s);
    q.bind(u":hash"_s, auth::tokenHash(token));
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next())
        return fail(Error::internal(u"cart insert returned no row"_s));
    if (newToken)
        *newToken = token;
    return q.value(0).toLongLong();
}

// Prices, names and stock come from the catalog as it is now.
Result<Cart> loadCart(db::Connection &conn, qint64 cartId)
{
    Cart cart;
    if (cartId == 0)
        return cart;
    auto q = conn.query(u"SELECT ci.id, ci.product_id, p.sku, p.name, p.image_url, p.price_cents, ci.quantity,"
                        " p.stock, p.active, p.currency FROM cart_items ci JOIN products p ON p.id = ci.product_id"
                        " WHERE ci.cart_id = :cart ORDER BY ci.id"_s);
    q.bind(u":cart"_s, cartId);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    while (q.next()) {
        CartLine line;
        line.id = q.value(0).toLongLong();
        line.productId = q.value(1).toLongLong();
        line.sku = q.value(2).toString();
        line.name = q.value(3).toString();
        line.imageUrl = q.value(4).toString();
        line.unitPriceCents = q.value(5).toLongLong();
        line.quantity = q.value(6).toInt();
        line.stock = q.value(7).toInt();
        line.active = q.value(8).toBool();
        line.lineTotalCents = line.unitPriceCents * line.quantity;
        cart.currency = q.value(9).toString();
        cart.totalCents += line.lineTotalCents;
        cart.itemCount += line.quantity;
        cart.lines.append(line);
    }
    return cart;
}

struct ProductState
{
    QString name;
    int stock = 0;
    bool active = false;
};

Result<ProductState> productState(db::Connection &conn, qint64 productId)
{
    auto q = conn.query(u"SELECT name, stock, active FROM products WHERE id = :id"_s);
    q.bind(u":id"_s, productId);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next())
        return fail(Error::notFound(u"No such product"_s));
    return ProductState{q.value(0).toString(), q.value(1).toInt(), q.value(2).toBool()};
}

// Runs `change` on the owner's locked cart inside one transaction, then answers the
// cart as it is after the change.
template<typename Change>
Result<Cart> mutate(db::Database &database, const CartOwner &owner, bool create, Change &&change)
{
    auto conn = database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    QString newToken;
    auto cartId = lockCart(*conn, owner, create, &newToken);
    if (!cartId)
        return std::unexpected(cartId.error());
    if (*cartId != 0) {
        if (auto ok = change(*conn, *cartId); !ok)
            return std::unexpected(ok.error());
    }
    auto cart = loadCart(*conn, *cartId);
    if (!cart)
        return cart;
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    cart->newGuestToken = newToken;
    return cart;
}

} // namespace

CartService::CartService(db::Database &database) : m_database(database) {}

Result<Cart> CartService::cart(const CartOwner &owner)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    qint64 cartId = 0;
    auto q = conn->query(owner.userId ? u"SELECT id FROM carts WHERE user_id = :key"_s
                                      : u"SELECT id FROM carts WHERE token_hash = :key"_s);
    if (owner.userId)
        q.bind(u":key"_s, *owner.userId);
    else if (!owner.guestToken.isEmpty())
        q.bind(u":key"_s, auth::tokenHash(owner.guestToken));
    else
        return Cart{};
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (q.next())
        cartId = q.value(0).toLongLong();
    return loadCart(*conn, cartId);
}

Result<Cart> CartService::add(const CartOwner &owner, qint64 productId, int quantity)
{
    if (auto ok = checkQuantity(quantity); !ok)
        return std::unexpected(ok.error());
    return mutate(m_database, owner, true, [&](db::Connection &conn, qint64 cartId) -> Status {
        auto product = productState(conn, productId);
        if (!product)
            return std::unexpected(product.error());
        if (!product->active)
            return fail(unavailable(productId, product->name));
        auto existing = conn.query(u"SELECT quantity, (SELECT count(*) FROM cart_items WHERE cart_id = :cart)"
                                   " FROM cart_items WHERE cart_id = :cart AND product_id = :product"_s);
        existing.bind(u":cart"_s, cartId);
        existing.bind(u":product"_s, productId);
        if (auto ok = existing.exec(); !ok)
            return ok;
        const int inCart = existing.next() ? existing.value(0).toInt() : 0;
        if (inCart == 0) {
            auto lines = conn.query(u"SELECT count(*) FROM cart_items WHERE cart_id = :cart"_s);
            lines.bind(u":cart"_s, cartId);
            if (auto ok = lines.exec(); !ok)
                return ok;
            if (lines.next() && lines.value(0).toInt() >= MaxLines)
                return fail(Error(Error::Kind::Validation, u"Some fields need attention"_s)
                                .withField(u"product_id"_s, u"A cart holds at most %1 different products"_s.arg(MaxLines)));
        }
        const int wanted = inCart + quantity;
        if (wanted > MaxQuantityPerLine)
            return fail(Error(Error::Kind::Validation, u"Some fields need attention"_s)
                            .withField(u"quantity"_s, u"At most %1 of one product per order"_s.arg(MaxQuantityPerLine)));
        if (wanted > product->stock)
            return fail(insufficientStock(productId, product->name, product->stock, inCart));
        auto upsert = conn.query(u"INSERT INTO cart_items (cart_id, product_id, quantity) VALUES (:cart, :product, :qty)"
                                 " ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity"_s);
        upsert.bind(u":cart"_s, cartId);
        upsert.bind(u":product"_s, productId);
        upsert.bind(u":qty"_s, wanted);
        if (auto ok = upsert.exec(); !ok)
            return ok;
        auto touch = conn.query(u"UPDATE carts SET updated_at = now() WHERE id = :cart"_s);
        touch.bind(u":cart"_s, cartId);
        return touch.exec();
    });
}

Result<Cart> CartService::setQuantity(const CartOwner &owner, qint64 itemId, int quantity)
{
    if (auto ok = checkQuantity(quantity); !ok)
        return std::unexpected(ok.error());
    auto cart = mutate(m_database, owner, false, [&](db::Connection &conn, qint64 cartId) -> Status {
        auto line = conn.query(u"SELECT p.id, p.name, p.stock, p.active, ci.quantity FROM cart_items ci"
                               " JOIN products p ON p.id = ci.product_id WHERE ci.id = :item AND ci.cart_id = :cart"_s);
        line.bind(u":item"_s, itemId);
        line.bind(u":cart"_s, cartId);
        if (auto ok = line.exec(); !ok)
            return ok;
        if (!line.next())
            return fail(Error::notFound(u"That item is not in your cart"_s));
        const qint64 productId = line.value(0).toLongLong();
        const int stock = line.value(2).toInt();
        // Lowering a line is always allowed, so a shopper can fix a line that the
        // stock no longer covers; raising it must fit the stock.
        if (quantity > line.value(4).toInt() && quantity > stock)
            return fail(insufficientStock(productId, line.value(1).toString(), stock, 0));
        if (!line.value(3).toBool() && quantity > line.value(4).toInt())
            return fail(unavailable(productId, line.value(1).toString()));
        auto update = conn.query(u"UPDATE cart_items SET quantity = :qty WHERE id = :item"_s);
        update.bind(u":qty"_s, quantity);
        update.bind(u":item"_s, itemId);
        return update.exec();
    });
    if (!cart)
        return cart;
    // No cart at all: the item cannot be in it.
    for (const CartLine &line : cart->lines) {
        if (line.id == itemId)
            return cart;
    }
    return fail(Error::notFound(u"That item is not in your cart"_s));
}

Result<Cart> CartService::remove(const CartOwner &owner, qint64 itemId)
{
    bool removed = false;
    auto cart = mutate(m_database, owner, false, [&](db::Connection &conn, qint64 cartId) -> Status {
        auto q = conn.query(u"DELETE FROM cart_items WHERE id = :item AND cart_id = :cart"_s);
        q.bind(u":item"_s, itemId);
        q.bind(u":cart"_s, cartId);
        if (auto ok = q.exec(); !ok)
            return ok;
        removed = q.rowsAffected() == 1;
        return {};
    });
    if (cart && !removed)
        return fail(Error::notFound(u"That item is not in your cart"_s));
    return cart;
}

Result<Cart> CartService::clear(const CartOwner &owner)
{
    return mutate(m_database, owner, false, [](db::Connection &conn, qint64 cartId) -> Status {
        auto q = conn.query(u"DELETE FROM cart_items WHERE cart_id = :cart"_s);
        q.bind(u":cart"_s, cartId);
        return q.exec();
    });
}

Result<Cart> CartService::merge(qint64 userId, const QString &guestToken)
{
    return mutate(m_database, CartOwner{userId, {}}, true, [&](db::Connection &conn, qint64 cartId) -> Status {
        if (guestToken.isEmpty())
            return {};
        auto guest = conn.query(u"SELECT id FROM carts WHERE token_hash = :hash FOR UPDATE"_s);
        guest.bind(u":hash"_s, auth::tokenHash(guestToken));
        if (auto ok = guest.exec(); !ok)
            return ok;
        if (!guest.next())
            return {}; // already merged, or expired: nothing to do
        const qint64 guestId = guest.value(0).toLongLong();
        // Lines already in the account's cart add up; new ones join while there is room.
        auto move = conn.query(u"INSERT INTO cart_items (cart_id, product_id, quantity)"
                               " SELECT :cart, g.product_id, g.quantity FROM ("
                               "   SELECT g.product_id, g.quantity, g.id,"
                               "          EXISTS (SELECT 1 FROM cart_items u WHERE u.cart_id = :cart"
                               "                  AND u.product_id = g.product_id) AS present"
                               "   FROM cart_items g WHERE g.cart_id = :guest) g"
                               " WHERE g.present OR g.id IN ("
                               "   SELECT n.id FROM cart_items n WHERE n.cart_id = :guest AND NOT EXISTS"
                               "     (SELECT 1 FROM cart_items u WHERE u.cart_id = :cart AND u.product_id = n.product_id)"
                               "   ORDER BY n.id"
                               "   LIMIT greatest(0, :lines - (SELECT count(*) FROM cart_items WHERE cart_id = :cart)))"
                               " ORDER BY g.id"
                               " ON CONFLICT (cart_id, product_id) DO UPDATE"
                               " SET quantity = LEAST(cart_items.quantity + EXCLUDED.quantity, :max)"_s);
        move.bind(u":cart"_s, cartId);
        move.bind(u":guest"_s, guestId);
        move.bind(u":max"_s, MaxQuantityPerLine);
        move.bind(u":lines"_s, MaxLines);
        if (auto ok = move.exec(); !ok)
            return ok;
        auto drop = conn.query(u"DELETE FROM carts WHERE id = :guest"_s);
        drop.bind(u":guest"_s, guestId);
        return drop.exec();
    });
}

} // namespace shop::orders
