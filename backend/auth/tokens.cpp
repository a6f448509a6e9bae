#include "tokens.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QSaveFile>

#include <jwt.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

struct JwtDeleter
{
    void operator()(jwt_t *jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

Error invalidToken(QString message = u"The token is not valid"_s)
{
    return Error(Error::Kind::Unauthorized, std::move(message), u"INVALID_TOKEN"_s);
}

// The header, decoded without trusting anything in it, to check "alg" before the
// library acts on it.
std::optional<QByteArray> headerAlgorithm(const QString &token)
{
    const qsizetype dot = token.indexOf(u'.');
    if (dot <= 0)
        return std::nullopt;
    const QByteArray json = QByteArray::fromBase64(token.left(dot).toLatin1(),
                                                   QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    const qsizetype at = json.indexOf("\"alg\"");
    if (at < 0)
        return std::nullopt;
    const qsizetype open = json.indexOf('"', json.indexOf(':', at) + 1);
    const qsizetype close = json.indexOf('"', open + 1);
    if (open < 0 || close < 0)
        return std::nullopt;
    return json.mid(open + 1, close - open - 1);
}

} // namespace

TokenSigner::TokenSigner(Options options) : m_options(std::move(options)) {}

Result<QString> TokenSigner::issue(qint64 userId, const QString &role, const QString &email, QDateTime now) const
{
    if (m_options.key.size() < 32)
        return fail(Error::internal(u"the token signing key is shorter than 256 bits"_s));
    jwt_t *raw = nullptr;
    if (jwt_new(&raw) != 0)
        return fail(Error::internal(u"cannot create a token"_s));
    JwtPtr jwt(raw);
    const long iat = long(now.toSecsSinceEpoch());
    const bool ok = jwt_add_grant(jwt.get(), "iss", m_options.issuer.toUtf8().constData()) == 0
                    && jwt_add_grant(jwt.get(), "aud", m_options.audience.toUtf8().constData()) == 0
                    && jwt_add_grant(jwt.get(), "sub", QByteArray::number(userId).constData()) == 0
                    && jwt_add_grant(jwt.get(), "typ", "access") == 0
                    && jwt_add_grant(jwt.get(), "role", role.toUtf8().constData()) == 0
                    && jwt_add_grant(jwt.get(), "email", email.toUtf8().constData()) == 0
                    && jwt_add_grant_int(jwt.get(), "iat", iat) == 0
                    && jwt_add_grant_int(jwt.get(), "exp", iat + long(m_options.lifetime.count())) == 0
                    && jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                                   reinterpret_cast<const unsigned char *>(m_options.key.constData()),
                                   int(m_options.key.size()))
                           == 0;
    if (!ok)
        return fail(Error::internal(u"cannot build the token"_s));
    char *encoded = jwt_encode_str(jwt.get());
    if (!encoded)
        return fail(Error::internal(u"cannot sign the token"_s));
    QString token = QString::fromLatin1(encoded);
    ::free(encoded); // libjwt 1.10 hands out malloc()ed strings
    return token;
}

Result<Claims> TokenSigner::verify(const QString &token, QDateTime now) const
{
    if (token.isEmpty() || token.size() > 4096 || token.count(u'.') != 2)
        return fail(invalidToken());
    // RFC 8725 2.1 / 3.1: the allow-list is checked on the raw header first.
    const auto alg = headerAlgorithm(token);
    if (!alg || *alg != "HS256")
        return fail(invalidToken(u"The token's algorithm is not accepted"_s));
    jwt_t *raw = nullptr;
    const QByteArray text = token.toLatin1();
    if (jwt_decode(&raw, text.constData(), reinterpret_cast<const unsigned char *>(m_options.key.constData()),
                   int(m_options.key.size()))
        != 0)
        return fail(invalidToken());
    JwtPtr jwt(raw);
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256)
        return fail(invalidToken(u"The token's algorithm is not accepted"_s));

    const auto grant = [&](const char *name) -> QString {
        const char *v = jwt_get_grant(jwt.get(), name);
        return v ? QString::fromUtf8(v) : QString();
    };
    errno = 0;
    const long iat = jwt_get_grant_int(jwt.get(), "iat");
    const bool hasIat = errno == 0;
    errno = 0;
    const long exp = jwt_get_grant_int(jwt.get(), "exp");
    const bool hasExp = errno == 0;
    if (grant("iss") != m_options.issuer || grant("aud") != m_options.audience || grant("typ") != "access"_L1
        || !hasIat || !hasExp)
        return fail(invalidToken());
    bool numeric = false;
    const qint64 sub = grant("sub").toLongLong(&numeric);
    if (!numeric || sub <= 0)
        return fail(invalidToken());
    const qint64 nowSecs = now.toSecsSinceEpoch();
    if (iat > nowSecs + m_options.leeway.count())
        return fail(invalidToken(u"The token was issued in the future"_s));
    if (exp + m_options.leeway.count() < nowSecs)
        return fail(Error(Error::Kind::Unauthorized, u"The token has expired"_s, u"TOKEN_EXPIRED"_s));

    Claims claims;
    claims.userId = sub;
    claims.role = grant("role");
    claims.email = grant("email");
    claims.issuedAt = QDateTime::fromSecsSinceEpoch(iat, Qt::UTC);
    claims.expiresAt = QDateTime::fromSecsSinceEpoch(exp, Qt::UTC);
    return claims;
}

QString randomToken()
{
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        qFatal("OpenSSL's random generator failed");
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(bytes), sizeof bytes)
                                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray tokenHash(const QString &token)
{
    return QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
}

Result<QByteArray> loadOrCreateKey(const QString &configured, const QString &dataDir, const QString &fileName,
                                   const QString &what)
{
    if (!configured.isEmpty()) {
        const QByteArray key = configured.toUtf8();
        if (key.size() < 32)
            return fail(Error::invalid(u"the %1 must be at least 32 bytes"_s.arg(what)));
        return key;
    }
    const QString dir = dataDir + u"/secrets"_s;
    const QString path = dir + u'/' + fileName;
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly)) {
        const QByteArray key = QByteArray::fromBase64(existing.readAll().trimmed());
        if (key.size() >= 32)
            return key;
        return fail(Error::internal(u"%1 holds no usable key; delete it to have a new one made"_s.arg(path)));
    }
    if (!QDir().mkpath(dir) || !QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner))
        return fail(Error::internal(u"cannot create %1"_s.arg(dir)));
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return fail(Error::internal(u"OpenSSL's random generator failed"_s));
    const QByteArray key(reinterpret_cast<const char *>(bytes), sizeof bytes);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::internal(u"cannot write %1"_s.arg(path)));
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    file.write(key.toBase64() + '\n');
    if (!file.commit())
        return fail(Error::internal(u"cannot write %1"_s.arg(path)));
    QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    return key;
}

Result<QByteArray> loadOrCreateSigningKey(const QString &configured, const QString &dataDir)
{
    return loadOrCreateKey(configured, dataDir, u"jwt-signing-key"_s, u"JWT secret"_s);
}

} // namespace shop::auth
