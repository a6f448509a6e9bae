#include "usermodel.h"

#include "pagekit.h"

#include <QColor>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

const QColor kAlarm(0xc5, 0x22, 0x1f);
const QColor kWarning(0xb0, 0x60, 0x00);
const QColor kGood(0x18, 0x80, 0x38);

bool isLocked(const auth::User &user)
{
    return user.lockedUntil.isValid() && user.lockedUntil > QDateTime::currentDateTimeUtc();
}

} // namespace

UserTableModel::UserTableModel(QObject *parent) : QAbstractTableModel(parent) {}

int UserTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_users.size());
}

int UserTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString UserTableModel::statusText(const auth::User &user)
{
    QString text;
    if (user.disabled)
        text = tr("Disabled");
    else if (isLocked(user))
        text = tr("Locked until %1").arg(formatDateTime(user.lockedUntil));
    else
        text = tr("Active");
    if (user.mustResetPassword)
        text += tr(", new password due");
    return text;
}

QVariant UserTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auth::User &u = m_users.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case EmailColumn:
            return u.email;
        case NameColumn:
            return QString(u.firstName + u' ' + u.lastName).trimmed();
        case RoleColumn:
            return u.role;
        case StatusColumn:
            return statusText(u);
        case TwoFactorColumn:
            return u.totpEnabled ? tr("On") : tr("Off");
        case LastSignInColumn:
            return u.lastLoginAt.isValid() ? formatDateTime(u.lastLoginAt) : tr("Never");
        case CreatedColumn:
            return formatDateTime(u.createdAt);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case LastSignInColumn:
            return u.lastLoginAt;
        case CreatedColumn:
            return u.createdAt;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::ForegroundRole:
        if (index.column() == StatusColumn) {
            if (u.disabled)
                return kAlarm;
            if (isLocked(u) || u.mustResetPassword)
                return kWarning;
        }
        if (index.column() == TwoFactorColumn && u.totpEnabled)
            return kGood;
        break;
    case Qt::ToolTipRole:
        if (index.column() == StatusColumn && u.failedLogins > 0)
            return tr("%n failed sign-in(s) since the last success", nullptr, u.failedLogins);
        break;
    case UserIdRole:
        return u.id;
    }
    return {};
}

QVariant UserTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case EmailColumn:
        return tr("Email");
    case NameColumn:
        return tr("Name");
    case RoleColumn:
        return tr("Role");
    case StatusColumn:
        return tr("Status");
    case TwoFactorColumn:
        return tr("2FA");
    case LastSignInColumn:
        return tr("Last sign-in");
    case CreatedColumn:
        return tr("Created");
    }
    return {};
}

void UserTableModel::setUsers(QList<auth::User> users)
{
    beginResetModel();
    m_users = std::move(users);
    m_rowOf.clear();
    for (int row = 0; row < m_users.size(); ++row)
        m_rowOf.insert(m_users.at(row).id, row);
    endResetModel();
}

bool UserTableModel::updateUser(const auth::User &user)
{
    const int row = rowOfUser(user.id);
    if (row < 0)
        return false;
    m_users[row] = user;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    return true;
}

// --- LoginEventModel --------------------------------------------------------------------

LoginEventModel::LoginEventModel(QObject *parent) : QAbstractTableModel(parent) {}

int LoginEventModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int LoginEventModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LoginEventModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auth::LoginEvent &e = m_events.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case AtColumn:
            return formatDateTime(e.at);
        case ResultColumn:
            return e.success ? tr("Signed in") : tr("Refused: %1").arg(e.reason);
        case AddressColumn:
            return e.address;
        case ClientColumn:
            return e.userAgent;
        }
    } else if (role == Qt::ForegroundRole && index.column() == ResultColumn) {
        return e.success ? kGood : kAlarm;
    }
    return {};
}

QVariant LoginEventModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case AtColumn:
        return tr("When");
    case ResultColumn:
        return tr("Result");
    case AddressColumn:
        return tr("From");
    case ClientColumn:
        return tr("Client");
    }
    return {};
}

void LoginEventModel::setEvents(QList<auth::LoginEvent> events)
{
    beginResetModel();
    m_events = std::move(events);
    endResetModel();
}

} // namespace shop
