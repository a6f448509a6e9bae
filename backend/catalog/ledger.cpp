#include "ledger.h"

#include "db/database.h"

using namespace Qt::StringLiterals;

namespace shop::catalog {

Status recordMovement(db::Connection &connection, const Movement &movement, const Actor &actor)
{
    auto q = connection.query(u"INSERT INTO inventory_movements (product_id, delta, stock_after, reason, note, order_id,"
                              " actor_id, actor_label) VALUES (:product, :delta, :after, :reason, :note,"
                              " :order::bigint, :actor::bigint, :label)"_s);
    q.bind(u":product"_s, movement.productId);
    q.bind(u":delta"_s, movement.delta);
    q.bind(u":after"_s, movement.stockAfter);
    q.bind(u":reason"_s, movement.reason);
    q.bind(u":note"_s, movement.note);
    q.bind(u":order"_s, movement.orderId ? QVariant(*movement.orderId) : QVariant());
    q.bind(u":actor"_s, actor.userId ? QVariant(*actor.userId) : QVariant());
    q.bind(u":label"_s, actor.label);
    return q.exec();
}

} // namespace shop::catalog
