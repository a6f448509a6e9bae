#include "authservice.h"

#include "audit/auditlog.h"
#include "core/logging.h"
#include "db/database.h"
#include "userrow.h"
#include "mail/outbox.h"
#include "passwords.h"
#include "totp.h"

#include <QRegularExpression>
#include <QUuid>

#include <cmath>

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

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
    : m_database(database), m_signer(signer), m_options(options),
      m_box(options.dataKey.isEmpty() ? randomToken().toLatin1() : options.dataKey)
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
    if (auto ok = issueEmailToken(*conn, user.id, user.email, u"verify_email"_s); !ok)
        return std::unexpected(ok.error());
    auto session = openSession(*conn, user, QUuid::createUuid().toString(QUuid::WithoutBraces), client);
    if (!session)
        return session;
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return session;
}

Result<Session> AuthService::login(const QString &email, const QString &password, const ClientInfo &client)
{
    return login(email, password, {}, client);
}

Result<Session> AuthService::login(const QString &emailText, const QString &password, const QString &secondFactor,
                                   const ClientInfo &client)
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
            hash = find.value(UserColumnCount).toString().toLatin1();
            lockouts = int(find.value(UserColumnCount + 1).toLongLong());
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
        // The same round trips as a wrong password for an account (lock the row, count
        // the failure, record it, commit), on no row: the answer's timing tells nothing.
        db::Transaction tx(*conn);
        if (auto ok = tx.begin(); !ok)
            return std::unexpected(ok.error());
        auto state = conn->query(u"SELECT failed_logins, lockouts, locked_until FROM users WHERE id = :id FOR UPDATE"_s);
        state.bind(u":id"_s, qint64(-1));
        if (auto ok = state.exec(); !ok)
            return std::unexpected(ok.error());
        auto update = conn->query(u"UPDATE users SET failed_logins = failed_logins + 1 WHERE id = :id"_s);
        update.bind(u":id"_s, qint64(-1));
        if (auto ok = update.exec(); !ok)
            return std::unexpected(ok.error());
        recordLogin(*conn, std::nullopt, *email, false, u"unknown email"_s, client);
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        return fail(invalidCredentials());
    }
    User user = *found;
    if (isLocked) {
        recordLogin(*conn, user.id, user.email, false, u"locked"_s, client);
        return fail(locked(user.lockedUntil));
    }
    // The second factor is asked for only once the password is right, and a wrong
    // one counts as a failed sign-in like a wrong password (so codes cannot be
    // guessed faster than passwords).
    bool secondFactorOk = true;
    if (passwordOk && found->totpEnabled) {
        if (secondFactor.trimmed().isEmpty()) {
            recordLogin(*conn, user.id, user.email, false, u"second factor required"_s, client);
            return fail(Error(Error::Kind::Unauthorized, u"Enter the code from your authenticator app"_s,
                              u"TOTP_REQUIRED"_s));
        }
        auto checked = checkSecondFactor(user.id, secondFactor);
        if (!checked)
            return std::unexpected(checked.error());
        secondFactorOk = *checked;
    }
    // The cost was raised since this hash was made: upgrade it now that we hold the
    // password (hashed before the transaction: bcrypt must not run under a row lock).
    QByteArray rehashed;
    if (passwordOk && secondFactorOk && Passwords::needsRehash(hash, m_options.bcryptCost)) {
        if (auto fresh = Passwords::hash(password, m_options.bcryptCost))
            rehashed = *fresh;
    }

    // The verdict is taken under the account's row lock, on its state as it is now:
    // sign-ins for one account run in parallel on the worker pool, and each read the
    // counters before its bcrypt. Without the lock four of them could each see four
    // failures and none lock, or each lock and double the next lock's length.
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto state = conn->query(u"SELECT failed_logins, lockouts, locked_until FROM users WHERE id = :id FOR UPDATE"_s);
    state.bind(u":id"_s, user.id);
    if (auto ok = state.exec(); !ok)
        return std::unexpected(ok.error());
    if (!state.next())
        return fail(invalidCredentials()); // deleted meanwhile
    const int failedBefore = state.value(0).toInt();
    lockouts = state.value(1).toInt();
    const QDateTime lockedUntil = state.value(2).toDateTime();
    if (lockedUntil.isValid() && lockedUntil > QDateTime::currentDateTimeUtc()) {
        // Locked by a parallel attempt while this one hashed: the answer says nothing
        // about this password, right or wrong.
        recordLogin(*conn, user.id, user.email, false, u"locked"_s, client);
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        return fail(locked(lockedUntil));
    }
    if (!passwordOk || !secondFactorOk) {
        // Escalating lockout (ASVS 2.2.1): every `threshold` failures in a row lock the
        // account for base * 2^n, capped; the counter restarts after each lock.
        const int failures = failedBefore + 1;
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
        const QString what = passwordOk ? u"wrong second factor"_s : u"wrong password"_s;
        recordLogin(*conn, user.id, user.email, false, lockNow ? what + u"; locked"_s : what, client);
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        if (lockNow)
            qCWarning(lcApp).noquote() << "account" << user.id << "locked for" << lockSeconds << "s after"
                                       << failures << "failed sign-ins, the last from" << client.address;
        if (passwordOk)
            return fail(Error(Error::Kind::Unauthorized, u"The code is not valid"_s, u"INVALID_TOTP"_s));
        return fail(invalidCredentials());
    }
    if (user.disabled) {
        recordLogin(*conn, user.id, user.email, false, u"disabled"_s, client);
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        return fail(Error(Error::Kind::Forbidden, u"This account is disabled"_s, u"ACCOUNT_DISABLED"_s));
    }

    auto success = conn->query(u"UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = NULL,"
                               " last_login_at = now(), password_hash = coalesce(:rehash, password_hash)"
                               " WHERE id = :id"_s);
    success.bind(u":rehash"_s, rehashed.isEmpty() ? QVariant() : QVariant(QString::fromLatin1(rehashed)));
    success.bind(u":id"_s, user.id);
    if (auto ok = success.exec(); !ok)
        return std::unexpected(ok.error());
    if (user.mustResetPassword) {
        // An admin asked for a new password: mail a reset link instead of a session.
        if (auto ok = issueEmailToken(*conn, user.id, user.email, u"reset_password"_s); !ok)
            return std::unexpected(ok.error());
        recordLogin(*conn, user.id, user.email, false, u"password reset required"_s, client);
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        return fail(Error(Error::Kind::Forbidden, u"Choose a new password: we sent a link to your email address"_s,
                          u"PASSWORD_RESET_REQUIRED"_s));
    }
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

