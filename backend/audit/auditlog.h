#pragma once

#include "core/actor.h"
#include "core/result.h"

#include <QByteArray>
#include <QString>

namespace shop::db {
class Connection;
}

namespace shop::audit {

// One admin change. before/after are JSON text (PostgreSQL's own to_jsonb of the row
// is the usual source) or empty for "none".
struct Change
{
    QString action;     // e.g. "product.update"
    QString targetType; // e.g. "product"
    QString targetId;
    QByteArray before;
    QByteArray after;
};

// Appends to audit_log on `connection`, inside the caller's transaction, so the
// entry exists exactly when the change does. There is no update or delete path.
Status record(db::Connection &connection, const Actor &actor, const Change &change);

} // namespace shop::audit
