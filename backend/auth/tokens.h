#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <chrono>

namespace shop::auth {

// What a verified access token says.
struct Claims
{
    qint64 userId = 0;
    QString role;
    QString email;
    QDateTime issuedAt;
    QDateTime expiresAt;
};

// HS256 access tokens (RFC 7519) through libjwt, checked the way RFC 8725 asks:
// the algorithm against an allow-list of one (so "none" and every asymmetric
// algorithm are refused before any claim is read), iss, aud, exp, iat and typ all
// required; libjwt compares the signature in constant time (jwt_strcmp).
class TokenSigner
{
public:
    struct Options
    {
        QByteArray key;                  // at least 32 bytes
        QString issuer = QStringLiteral("shopdesk");
        QString audience = QStringLiteral("shopdesk-api");
        std::chrono::seconds lifetime{15 * 60};
        std::chrono::seconds leeway{30}; // clock skew between instances
    };

    explicit TokenSigner(Options options);

    Result<QString> issue(qint64 userId, const QString &role, const QString &email,
                          QDateTime now = QDateTime::currentDateTimeUtc()) const;
    // Unauthorized with code TOKEN_EXPIRED or INVALID_TOKEN.
    Result<Claims> verify(const QString &token, QDateTime now = QDateTime::currentDateTimeUtc()) const;

    std::chrono::seconds lifetime() const { return m_options.lifetime; }

private:
    Options m_options;
};

// 256 bits from OpenSSL's CSPRNG, base64url without padding (43 characters).
QString randomToken();
// SHA-256 of a token as stored in the database: a leaked table yields nothing usable.
QByteArray tokenHash(const QString &token);

// The signing key: the configured one, or one generated on first use and kept in
// <dataDir>/secrets/jwt-signing-key with mode 0600.
Result<QByteArray> loadOrCreateSigningKey(const QString &configured, const QString &dataDir);
// The same for any key: the configured one (32+ bytes; `what` names it in the error),
// or one made on first use into <dataDir>/secrets/<fileName>, mode 0600.
Result<QByteArray> loadOrCreateKey(const QString &configured, const QString &dataDir, const QString &fileName,
                                   const QString &what);

} // namespace shop::auth