Result<bool> AuthService::staffTwoFactorRequired()
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT coalesce((SELECT value = 'true'::jsonb FROM shop_settings"
                         " WHERE key = 'require_2fa_staff'), false)"_s);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    return q.next() && q.value(0).toBool();
}

Status AuthService::setStaffTwoFactorRequired(bool required, const Actor &actor)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return ok;
    auto q = conn->query(u"INSERT INTO shop_settings (key, value) VALUES ('require_2fa_staff', :value::jsonb)"
                         " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"_s);
    q.bind(u":value"_s, required ? u"true"_s : u"false"_s);
    if (auto ok = q.exec(); !ok)
        return ok;
    const QByteArray after = required ? "{\"require_2fa_staff\":true}" : "{\"require_2fa_staff\":false}";
    if (auto ok = audit::record(*conn, actor, {u"settings.require_2fa_staff"_s, u"settings"_s, {}, {}, after}); !ok)
        return ok;
    return tx.commit();
}

// --- Email flows -----------------------------------------------------------------

Status AuthService::issueEmailToken(db::Connection &conn, qint64 userId, const QString &email,
                                    const QString &purpose)
{
    // One live token per purpose: a new request replaces the old link.
    auto spendOld = conn.query(u"UPDATE one_time_tokens SET used_at = now()"
                               " WHERE user_id = :user AND purpose = :purpose AND used_at IS NULL"_s);
    spendOld.bind(u":user"_s, userId);
    spendOld.bind(u":purpose"_s, purpose);
    if (auto ok = spendOld.exec(); !ok)
        return ok;
    const QString token = randomToken();
    auto insert = conn.query(u"INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at)"
                             " VALUES (:user, :purpose, :hash, now() + interval '1 hour')"_s);
    insert.bind(u":user"_s, userId);
    insert.bind(u":purpose"_s, purpose);
    insert.bind(u":hash"_s, tokenHash(token));
    if (auto ok = insert.exec(); !ok)
        return ok;
    const bool verify = purpose == "verify_email"_L1;
    const QString link = m_publicUrl + (verify ? u"/verify-email?token="_s : u"/reset-password?token="_s) + token;
    mail::Message message;
    message.to = email;
    message.kind = purpose;
    message.subject = verify ? u"Confirm your email address"_s : u"Reset your password"_s;
    message.bodyText = verify ? u"Welcome!\n\nConfirm your email address by opening this link within an hour:\n\n"_s
                                    + link + u"\n\nIf you did not create an account, ignore this message.\n"_s
                              : u"Someone asked to reset the password of your account.\n\nOpen this link within "
                                "an hour to choose a new one:\n\n"_s
                                    + link
                                    + u"\n\nIf it was not you, ignore this message; your password is unchanged.\n"_s;
    return mail::enqueue(conn, message);
}

