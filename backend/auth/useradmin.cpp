#include "useradmin.h"

#include "audit/auditlog.h"
#include "db/database.h"
#include "userrow.h"

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

// The audited view of a user row: never the password hash or the TOTP secret.
constexpr auto AuditJson = "(to_jsonb(u) - 'password_hash' - 'totp_secret')::text";

} // namespace

UserAdmin::UserAdmin(db::Database &database) : m_database(database) {}

Result<QList<User>> UserAdmin::users(const QString &search, int offset, int limit)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    const QString s = search.simplified();
    auto q = conn->query(u"SELECT "_s + QLatin1StringView(UserColumns) + u" FROM users u"_s
                         + (s.isEmpty() ? QString()
                                        : u" WHERE u.email::text ILIKE :like OR (u.first_name || ' ' || u.last_name)"
                                          " ILIKE :like"_s)
                         + u" ORDER BY u.created_at DESC, u.id DESC LIMIT :limit OFFSET :offset"_s);
    if (!s.isEmpty())
        q.bind(u":like"_s, QString(u'%' + db::escapeLike(s) + u'%'));
    q.bind(u":limit"_s, qBound(1, limit, 1000));
    q.bind(u":offset"_s, qMax(0, offset));
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    QList<User> out;
    while (q.next())
        out.append(readUser(q));
    return out;
}

Result<User> UserAdmin::change(qint64 userId, const QString &action, const QString &sql,
                               const QList<std::pair<QString, QVariant>> &values, const Actor &actor,
                               bool endSessions)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto before = conn->query(u"SELECT "_s + QLatin1StringView(AuditJson) + u" FROM users u WHERE id = :id FOR UPDATE"_s);
    before.bind(u":id"_s, userId);
    if (auto ok = before.exec(); !ok)
        return std::unexpected(ok.error());
    if (!before.next())
        return fail(Error::notFound(u"No such user"_s));
    const QByteArray beforeJson = before.text(0);

    if (!sql.isEmpty()) {
        auto update = conn->query(sql);
        update.bind(u":id"_s, userId);
        for (const auto &[name, value] : values)
            update.bind(name, value);
        if (auto ok = update.exec(); !ok)
            return std::unexpected(ok.error());
    }
    if (endSessions) {
        auto revoke = conn->query(u"UPDATE refresh_tokens SET revoked_at = now(), revoked_why = :why"
                                  " WHERE user_id = :id AND revoked_at IS NULL"_s);
        revoke.bind(u":id"_s, userId);
        revoke.bind(u":why"_s, action);
        if (auto ok = revoke.exec(); !ok)
            return std::unexpected(ok.error());
    }
    // The audit's "after" and the returned user in one read.
    auto after = conn->query(u"SELECT "_s + QLatin1StringView(AuditJson) + u", "_s + QLatin1StringView(UserColumns)
                             + u" FROM users u WHERE id = :id"_s);
    after.bind(u":id"_s, userId);
    if (auto ok = after.exec(); !ok)
        return std::unexpected(ok.error());
    if (!after.next())
        return fail(Error::notFound(u"No such user"_s));
    const QByteArray afterJson = after.text(0);
    const User user = readUser(after, 1);
    if (auto ok = audit::record(*conn, actor, {action, u"user"_s, QString::number(userId), beforeJson, afterJson}); !ok)
        return std::unexpected(ok.error());
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return user;
}

namespace {

// True when `userId` is the only enabled administrator: the shop must keep one.
Result<bool> lastAdmin(db::Database &database, qint64 userId)
{
    auto conn = database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT EXISTS (SELECT 1 FROM users WHERE id = :id AND role = 'admin' AND disabled_at IS NULL)"
                         " AND NOT EXISTS (SELECT 1 FROM users WHERE id <> :id AND role = 'admin'"
                         " AND disabled_at IS NULL)"_s);
    q.bind(u":id"_s, userId);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    return q.next() && q.value(0).toBool();
}

} // namespace

Result<User> UserAdmin::setRole(qint64 userId, const QString &role, const Actor &actor)
{
    if (role != "customer"_L1 && role != "staff"_L1 && role != "admin"_L1)
        return fail(Error(Error::Kind::Validation, u"The role must be customer, staff or admin"_s)
                        .withField(u"role"_s, u"customer, staff or admin"_s));
    if (actor.userId && *actor.userId == userId && role != "admin"_L1)
        return fail(Error(Error::Kind::Conflict, u"You cannot take away your own administrator role"_s));
    if (role != "admin"_L1) {
        auto last = lastAdmin(m_database, userId);
        if (!last)
            return std::unexpected(last.error());
        if (*last)
            return fail(Error(Error::Kind::Conflict, u"This is the shop's only administrator; make another one first"_s));
    }
    return change(userId, u"user.role"_s, u"UPDATE users SET role = :role, version = version + 1 WHERE id = :id"_s,
                  {{u":role"_s, role}}, actor, true);
}

