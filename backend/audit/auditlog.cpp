#include "auditlog.h"

#include "db/database.h"

using namespace Qt::StringLiterals;

namespace shop::audit {

Status record(db::Connection &connection, const Actor &actor, const Change &change)
{
    auto q = connection.query(u"INSERT INTO audit_log (actor_id, actor_label, action, target_type, target_id,"
                              " before, after, source)"
                              " VALUES (:actor::bigint, :label, :action, :type, :target, :before::jsonb,"
                              " :after::jsonb, :source)"_s);
    q.bind(u":actor"_s, actor.userId ? QVariant(*actor.userId) : QVariant());
    q.bind(u":label"_s, actor.label);
    q.bind(u":action"_s, change.action);
    q.bind(u":type"_s, change.targetType);
    q.bind(u":target"_s, change.targetId);
    q.bind(u":before"_s, change.before.isEmpty() ? QVariant() : QVariant(QString::fromUtf8(change.before)));
    q.bind(u":after"_s, change.after.isEmpty() ? QVariant() : QVariant(QString::fromUtf8(change.after)));
    q.bind(u":source"_s, actor.source);
    return q.exec();
}

} // namespace shop::audit