Result<qint64> AuthService::spendEmailToken(db::Connection &conn, const QString &token, const QString &purpose)
{
    if (token.isEmpty() || token.size() > 128)
        return fail(Error(Error::Kind::InvalidRequest, u"This link is not valid or has expired"_s, u"INVALID_TOKEN"_s));
    auto spend = conn.query(u"UPDATE one_time_tokens SET used_at = now()"
                            " WHERE token_hash = :hash AND purpose = :purpose AND used_at IS NULL"
                            " AND expires_at > now() RETURNING user_id"_s);
    spend.bind(u":hash"_s, tokenHash(token));
    spend.bind(u":purpose"_s, purpose);
    if (auto ok = spend.exec(); !ok)
        return std::unexpected(ok.error());
    if (!spend.next())
        return fail(Error(Error::Kind::InvalidRequest, u"This link is not valid or has expired"_s, u"INVALID_TOKEN"_s));
    return spend.value(0).toLongLong();
}

Status AuthService::sendVerificationEmail(qint64 userId)
{
    auto found = user(userId);
    if (!found)
        return std::unexpected(found.error());
    if (found->emailVerified)
        return {};
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return ok;
    if (auto ok = issueEmailToken(*conn, userId, found->email, u"verify_email"_s); !ok)
        return ok;
    return tx.commit();
}

Status AuthService::verifyEmail(const QString &token)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return ok;
    auto userId = spendEmailToken(*conn, token, u"verify_email"_s);
    if (!userId)
        return std::unexpected(userId.error());
    auto mark = conn->query(u"UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = :id"_s);
    mark.bind(u":id"_s, *userId);
    if (auto ok = mark.exec(); !ok)
        return ok;
    return tx.commit();
}

Status AuthService::forgotPassword(const QString &emailText, const ClientInfo &client)
{
    auto email = normalizeEmail(emailText);
    if (!email)
        return {}; // same answer as for any address
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return ok;
    auto find = conn->query(u"SELECT id FROM users WHERE email = :email AND disabled_at IS NULL"_s);
    find.bind(u":email"_s, *email);
    if (auto ok = find.exec(); !ok)
        return ok;
    if (find.next()) {
        if (auto ok = issueEmailToken(*conn, find.value(0).toLongLong(), *email, u"reset_password"_s); !ok)
            return ok;
    }
    recordLogin(*conn, std::nullopt, *email, false, u"password reset requested"_s, client);
    return tx.commit();
}

