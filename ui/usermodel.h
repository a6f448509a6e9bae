#pragma once

#include "auth/useradmin.h"

#include <QAbstractTableModel>
#include <QHash>

namespace shop {

// The accounts on the Users page. The page loads them (off the GUI thread) and hands
// them over; a change to one account replaces its row in place, so the selection and
// scroll position survive an action.
class UserTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        EmailColumn,
        NameColumn,
        RoleColumn,
        StatusColumn,
        TwoFactorColumn,
        LastSignInColumn,
        CreatedColumn,
        ColumnCount
    };
    enum Role {
        UserIdRole = Qt::UserRole + 1,
        SortRole, // what the proxy sorts by: dates as dates, not as their text
    };

    explicit UserTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setUsers(QList<auth::User> users);
    // Replaces the row of the same id; false when it is not listed.
    bool updateUser(const auth::User &user);
    const auth::User &user(int row) const { return m_users.at(row); }
    int rowOfUser(qint64 id) const { return m_rowOf.value(id, -1); }

    // "Active", "Disabled", "Locked until ...", with a note when a new password is due.
    static QString statusText(const auth::User &user);

private:
    QList<auth::User> m_users;
    QHash<qint64, int> m_rowOf;
};

// One account's sign-in attempts, newest first.
class LoginEventModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { AtColumn, ResultColumn, AddressColumn, ClientColumn, ColumnCount };

    explicit LoginEventModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setEvents(QList<auth::LoginEvent> events);
    const auth::LoginEvent &event(int row) const { return m_events.at(row); }

private:
    QList<auth::LoginEvent> m_events;
};

} // namespace shop
