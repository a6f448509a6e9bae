#include "authservice.h"

#include "audit/auditlog.h"
#include "core/logging.h"
#include "db/database.h"
#include "passwords.h"

#include <QRegularExpression>
#include <QUuid>

#include <cmath>

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

constexpr auto UserColumns = "u.id, u.email::text, u.first_name, u.last_name, u.role, u.email_verified_at IS NOT NULL,"
                             " u.disabled_at IS NOT NULL, u.totp_enabled_at IS NOT NULL, u.must_reset_password,"
                             " u.failed_logins, u.locked_until, u.last_login_at, u.created_at, u.version";

User readUser(const db::Query &q, int at = 0)
{
    User u;
    u.id = q.value(at + 0).toLongLong();
    u.email = q.value(at + 1).toString();
    u.firstName = q.value(at + 2).toString();
    u.lastName = q.value(at + 3).toString();
    u.role = q.value(at + 4).toString();
    u.emailVerified = q.value(at + 5).toBool();
    u.disabled = q.value(at + 6).toBool();
    u.totpEnabled = q.value(at + 7).toBool();
    u.mustResetPassword = q.value(at + 8).toBool();
    u.failedLogins = int(q.value(at + 9).toLongLong());
    u.lockedUntil = q.value(at + 10).toDateTime();
    u.lastLoginAt = q.value(at + 11).toDateTime();
    u.createdAt = q.value(at + 12).toDateTime();
    u.version = int(q.value(at + 13).toLongLong());
    return u;
}

Error invalidCredentials()
{
    // One message for an unknown email and a wrong password (ASVS 2.2.x, OWASP
    // authentication cheat sheet): the answer must not tell which.
    return Error(Error::Kind::Unauthorized, u"Invalid email or password"_s, u"INVALID_CREDENTIALS"_s);
}

Error invalidRefresh()
{
    return Error(Error::Kind::Unauthorized, u"The session has ended; sign in again"_s, u"INVALID_TOKEN"_s);
}

