#include "inventory.h"

#include "db/database.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace shop::orders {

InventoryService::InventoryService(db::Database &database) : m_database(database) {}

Result<QList<StockLevel>> InventoryService::levels(const InventoryFilter &filter)
{
    QStringList where;
    QList<std::pair<QString, QVariant>> values;
    if (!filter.includeInactive)
        where.append(u"p.active"_s);
    if (filter.lowStockOnly) {
        where.append(u"p.stock <= :threshold"_s);
        values.append({u":threshold"_s, filter.lowStockThreshold});
    }
    const QString search = filter.search.simplified();
    if (!search.isEmpty()) {
        where.append(u"(p.sku LIKE :skuPrefix OR lower(p.name) LIKE :contains)"_s);
        values.append({u":skuPrefix"_s, QString(db::escapeLike(search.toUpper()) + u'%')});
        values.append({u":contains"_s, QString(u'%' + db::escapeLike(search.toLower()) + u'%')});
    }

    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    // The aggregate reads only unpaid orders' lines (order_items_product_idx and the
    // orders primary key); a product without any is reserved 0.
    auto q = conn->query(
        u"SELECT p.id, p.sku, p.name, p.active, p.stock, coalesce(r.quantity, 0), coalesce(r.orders, 0),"
        " p.updated_at FROM products p"
        " LEFT JOIN (SELECT i.product_id, sum(i.quantity) AS quantity, count(DISTINCT i.order_id) AS orders"
        "            FROM order_items i JOIN orders o ON o.id = i.order_id"
        "            WHERE o.status = 'pending_payment' AND i.product_id IS NOT NULL"
        "            GROUP BY i.product_id) r ON r.product_id = p.id"_s
        + (where.isEmpty() ? QString() : u" WHERE "_s + where.join(u" AND "_s))
        + u" ORDER BY p.sku LIMIT :limit OFFSET :offset"_s);
    for (const auto &[name, value] : std::as_const(values))
        q.bind(name, value);
    q.bind(u":limit"_s, std::clamp(filter.limit, 1, 10'000));
    q.bind(u":offset"_s, std::max(0, filter.offset));
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    QList<StockLevel> levels;
    levels.reserve(q.size());
    while (q.next()) {
        StockLevel level;
        level.productId = q.value(0).toLongLong();
        level.sku = q.value(1).toString();
        level.name = q.value(2).toString();
        level.active = q.value(3).toBool();
        level.available = int(q.value(4).toLongLong());
        level.reserved = int(q.value(5).toLongLong());
        level.reservingOrders = int(q.value(6).toLongLong());
        level.updatedAt = q.value(7).toDateTime();
        levels.append(level);
    }
    return levels;
}

} // namespace shop::orders
