#pragma once

#include <QObject>

namespace shop::catalog {

// The catalog's change signal, fed by the PostgreSQL NOTIFY that a trigger sends on
// every product or category change, whoever made it (this process, another
// instance, a psql session). Emitted on the listener's thread; the desktop views
// connect with Qt::QueuedConnection.
class CatalogEvents : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

Q_SIGNALS:
    // `table` is "products" or "categories"; `ids` the changed rows when known
    // (empty: anything may have changed, e.g. after a reconnect).
    void changed(const QString &table, const QList<qint64> &ids);
};

} // namespace shop::catalog