Error locked(const QDateTime &until)
{
    const qint64 seconds = qMax<qint64>(1, QDateTime::currentDateTimeUtc().secsTo(until));
    return Error(Error::Kind::RateLimited, u"Too many attempts; try again later"_s, u"RATE_LIMITED"_s)
        .withRetryAfter(int(qMin<qint64>(seconds, 86'400)));
}

QString clipped(const QString &text, int max)
{
    return text.size() > max ? text.left(max) : text;
}

} // namespace

AuthService::AuthService(db::Database &database, const TokenSigner &signer, Options options)
    : m_database(database), m_signer(signer), m_options(options)
{
    auto dummy = Passwords::hash(randomToken(), m_options.bcryptCost);
    m_dummyHash = dummy ? *dummy : QByteArray();
}

Result<QString> AuthService::normalizeEmail(const QString &email)
{
    static const QRegularExpression shape(u"^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$"_s);
    const QString e = email.trimmed().toLower();
    if (e.isEmpty())
        return fail(Error(Error::Kind::MissingFields, u"Enter an email address"_s).withField(u"email"_s, u"Required"_s));
    if (e.size() > 254 || !shape.match(e).hasMatch())
        return fail(Error(Error::Kind::Validation, u"Enter a valid email address"_s)
                        .withField(u"email"_s, u"Not a valid email address"_s));
    return e;
}

Result<Session> AuthService::registerCustomer(const QString &emailText, const QString &password,
                                              const QString &firstName, const QString &lastName,
                                              const ClientInfo &client)
{
    auto email = normalizeEmail(emailText);
    if (!email)
        return std::unexpected(email.error());
    if (auto ok = Passwords::checkPolicy(password); !ok)
        return std::unexpected(ok.error());
    if (firstName.size() > 100 || lastName.size() > 100)
        return fail(Error(Error::Kind::Validation, u"Names are at most 100 characters"_s));
    auto hash = Passwords::hash(password, m_options.bcryptCost);
    if (!hash)
        return std::unexpected(hash.error());

    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto insert = conn->query(u"INSERT INTO users (email, password_hash, first_name, last_name)"
                              " VALUES (:email, :hash, :first, :last) RETURNING "_s
                              + QLatin1StringView(UserColumns).toString().replace(u"u."_s, QString()));
    insert.bind(u":email"_s, *email);
    insert.bind(u":hash"_s, QString::fromLatin1(*hash));
    insert.bind(u":first"_s, firstName.trimmed());
    insert.bind(u":last"_s, lastName.trimmed());
    if (auto ok = insert.exec(); !ok) {
        // The lab's contract: a duplicate is EMAIL_EXISTS. It does tell that the address
        // has an account; registration is rate limited per client address, which
        // bounds how fast anyone can ask (the choice is in the README).
        if (insert.sqlState() == "23505"_L1)
            return fail(Error(Error::Kind::Conflict, u"An account with this email already exists"_s,
                              u"EMAIL_EXISTS"_s));
        return std::unexpected(ok.error());
    }
    if (!insert.next())
        return fail(Error::internal(u"the new account has no id"_s));
    const User user = readUser(insert);
    recordLogin(*conn, user.id, user.email, true, u"registered"_s, client);
    auto session = openSession(*conn, user, QUuid::createUuid().toString(QUuid::WithoutBraces), client);
    if (!session)
        return session;
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return session;
}

Result<Session> AuthService::login(const QString &emailText, const QString &password, const ClientInfo &client)
{
    auto email = normalizeEmail(emailText);
    if (!email || password.isEmpty() || password.toUtf8().size() > 1024) {
        Passwords::verify(password.left(72), m_dummyHash); // the same work either way
        return fail(invalidCredentials());
    }

    // Read the account, then let the lease go: bcrypt takes a quarter of a second and
    // must not hold a pool connection while it runs (a login storm would starve the
    // catalog of connections).
    std::optional<User> found;
    QByteArray hash;
    int lockouts = 0;
    {
        auto conn = m_database.acquire();
        if (!conn)
            return std::unexpected(conn.error());
        auto find = conn->query(u"SELECT "_s + QLatin1StringView(UserColumns)
                                + u", u.password_hash, u.lockouts FROM users u WHERE u.email = :email"_s);
        find.bind(u":email"_s, *email);
        if (auto ok = find.exec(); !ok)
            return std::unexpected(ok.error());
        if (find.next()) {
            found = readUser(find);
            hash = find.value(14).toString().toLatin1();
            lockouts = int(find.value(15).toLongLong());
        }
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const bool isLocked = found && found->lockedUntil.isValid() && found->lockedUntil > now;
    const bool passwordOk = Passwords::verify(password, found && !isLocked ? hash : m_dummyHash) && found
                            && !isLocked;

    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    if (!found) {
        recordLogin(*conn, std::nullopt, *email, false, u"unknown email"_s, client);
        return fail(invalidCredentials());
    }
    User user = *found;
    if (isLocked) {
        recordLogin(*conn, user.id, user.email, false, u"locked"_s, client);
        return fail(locked(user.lockedUntil));
    }
    if (!passwordOk) {
        // Escalating lockout (ASVS 2.2.1): every `threshold` failures in a row lock the
        // account for base * 2^n, capped; the counter restarts after each lock.
        const int failures = user.failedLogins + 1;
        const bool lockNow = failures >= m_options.lockoutThreshold;
        const qint64 lockSeconds =
            qMin<qint64>(m_options.lockoutMax.count(),
                         m_options.lockoutBase.count() * (qint64(1) << qMin(lockouts, 20)));
        auto update = conn->query(lockNow ? u"UPDATE users SET failed_logins = 0, lockouts = lockouts + 1,"
                                            " locked_until = now() + make_interval(secs => :secs) WHERE id = :id"_s
                                          : u"UPDATE users SET failed_logins = failed_logins + 1 WHERE id = :id"_s);
        update.bind(u":id"_s, user.id);
        if (lockNow)
            update.bind(u":secs"_s, double(lockSeconds));
        if (auto ok = update.exec(); !ok)
            return std::unexpected(ok.error());
        recordLogin(*conn, user.id, user.email, false, lockNow ? u"wrong password; locked"_s : u"wrong password"_s,
                    client);
        if (lockNow)
            qCWarning(lcApp).noquote() << "account" << user.id << "locked for" << lockSeconds << "s after"
                                       << failures << "failed sign-ins, the last from" << client.address;
        return fail(invalidCredentials());
    }
    if (user.disabled) {
        recordLogin(*conn, user.id, user.email, false, u"disabled"_s, client);
        return fail(Error(Error::Kind::Forbidden, u"This account is disabled"_s, u"ACCOUNT_DISABLED"_s));
    }

    // The cost was raised since this hash was made: upgrade it now that we hold the
    // password (hashed before the transaction, for the same reason as above).
    QByteArray rehashed;
    if (Passwords::needsRehash(hash, m_options.bcryptCost)) {
        if (auto fresh = Passwords::hash(password, m_options.bcryptCost))
            rehashed = *fresh;
    }
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto success = conn->query(u"UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = NULL,"
                               " last_login_at = now(), password_hash = coalesce(:rehash, password_hash)"
                               " WHERE id = :id"_s);
    success.bind(u":rehash"_s, rehashed.isEmpty() ? QVariant() : QVariant(QString::fromLatin1(rehashed)));
    success.bind(u":id"_s, user.id);
    if (auto ok = success.exec(); !ok)
        return std::unexpected(ok.error());
    recordLogin(*conn, user.id, user.email, true, {}, client);
    user.failedLogins = 0;
    user.lastLoginAt = now;
    auto session = openSession(*conn, user, QUuid::createUuid().toString(QUuid::WithoutBraces), client);
    if (!session)
        return session;
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return session;
}

Result<Session> AuthService::refresh(const QString &refreshToken, const ClientInfo &client)
{
    if (refreshToken.isEmpty() || refreshToken.size() > 128)
        return fail(invalidRefresh());
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto find = conn->query(u"SELECT t.id, t.family::text, t.used_at IS NOT NULL, t.revoked_at IS NOT NULL,"
                            " t.expires_at <= now(), "_s
                            + QLatin1StringView(UserColumns)
                            + u" FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
                              " WHERE t.token_hash = :hash FOR UPDATE OF t"_s);
    find.bind(u":hash"_s, tokenHash(refreshToken));
    if (auto ok = find.exec(); !ok)
        return std::unexpected(ok.error());
    if (!find.next())
        return fail(invalidRefresh());
    const qint64 tokenId = find.value(0).toLongLong();
    const QString family = find.value(1).toString();
    const bool used = find.value(2).toBool();
    const bool revoked = find.value(3).toBool();
    const bool expired = find.value(4).toBool();
    const User user = readUser(find, 5);

    const auto revokeFamily = [&](const QString &why) -> Status {
        auto revoke = conn->query(u"UPDATE refresh_tokens SET revoked_at = now(), revoked_why = :why"
                                  " WHERE family = :family::uuid AND revoked_at IS NULL"_s);
        revoke.bind(u":why"_s, why);
        revoke.bind(u":family"_s, family);
        if (auto ok = revoke.exec(); !ok)
            return ok;
        return tx.commit();
    };
    if (used && !revoked) {
        // A spent token came back: someone holds a copy. End every session that grew
        // from the same sign-in; the real user signs in again.
        qCWarning(lcApp).noquote() << "refresh token reuse for user" << user.id << "from" << client.address
                                   << "- revoking its family";
        if (auto ok = revokeFamily(u"reuse detected"_s); !ok)
            return std::unexpected(ok.error());
        return fail(invalidRefresh());
    }
    if (revoked || expired)
        return fail(invalidRefresh());
    if (user.disabled) {
        if (auto ok = revokeFamily(u"account disabled"_s); !ok)
            return std::unexpected(ok.error());
        return fail(invalidRefresh());
    }
    auto session = openSession(*conn, user, family, client);
    if (!session)
        return session;
    auto spend = conn->query(u"UPDATE refresh_tokens SET used_at = now(),"
                             " replaced_by = (SELECT id FROM refresh_tokens WHERE token_hash = :next)"
                             " WHERE id = :id"_s);
    spend.bind(u":next"_s, tokenHash(session->refreshToken));
    spend.bind(u":id"_s, tokenId);
    if (auto ok = spend.exec(); !ok)
        return std::unexpected(ok.error());
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return session;
}

Status AuthService::logout(const QString &refreshToken)
{
    if (refreshToken.isEmpty() || refreshToken.size() > 128)
        return {}; // nothing to end; signing out is idempotent
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto revoke = conn->query(u"UPDATE refresh_tokens SET revoked_at = now(), revoked_why = 'logout'"
                              " WHERE revoked_at IS NULL AND family = (SELECT family FROM refresh_tokens"
                              " WHERE token_hash = :hash)"_s);
    revoke.bind(u":hash"_s, tokenHash(refreshToken));
    return revoke.exec();
}

Status AuthService::logoutAll(qint64 userId)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto revoke = conn->query(u"UPDATE refresh_tokens SET revoked_at = now(), revoked_why = 'logout-all'"
                              " WHERE user_id = :id AND revoked_at IS NULL"_s);
    revoke.bind(u":id"_s, userId);
    return revoke.exec();
}

Result<User> AuthService::user(qint64 id)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT "_s + QLatin1StringView(UserColumns) + u" FROM users u WHERE u.id = :id"_s);
    q.bind(u":id"_s, id);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next())
        return fail(Error::notFound(u"No such user"_s));
    return readUser(q);
}

