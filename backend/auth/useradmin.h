#pragma once

#include "authservice.h"
#include "core/actor.h"
#include "core/result.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace shop::db {
class Database;
}

namespace shop::auth {

struct LoginEvent
{
    qint64 id = 0;
    QString email;
    bool success = false;
    QString reason;
    QString address;
    QString userAgent;
    QDateTime at;
};

struct AuditEntry
{
    qint64 id = 0;
    QString actor;
    QString action;
    QString targetType;
    QString targetId;
    QByteArray before; // JSON text or empty
    QByteArray after;
    QString source;
    QDateTime at;
};

struct AuditFilter
{
    QString action;      // prefix, e.g. "product." or "user.role"
    QString targetType;  // "product", "category", "user"
    QString actor;       // substring of the actor label
    QDateTime from;
    QDateTime to;
    int offset = 0;
    int limit = 200;
};

// What the desktop Users and Audit views do. Every change writes the audit log in
// its own transaction, with before and after.
class UserAdmin
{
public:
    explicit UserAdmin(db::Database &database);

    // Newest first; `search` matches email or name.
    Result<QList<User>> users(const QString &search, int offset = 0, int limit = 200);
    Result<User> setRole(qint64 userId, const QString &role, const Actor &actor);
    Result<User> setDisabled(qint64 userId, bool disabled, const Actor &actor); // disabling ends sessions
    Result<User> lock(qint64 userId, int minutes, const Actor &actor);
    Result<User> unlock(qint64 userId, const Actor &actor);                     // clears failures and locks
    // The user must choose a new password at next sign-in; their sessions end.
    Result<User> forcePasswordReset(qint64 userId, const Actor &actor);
    Status revokeSessions(qint64 userId, const Actor &actor);
    Result<QList<LoginEvent>> loginHistory(qint64 userId, int limit = 100);

    Result<QList<AuditEntry>> audit(const AuditFilter &filter);

private:
    // Locks the user, runs `sql` (when not empty; it binds :id), optionally ends their
    // sessions, audits before/after, all in one transaction.
    Result<User> change(qint64 userId, const QString &action, const QString &sql,
                        const QList<std::pair<QString, QVariant>> &values, const Actor &actor, bool endSessions);

    db::Database &m_database;
};

} // namespace shop::auth