Result<User> UserAdmin::setDisabled(qint64 userId, bool disabled, const Actor &actor)
{
    if (disabled && actor.userId && *actor.userId == userId)
        return fail(Error(Error::Kind::Conflict, u"You cannot disable your own account"_s));
    if (disabled) {
        auto last = lastAdmin(m_database, userId);
        if (!last)
            return std::unexpected(last.error());
        if (*last)
            return fail(Error(Error::Kind::Conflict, u"This is the shop's only administrator; make another one first"_s));
    }
    return change(userId, disabled ? u"user.disable"_s : u"user.enable"_s,
                  disabled ? u"UPDATE users SET disabled_at = coalesce(disabled_at, now()), version = version + 1"
                             " WHERE id = :id"_s
                           : u"UPDATE users SET disabled_at = NULL, version = version + 1 WHERE id = :id"_s,
                  {}, actor, disabled);
}

Result<User> UserAdmin::lock(qint64 userId, int minutes, const Actor &actor)
{
    return change(userId, u"user.lock"_s,
                  u"UPDATE users SET locked_until = now() + make_interval(mins => :minutes) WHERE id = :id"_s,
                  {{u":minutes"_s, qBound(1, minutes, 60 * 24 * 365)}}, actor, true);
}

Result<User> UserAdmin::unlock(qint64 userId, const Actor &actor)
{
    return change(userId, u"user.unlock"_s,
                  u"UPDATE users SET locked_until = NULL, failed_logins = 0, lockouts = 0 WHERE id = :id"_s, {}, actor,
                  false);
}

Result<User> UserAdmin::forcePasswordReset(qint64 userId, const Actor &actor)
{
    return change(userId, u"user.force_password_reset"_s,
                  u"UPDATE users SET must_reset_password = true, version = version + 1 WHERE id = :id"_s, {}, actor,
                  true);
}

Status UserAdmin::revokeSessions(qint64 userId, const Actor &actor)
{
    auto changed = change(userId, u"user.revoke_sessions"_s, {}, {}, actor, true);
    if (!changed)
        return std::unexpected(changed.error());
    return {};
}

Result<QList<LoginEvent>> UserAdmin::loginHistory(qint64 userId, int limit)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT id, email::text, success, reason, ip, user_agent, created_at FROM login_events"
                         " WHERE user_id = :id ORDER BY created_at DESC, id DESC LIMIT :limit"_s);
    q.bind(u":id"_s, userId);
    q.bind(u":limit"_s, qBound(1, limit, 1000));
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    QList<LoginEvent> out;
    while (q.next())
        out.append({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toBool(), q.value(3).toString(),
                    q.value(4).toString(), q.value(5).toString(), q.value(6).toDateTime()});
    return out;
}

Result<QList<AuditEntry>> UserAdmin::audit(const AuditFilter &filter)
{
    QStringList where;
    QList<std::pair<QString, QVariant>> values;
    if (!filter.action.isEmpty()) {
        where.append(u"action LIKE :action"_s);
        values.append({u":action"_s, QString(db::escapeLike(filter.action) + u'%')});
    }
    if (!filter.targetType.isEmpty()) {
        where.append(u"target_type = :type"_s);
        values.append({u":type"_s, filter.targetType});
    }
    if (!filter.actor.isEmpty()) {
        where.append(u"actor_label ILIKE :actor"_s);
        values.append({u":actor"_s, QString(u'%' + db::escapeLike(filter.actor) + u'%')});
    }
    if (filter.from.isValid()) {
        where.append(u"created_at >= :from"_s);
        values.append({u":from"_s, filter.from});
    }
    if (filter.to.isValid()) {
        where.append(u"created_at < :to"_s);
        values.append({u":to"_s, filter.to});
    }
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT id, actor_label, action, target_type, target_id, before::text, after::text, source,"
                         " created_at FROM audit_log"_s
                         + (where.isEmpty() ? QString() : u" WHERE "_s + where.join(u" AND "_s))
                         + u" ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset"_s);
    for (const auto &[name, value] : std::as_const(values))
        q.bind(name, value);
    q.bind(u":limit"_s, qBound(1, filter.limit, 1000));
    q.bind(u":offset"_s, qMax(0, filter.offset));
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    QList<AuditEntry> out;
    while (q.next())
        out.append({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                    q.value(4).toString(), q.text(5), q.text(6), q.value(7).toString(), q.value(8).toDateTime()});
    return out;
}

} // namespace shop::auth