Result<User> AuthService::authenticate(const QString &accessToken)
{
    auto claims = m_signer.verify(accessToken);
    if (!claims)
        return std::unexpected(claims.error());
    auto found = user(claims->userId);
    if (!found) {
        if (found.error().kind() == Error::Kind::NotFound)
            return fail(Error(Error::Kind::Unauthorized, u"The token is not valid"_s, u"INVALID_TOKEN"_s));
        return found;
    }
    if (found->disabled)
        return fail(Error(Error::Kind::Unauthorized, u"This account is disabled"_s, u"ACCOUNT_DISABLED"_s));
    return found;
}

Result<User> AuthService::createUser(const QString &emailText, const QString &password, const QString &role,
                                     const Actor &actor)
{
    if (role != "customer"_L1 && role != "staff"_L1 && role != "admin"_L1)
        return fail(Error(Error::Kind::Validation, u"The role must be customer, staff or admin"_s)
                        .withField(u"role"_s, u"customer, staff or admin"_s));
    auto email = normalizeEmail(emailText);
    if (!email)
        return std::unexpected(email.error());
    if (auto ok = Passwords::checkPolicy(password); !ok)
        return std::unexpected(ok.error());
    auto hash = Passwords::hash(password, m_options.bcryptCost);
    if (!hash)
        return std::unexpected(hash.error());
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto insert = conn->query(u"INSERT INTO users (email, password_hash, role, email_verified_at)"
                              " VALUES (:email, :hash, :role, now()) RETURNING id"_s);
    insert.bind(u":email"_s, *email);
    insert.bind(u":hash"_s, QString::fromLatin1(*hash));
    insert.bind(u":role"_s, role);
    if (auto ok = insert.exec(); !ok) {
        if (insert.sqlState() == "23505"_L1)
            return fail(Error(Error::Kind::Conflict, u"An account with this email already exists"_s,
                              u"EMAIL_EXISTS"_s));
        return std::unexpected(ok.error());
    }
    if (!insert.next())
        return fail(Error::internal(u"the new account has no id"_s));
    const qint64 id = insert.value(0).toLongLong();
    const QByteArray after = "{\"email\":\"" + email->toUtf8() + "\",\"role\":\"" + role.toUtf8() + "\"}";
    if (auto ok = audit::record(*conn, actor, {u"user.create"_s, u"user"_s, QString::number(id), {}, after}); !ok)
        return std::unexpected(ok.error());
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return user(id);
}