Status AuthService::resetPassword(const QString &token, const QString &newPassword)
{
    if (auto ok = Passwords::checkPolicy(newPassword); !ok)
        return ok;
    auto hash = Passwords::hash(newPassword, m_options.bcryptCost);
    if (!hash)
        return std::unexpected(hash.error());
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return ok;
    auto userId = spendEmailToken(*conn, token, u"reset_password"_s);
    if (!userId)
        return std::unexpected(userId.error());
    // Whoever could read the mail controls the account now: end every session, clear
    // the lock, and treat the address as verified.
    auto update = conn->query(u"UPDATE users SET password_hash = :hash, password_changed_at = now(),"
                              " must_reset_password = false, failed_logins = 0, lockouts = 0, locked_until = NULL,"
                              " email_verified_at = coalesce(email_verified_at, now()) WHERE id = :id"_s);
    update.bind(u":hash"_s, QString::fromLatin1(*hash));
    update.bind(u":id"_s, *userId);
    if (auto ok = update.exec(); !ok)
        return ok;
    auto revoke = conn->query(u"UPDATE refresh_tokens SET revoked_at = now(), revoked_why = 'password reset'"
                              " WHERE user_id = :id AND revoked_at IS NULL"_s);
    revoke.bind(u":id"_s, *userId);
    if (auto ok = revoke.exec(); !ok)
        return ok;
    return tx.commit();
}

// --- Two-factor ----------------------------------------------------------------------

namespace {

// A TOTP seed is sealed for its own row: moved to another account it opens nothing.
QByteArray totpAssociated(qint64 userId)
{
    return "shopdesk totp seed, user " + QByteArray::number(userId);
}

// The seed as stored: sealed, or (enrolled before seeds were sealed) plain bytes.
Result<QByteArray> openTotpSeed(const SecretBox &box, qint64 userId, const QByteArray &stored)
{
    if (!SecretBox::isSealed(stored))
        return stored;
    return box.open(stored, totpAssociated(userId));
}

} // namespace

Result<AuthService::TotpEnrolment> AuthService::beginTotp(qint64 userId)
{
    auto found = user(userId);
    if (!found)
        return std::unexpected(found.error());
    if (found->totpEnabled)
        return fail(Error(Error::Kind::Conflict, u"Two-factor sign-in is already on"_s));
    const QByteArray secret = totp::generateSecret();
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto sealed = m_box.seal(secret, totpAssociated(userId));
    if (!sealed)
        return std::unexpected(sealed.error());
    auto store = conn->query(u"UPDATE users SET totp_secret = :secret, totp_last_step = NULL WHERE id = :id"_s);
    store.bind(u":secret"_s, *sealed);
    store.bind(u":id"_s, userId);
    if (auto ok = store.exec(); !ok)
        return std::unexpected(ok.error());
    TotpEnrolment e;
    e.secretBase32 = totp::base32(secret);
    e.uri = totp::provisioningUri(secret, found->email, u"ShopDesk"_s);
    e.qrSvg = totp::qrSvg(e.uri);
    return e;
}

