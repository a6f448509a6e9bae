#include "outboxmodel.h"

#include "pagekit.h"

#include <QColor>

using namespace Qt::StringLiterals;

namespace shop {

OutboxModel::OutboxModel(QObject *parent) : QAbstractTableModel(parent) {}

int OutboxModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int OutboxModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OutboxModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const mail::OutboxEntry &e = m_entries.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case ToColumn:
            return e.to;
        case SubjectColumn:
            return e.subject;
        case KindColumn:
            return e.kind;
        case StatusColumn:
            return e.status;
        case AttemptsColumn:
            return e.attempts;
        case CreatedColumn:
            return formatDateTime(e.createdAt);
        case SentColumn:
            return formatDateTime(e.sentAt);
        }
    } else if (role == Qt::ForegroundRole && index.column() == StatusColumn) {
        if (e.status == "failed"_L1)
            return QColor(0xc5, 0x22, 0x1f);
        if (e.status == "sent"_L1)
            return QColor(0x18, 0x80, 0x38);
    } else if (role == Qt::ToolTipRole && index.column() == StatusColumn && !e.lastError.isEmpty()) {
        return e.lastError;
    } else if (role == Qt::TextAlignmentRole && index.column() == AttemptsColumn) {
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant OutboxModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ToColumn:
        return tr("To");
    case SubjectColumn:
        return tr("Subject");
    case KindColumn:
        return tr("Kind");
    case StatusColumn:
        return tr("Status");
    case AttemptsColumn:
        return tr("Attempts");
    case CreatedColumn:
        return tr("Queued");
    case SentColumn:
        return tr("Sent");
    }
    return {};
}

void OutboxModel::setEntries(QList<mail::OutboxEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

int OutboxModel::rowOfEntry(qint64 id) const
{
    for (int row = 0; row < m_entries.size(); ++row) {
        if (m_entries.at(row).id == id)
            return row;
    }
    return -1;
}

} // namespace shop