Result<bool> AuthService::hasAdmin()
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL)"_s);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    return q.next() && q.value(0).toBool();
}

Result<Session> AuthService::openSession(db::Connection &conn, const User &user, const QString &family,
                                         const ClientInfo &client)
{
    Session session;
    session.user = user;
    auto access = m_signer.issue(user.id, user.role, user.email);
    if (!access)
        return std::unexpected(access.error());
    session.accessToken = *access;
    session.accessLifetime = m_signer.lifetime();
    session.refreshToken = randomToken();
    session.refreshExpiresAt = QDateTime::currentDateTimeUtc().addSecs(m_options.refreshLifetime.count());
    auto insert = conn.query(u"INSERT INTO refresh_tokens (user_id, family, token_hash, expires_at, ip, user_agent)"
                             " VALUES (:user, :family::uuid, :hash, :expires, :ip, :agent)"_s);
    insert.bind(u":user"_s, user.id);
    insert.bind(u":family"_s, family);
    insert.bind(u":hash"_s, tokenHash(session.refreshToken));
    insert.bind(u":expires"_s, session.refreshExpiresAt);
    insert.bind(u":ip"_s, clipped(client.address, 64));
    insert.bind(u":agent"_s, clipped(client.userAgent, 300));
    if (auto ok = insert.exec(); !ok)
        return std::unexpected(ok.error());
    return session;
}

void AuthService::recordLogin(db::Connection &conn, std::optional<qint64> userId, const QString &email,
                              bool success, const QString &reason, const ClientInfo &client)
{
    auto q = conn.query(u"INSERT INTO login_events (user_id, email, success, reason, ip, user_agent)"
                        " VALUES (:user::bigint, :email, :success, :reason, :ip, :agent)"_s);
    q.bind(u":user"_s, userId ? QVariant(*userId) : QVariant());
    q.bind(u":email"_s, clipped(email, 254));
    q.bind(u":success"_s, success);
    q.bind(u":reason"_s, reason);
    q.bind(u":ip"_s, clipped(client.address, 64));
    q.bind(u":agent"_s, clipped(client.userAgent, 300));
    if (auto ok = q.exec(); !ok)
        qCWarning(lcApp).noquote() << "login history not recorded:" << ok.error().message();
}

} // namespace shop::auth