Result<QStringList> AuthService::confirmTotp(qint64 userId, const QString &code)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    auto find = conn->query(u"SELECT totp_secret, totp_enabled_at IS NOT NULL FROM users WHERE id = :id FOR UPDATE"_s);
    find.bind(u":id"_s, userId);
    if (auto ok = find.exec(); !ok)
        return std::unexpected(ok.error());
    if (!find.next() || find.isNull(0))
        return fail(Error(Error::Kind::Conflict, u"Start two-factor enrolment first"_s));
    if (find.value(1).toBool())
        return fail(Error(Error::Kind::Conflict, u"Two-factor sign-in is already on"_s));
    auto seed = openTotpSeed(m_box, userId, find.value(0).toByteArray());
    if (!seed)
        return std::unexpected(seed.error());
    const auto step = totp::verify(*seed, code.trimmed(), QDateTime::currentDateTimeUtc(), std::nullopt);
    if (!step)
        return fail(Error(Error::Kind::Validation, u"The code is not valid"_s, u"INVALID_TOTP"_s)
                        .withField(u"code"_s, u"Not the current code"_s));
    auto enable = conn->query(u"UPDATE users SET totp_enabled_at = now(), totp_last_step = :step WHERE id = :id"_s);
    enable.bind(u":step"_s, *step);
    enable.bind(u":id"_s, userId);
    if (auto ok = enable.exec(); !ok)
        return std::unexpected(ok.error());
    auto clear = conn->query(u"DELETE FROM recovery_codes WHERE user_id = :id"_s);
    clear.bind(u":id"_s, userId);
    if (auto ok = clear.exec(); !ok)
        return std::unexpected(ok.error());
    const QStringList codes = totp::generateRecoveryCodes();
    for (const QString &c : codes) {
        auto insert = conn->query(u"INSERT INTO recovery_codes (user_id, code_hash) VALUES (:id, :hash)"_s);
        insert.bind(u":id"_s, userId);
        insert.bind(u":hash"_s, totp::recoveryCodeHash(c));
        if (auto ok = insert.exec(); !ok)
            return std::unexpected(ok.error());
    }
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return codes;
}

Status AuthService::disableTotp(qint64 userId, const QString &password)
{
    QByteArray hash;
    {
        auto conn = m_database.acquire();
        if (!conn)
            return std::unexpected(conn.error());
        auto find = conn->query(u"SELECT password_hash FROM users WHERE id = :id"_s);
        find.bind(u":id"_s, userId);
        if (auto ok = find.exec(); !ok)
            return ok;
        if (!find.next())
            return fail(Error::notFound(u"No such user"_s));
        hash = find.value(0).toString().toLatin1();
    }
    if (!Passwords::verify(password, hash))
        return fail(invalidCredentials());
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto off = conn->query(u"WITH codes AS (DELETE FROM recovery_codes WHERE user_id = :id)"
                           " UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL"
                           " WHERE id = :id"_s);
    off.bind(u":id"_s, userId);
    return off.exec();
}

Result<bool> AuthService::checkSecondFactor(qint64 userId, const QString &secondFactor)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());
    const QString given = secondFactor.trimmed().remove(u' ');
    if (given.size() == totp::Digits) {
        auto find = conn->query(u"SELECT totp_secret, totp_last_step FROM users WHERE id = :id FOR UPDATE"_s);
        find.bind(u":id"_s, userId);
        if (auto ok = find.exec(); !ok)
            return std::unexpected(ok.error());
        if (!find.next())
            return false;
        const std::optional<qint64> last = find.isNull(1) ? std::nullopt
                                                          : std::optional<qint64>(find.value(1).toLongLong());
        // Each code once (RFC 6238 5.2): the matched step must be newer than the last.
        auto seed = openTotpSeed(m_box, userId, find.value(0).toByteArray());
        if (!seed)
            return std::unexpected(seed.error());
        const auto step = totp::verify(*seed, given, QDateTime::currentDateTimeUtc(), last);
        if (!step)
            return false;
        auto mark = conn->query(u"UPDATE users SET totp_last_step = :step WHERE id = :id"_s);
        mark.bind(u":step"_s, *step);
        mark.bind(u":id"_s, userId);
        if (auto ok = mark.exec(); !ok)
            return std::unexpected(ok.error());
    } else {
        auto spend = conn->query(u"UPDATE recovery_codes SET used_at = now()"
                                 " WHERE user_id = :id AND code_hash = :hash AND used_at IS NULL RETURNING id"_s);
        spend.bind(u":id"_s, userId);
        spend.bind(u":hash"_s, totp::recoveryCodeHash(given));
        if (auto ok = spend.exec(); !ok)
            return std::unexpected(ok.error());
        if (!spend.next())
            return false;
    }
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    return true;
}

} // namespace shop::auth
