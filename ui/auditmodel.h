#pragma once

#include "auth/useradmin.h"

#include <QAbstractTableModel>

namespace shop {

// Rows of the audit log, newest first as the service returns them. Read-only: the
// log is append-only and nothing in the console edits or deletes it.
class AuditModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { AtColumn, ActorColumn, ActionColumn, TargetColumn, SourceColumn, ColumnCount };

    explicit AuditModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setEntries(QList<auth::AuditEntry> entries);
    const auth::AuditEntry &entry(int row) const { return m_entries.at(row); }

    // The JSON indented for reading; the text as stored when it is not JSON; a dash
    // for none (a creation has no before, a deletion no after).
    static QString prettyJson(const QByteArray &json);

private:
    QList<auth::AuditEntry> m_entries;
};

} // namespace shop
