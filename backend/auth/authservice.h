#pragma once

#include "core/actor.h"
#include "core/result.h"
#include "secretbox.h"
#include "tokens.h"

#include <QDateTime>
#include <QString>

#include <chrono>

namespace shop::db {
class Connection;
class Database;
} // namespace shop::db

namespace shop::auth {

struct User
{
    qint64 id = 0;
    QString email;
    QString firstName;
    QString lastName;
    QString role; // customer | staff | admin
    bool emailVerified = false;
    bool disabled = false;
    bool totpEnabled = false;
    bool mustResetPassword = false;
    int failedLogins = 0;
    QDateTime lockedUntil;
    QDateTime lastLoginAt;
    QDateTime createdAt;
    int version = 1;
};

struct ClientInfo
{
    QString address;
    QString userAgent;
};

// What a successful sign-in, registration or refresh hands back.
struct Session
{
    User user;
    QString accessToken;
    std::chrono::seconds accessLifetime{0};
    QString refreshToken;
    QDateTime refreshExpiresAt;
};

// Sign-up, sign-in, token refresh and sign-out (ASVS 2 and 3). Every call that
// hashes a password runs bcrypt: callers put it on the worker pool, never on an
// I/O thread.
class AuthService
{
public:
    struct Options
    {
        int bcryptCost = 12;
        std::chrono::seconds refreshLifetime{30 * 86'400};
        int lockoutThreshold = 5;                 // failures in a row before a lock
        std::chrono::seconds lockoutBase{60};     // first lock; doubles each time
        std::chrono::seconds lockoutMax{3600};
        // Seals the TOTP seeds at rest (SecretBox). Empty: a random key for this
        // process only (tests); the running shop passes --data-key or the data dir's.
        QByteArray dataKey;
    };

    AuthService(db::Database &database, const TokenSigner &signer, Options options);

    // Trim + lower case; a plausible address (RFC 5321 lengths, one @, a dot in the
    // domain) or a Validation error on "email".
    static Result<QString> normalizeEmail(const QString &email);

    // A new customer; EMAIL_EXISTS (409) when the address is taken.
    Result<Session> registerCustomer(const QString &email, const QString &password, const QString &firstName,
                                     const QString &lastName, const ClientInfo &client);
    // INVALID_CREDENTIALS (401) for an unknown email or a wrong password alike, after
    // the same bcrypt work; RATE_LIMITED (429) while the account is locked.
    Result<Session> login(const QString &email, const QString &password, const ClientInfo &client);
    // Rotates: the presented token is spent and a new one returned. A spent token
    // presented again revokes every token of its family (RFC 6819 5.2.2.3).
    Result<Session> refresh(const QString &refreshToken, const ClientInfo &client);
    // Revokes the presented token's family (this device's session).
    Status logout(const QString &refreshToken);
    // Revokes every refresh token of the user (all devices).
    Status logoutAll(qint64 userId);

    Result<User> user(qint64 id);
    // For the admin guard: the token is valid and the account still exists, is not
    // disabled, and its current role (not the one in the token) is returned.
    Result<User> authenticate(const QString &accessToken);

    // Staff and admins are made by admins (or `shopdesk create-admin`), never by
    // registration. Writes the audit log.
    Result<User> createUser(const QString &email, const QString &password, const QString &role,
                            const Actor &actor);
    Result<bool> hasAdmin();

    // The shop-wide switch (shop_settings 'require_2fa_staff'): when on, staff and
    // admins without two-factor may sign in only to enrol; the admin API refuses
    // them (TOTP_ENROLMENT_REQUIRED) until they have.
    Result<bool> staffTwoFactorRequired();
    Status setStaffTwoFactorRequired(bool required, const Actor &actor);

    // --- Email flows (ASVS 2.5): single-use tokens, hashed, expiring in an hour,
    // sent through the outbox in the same transaction that creates them. Links point
    // at `publicUrl` (configured, never taken from the request's Host header, which
    // would let anyone mail a reset link to their own server).
    void setPublicUrl(const QString &url) { m_publicUrl = url; }
    Status sendVerificationEmail(qint64 userId);
    Status verifyEmail(const QString &token);
    // Always succeeds the same way, whether or not the address has an account.
    Status forgotPassword(const QString &email, const ClientInfo &client);
    // Sets the new password, spends the token, and ends every session (all refresh
    // tokens revoked).
    Status resetPassword(const QString &token, const QString &newPassword);

    // --- Two-factor (RFC 6238). Enrolment stores a pending secret; confirming it
    // with a code enables it and returns ten recovery codes, shown once.
    struct TotpEnrolment
    {
        QString secretBase32;
        QString uri;
        QString qrSvg;
    };
    Result<TotpEnrolment> beginTotp(qint64 userId);
    Result<QStringList> confirmTotp(qint64 userId, const QString &code);
    Status disableTotp(qint64 userId, const QString &password);
    // login() with a second factor: a 6-digit code or a recovery code. Without one,
    // an account with two-factor gets TOTP_REQUIRED (only after the right password).
    Result<Session> login(const QString &email, const QString &password, const QString &secondFactor,
                          const ClientInfo &client);

    const TokenSigner &signer() const { return m_signer; }

private:
    Result<Session> openSession(db::Connection &conn, const User &user, const QString &family,
                                const ClientInfo &client);
    void recordLogin(db::Connection &conn, std::optional<qint64> userId, const QString &email, bool success,
                     const QString &reason, const ClientInfo &client);

    Status issueEmailToken(db::Connection &conn, qint64 userId, const QString &email, const QString &purpose);
    Result<qint64> spendEmailToken(db::Connection &conn, const QString &token, const QString &purpose);
    Result<bool> checkSecondFactor(qint64 userId, const QString &secondFactor);

    db::Database &m_database;
    const TokenSigner &m_signer;
    QString m_publicUrl = QStringLiteral("http://127.0.0.1:8080");
    Options m_options;
    SecretBox m_box;
    QByteArray m_dummyHash; // verified against when the email is unknown: same work
};

} // namespace shop::auth
