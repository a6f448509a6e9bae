#include "auditmodel.h"

#include "pagekit.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace shop {

AuditModel::AuditModel(QObject *parent) : QAbstractTableModel(parent) {}

int AuditModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int AuditModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const auth::AuditEntry &e = m_entries.at(index.row());
    switch (index.column()) {
    case AtColumn:
        return role == Qt::ToolTipRole ? e.at.toLocalTime().toString(Qt::ISODateWithMs) : formatDateTime(e.at);
    case ActorColumn:
        return e.actor;
    case ActionColumn:
        return e.action;
    case TargetColumn:
        return e.targetId.isEmpty() ? e.targetType : QString(e.targetType + u" #"_s + e.targetId);
    case SourceColumn:
        return e.source;
    }
    return {};
}

QVariant AuditModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case AtColumn:
        return tr("When");
    case ActorColumn:
        return tr("Who");
    case ActionColumn:
        return tr("Action");
    case TargetColumn:
        return tr("Target");
    case SourceColumn:
        return tr("From");
    }
    return {};
}

void AuditModel::setEntries(QList<auth::AuditEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

QString AuditModel::prettyJson(const QByteArray &json)
{
    if (json.trimmed().isEmpty() || json.trimmed() == "null")
        return u"\u2014"_s;
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || document.isNull())
        return QString::fromUtf8(json);
    return QString::fromUtf8(document.toJson(QJsonDocument::Indented)).trimmed();
}

} // namespace shop
