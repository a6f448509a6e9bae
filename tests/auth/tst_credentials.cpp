// Passwords (bcrypt through libxcrypt) and access tokens (HS256 JWT, RFC 8725
// checks): pure logic, no database.

#include "auth/passwords.h"
#include "auth/ratelimiter.h"
#include "auth/tokens.h"
#include "http/clientaddress.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::auth;

namespace {

const QByteArray Key = "0123456789abcdef0123456789abcdef-test-key";

QByteArray b64(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// A token assembled by hand, to try what a forger would.
QString forge(const QJsonObject &header, const QJsonObject &payload, const QByteArray &key, bool sign = true)
{
    const QByteArray input = b64(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
                             + b64(QJsonDocument(payload).toJson(QJsonDocument::Compact));
    const QByteArray signature =
        sign ? b64(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256)) : QByteArray();
    return QString::fromLatin1(input + '.' + signature);
}

QJsonObject goodPayload(qint64 now)
{
    return QJsonObject{{u"iss"_s, u"shopdesk"_s}, {u"aud"_s, u"shopdesk-api"_s}, {u"sub"_s, u"7"_s},
                       {u"typ"_s, u"access"_s},   {u"role"_s, u"admin"_s},       {u"iat"_s, now},
                       {u"exp"_s, now + 600}};
}

} // namespace

class TestCredentials : public QObject
{
    Q_OBJECT

private:
    TokenSigner signer() const
    {
        TokenSigner::Options o;
        o.key = Key;
        return TokenSigner(o);
    }

private slots:
    void hashAndVerify()
    {
        auto hash = Passwords::hash(u"correct horse battery"_s, 10);
        QVERIFY(hash);
        QVERIFY(hash->startsWith("$2b$10$"));
        QVERIFY(Passwords::verify(u"correct horse battery"_s, *hash));
        QVERIFY(!Passwords::verify(u"correct horse batterY"_s, *hash));
        QVERIFY(!Passwords::verify(QString(), *hash));
        // Salted: the same password hashes differently each time.
        QCOMPARE_NE(*Passwords::hash(u"correct horse battery"_s, 10), *hash);
        // A cost below the floor is raised to it.
        QVERIFY(Passwords::hash(u"correct horse battery"_s, 4)->startsWith("$2b$10$"));
        // Not bcrypt at all: refused, not crashed.
        QVERIFY(!Passwords::verify(u"x"_s, "plaintext"));
        QVERIFY(!Passwords::verify(u"x"_s, QByteArray()));
    }

    void verifiesOlderBcryptPrefixes()
    {
        // $2a$ and $2y$ hashes from other systems (same algorithm for these inputs).
        auto b = Passwords::hash(u"migrated password"_s, 10);
        QVERIFY(b);
        for (const char *prefix : {"$2a$", "$2y$"}) {
            QByteArray other = *b;
            other.replace(0, 4, prefix);
            QVERIFY2(Passwords::verify(u"migrated password"_s, other), prefix);
            QVERIFY(Passwords::needsRehash(other, 10)); // upgraded to $2b$ at next login
        }
    }

    void rehashWhenTheCostRose()
    {
        auto h = Passwords::hash(u"correct horse battery"_s, 10);
        QVERIFY(!Passwords::needsRehash(*h, 10));
        QVERIFY(Passwords::needsRehash(*h, 11));
        QVERIFY(Passwords::needsRehash("garbage", 10));
    }

    void policy_data()
    {
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("accepted");
        QTest::addRow("seven") << u"abcdefg"_s << false;
        QTest::addRow("eight") << u"k7#pq2Lm"_s << true;
        QTest::addRow("common") << u"password123"_s << false;
        QTest::addRow("common upper case") << u"PASSWORD123"_s << false;
        QTest::addRow("72 bytes") << QString(72, u'x') << true;
        QTest::addRow("73 bytes") << QString(73, u'x') << false;
        // 24 three-byte characters are 72 bytes; 25 are 75 — bytes count, not characters.
        QTest::addRow("72 bytes of euro signs") << QString(24, QChar(0x20AC)) << true;
        QTest::addRow("75 bytes of euro signs") << QString(25, QChar(0x20AC)) << false;
        QTest::addRow("spaces count") << u"a b c d e"_s << true;
    }

    void policy()
    {
        QFETCH(QString, password);
        QFETCH(bool, accepted);
        const auto ok = Passwords::checkPolicy(password);
        QCOMPARE(ok.has_value(), accepted);
        if (!accepted) {
            QCOMPARE(ok.error().code(), u"WEAK_PASSWORD"_s);
            QCOMPARE(ok.error().fields().first().field, u"password"_s);
        }
    }

    void issuedTokensVerify()
    {
        const TokenSigner s = signer();
        const QDateTime now = QDateTime::currentDateTimeUtc();
        auto token = s.issue(42, u"staff"_s, u"sam@example.com"_s, now);
        QVERIFY(token);
        auto claims = s.verify(*token, now.addSecs(60));
        QVERIFY2(claims, claims ? "" : qPrintable(claims.error().message()));
        QCOMPARE(claims->userId, 42);
        QCOMPARE(claims->role, u"staff"_s);
        QCOMPARE(claims->email, u"sam@example.com"_s);
        QCOMPARE(claims->expiresAt.toSecsSinceEpoch() - claims->issuedAt.toSecsSinceEpoch(), 900);
        // The header names HS256; the payload carries every registered claim we check.
        const QStringList parts = token->split(u'.');
        const QJsonObject header = QJsonDocument::fromJson(QByteArray::fromBase64(
            parts.at(0).toLatin1(), QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(header.value(u"alg"_s).toString(), u"HS256"_s);
        const QJsonObject payload = QJsonDocument::fromJson(QByteArray::fromBase64(
            parts.at(1).toLatin1(), QByteArray::Base64UrlEncoding)).object();
        for (const char *claim : {"iss", "aud", "sub", "iat", "exp", "typ"})
            QVERIFY2(payload.contains(QLatin1StringView(claim)), claim);
    }

    void expiredTokenSaysSo()
    {
        const TokenSigner s = signer();
        const QDateTime then = QDateTime::currentDateTimeUtc().addSecs(-3600);
        auto token = s.issue(1, u"customer"_s, u"a@b.co"_s, then);
        auto claims = s.verify(*token);
        QVERIFY(!claims);
        QCOMPARE(claims.error().code(), u"TOKEN_EXPIRED"_s);
        QCOMPARE(claims.error().kind(), Error::Kind::Unauthorized);
    }

    void forgeries_data()
    {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        QTest::addColumn<QString>("token");
        const QJsonObject hs{{u"alg"_s, u"HS256"_s}, {u"typ"_s, u"JWT"_s}};
        QJsonObject p = goodPayload(now);
        QTest::addRow("control: well formed") << forge(hs, p, Key); // the one valid row, checked below
        QTest::addRow("alg none, no signature") << forge({{u"alg"_s, u"none"_s}}, p, {}, false);
        QTest::addRow("alg None") << forge({{u"alg"_s, u"None"_s}}, p, {}, false);
        QTest::addRow("alg HS512") << forge({{u"alg"_s, u"HS512"_s}}, p, Key);
        QTest::addRow("alg RS256") << forge({{u"alg"_s, u"RS256"_s}}, p, Key);
        QTest::addRow("no alg") << forge({{u"typ"_s, u"JWT"_s}}, p, Key);
        QTest::addRow("wrong key") << forge(hs, p, "another key of at least thirty-two bytes!!");
        QTest::addRow("empty signature") << forge(hs, p, Key, false);
        for (const char *claim : {"iss", "aud", "sub", "iat", "exp", "typ"}) {
            QJsonObject missing = p;
            missing.remove(QLatin1StringView(claim));
            QTest::addRow("no %s", claim) << forge(hs, missing, Key);
        }
        QJsonObject q = p;
        q[u"aud"_s] = u"someone-else"_s;
        QTest::addRow("wrong audience") << forge(hs, q, Key);
        q = p;
        q[u"iss"_s] = u"evil"_s;
        QTest::addRow("wrong issuer") << forge(hs, q, Key);
        q = p;
        q[u"typ"_s] = u"refresh"_s;
        QTest::addRow("wrong type") << forge(hs, q, Key);
        q = p;
        q[u"iat"_s] = now + 3600;
        q[u"exp"_s] = now + 7200;
        QTest::addRow("issued in the future") << forge(hs, q, Key);
        q = p;
        q[u"sub"_s] = u"abc"_s;
        QTest::addRow("non-numeric subject") << forge(hs, q, Key);
        QTest::addRow("garbage") << u"not.a.token"_s;
        QTest::addRow("two parts") << u"abc.def"_s;
        QTest::addRow("empty") << QString();
        QTest::addRow("huge") << QString(5000, u'a') + u".b.c"_s;
    }

    void forgeries()
    {
        QFETCH(QString, token);
        const auto claims = signer().verify(token);
        if (QByteArrayView(QTest::currentDataTag()).startsWith("control")) {
            QVERIFY2(claims, claims ? "" : qPrintable(claims.error().message()));
            return;
        }
        QVERIFY(!claims);
        QCOMPARE(claims.error().kind(), Error::Kind::Unauthorized);
    }

    void tamperedPayloadFails()
    {
        const TokenSigner s = signer();
        auto token = s.issue(5, u"customer"_s, u"c@d.co"_s);
        QStringList parts = token->split(u'.');
        QJsonObject payload = QJsonDocument::fromJson(QByteArray::fromBase64(
            parts.at(1).toLatin1(), QByteArray::Base64UrlEncoding)).object();
        payload[u"role"_s] = u"admin"_s;
        parts[1] = QString::fromLatin1(b64(QJsonDocument(payload).toJson(QJsonDocument::Compact)));
        QVERIFY(!s.verify(parts.join(u'.')));
    }

    void randomTokensAndHashes()
    {
        QSet<QString> seen;
        for (int i = 0; i < 1000; ++i) {
            const QString t = randomToken();
            QCOMPARE(t.size(), 43); // 256 bits, base64url, no padding
            QVERIFY(!seen.contains(t));
            seen.insert(t);
        }
        QCOMPARE(tokenHash(u"abc"_s).size(), 32);
        QCOMPARE(tokenHash(u"abc"_s), tokenHash(u"abc"_s));
    }

    void clientAddress_data()
    {
        QTest::addColumn<QString>("trusted");
        QTest::addColumn<QString>("peer");
        QTest::addColumn<QByteArray>("forwardedFor");
        QTest::addColumn<QString>("expected");
        QTest::addRow("no proxies: header ignored") << QString() << u"203.0.113.5"_s << QByteArray("1.2.3.4")
                                                    << u"203.0.113.5"_s;
        QTest::addRow("untrusted peer: header ignored") << u"10.0.0.1"_s << u"203.0.113.5"_s
                                                        << QByteArray("1.2.3.4") << u"203.0.113.5"_s;
        QTest::addRow("trusted proxy") << u"10.0.0.1"_s << u"10.0.0.1"_s << QByteArray("198.51.100.7")
                                       << u"198.51.100.7"_s;
        QTest::addRow("spoofed left entries skipped") << u"10.0.0.0/8"_s << u"10.0.0.1"_s
                                                      << QByteArray("6.6.6.6, 198.51.100.7, 10.0.0.2")
                                                      << u"198.51.100.7"_s;
        QTest::addRow("malformed chain") << u"10.0.0.1"_s << u"10.0.0.1"_s << QByteArray("nonsense")
                                         << u"10.0.0.1"_s;
        QTest::addRow("no header from proxy") << u"10.0.0.1"_s << u"10.0.0.1"_s << QByteArray() << u"10.0.0.1"_s;
        QTest::addRow("ipv6 proxy") << u"::1"_s << u"::1"_s << QByteArray("2001:db8::7") << u"2001:db8::7"_s;
    }

    void clientAddress()
    {
        QFETCH(QString, trusted);
        QFETCH(QString, peer);
        QFETCH(QByteArray, forwardedFor);
        QFETCH(QString, expected);
        auto addresses = http::ClientAddress::parse(trusted);
        QVERIFY(addresses);
        http::Request request;
        request.peer = QHostAddress(peer);
        if (!forwardedFor.isEmpty())
            request.headers.append({"x-forwarded-for", forwardedFor});
        QCOMPARE(addresses->of(request), QHostAddress(expected));
        QVERIFY(!http::ClientAddress::parse(u"10.0.0.1, not-an-address"_s));
    }

    void localBucketsLimitAndAreForgottenWhenFull()
    {
        LocalRateLimiter limiter;
        const RateLimiter::Rule rule{2, std::chrono::milliseconds(100)};
        QVERIFY(limiter.take("a", rule)->allowed);
        QVERIFY(limiter.take("a", rule)->allowed);
        auto denied = limiter.take("a", rule);
        QVERIFY(!denied->allowed);
        QCOMPARE(denied->retryAfterSeconds, 1);
        for (int i = 0; i < 500; ++i)
            QVERIFY(limiter.take("flood-" + QByteArray::number(i), rule)->allowed);
        QCOMPARE(limiter.trackedKeys(), 501);
        // Once refilled, buckets hold no information and the next prune drops them
        // (prunes run at most every 10 s unless the table is huge).
        QTest::qWait(300);
        QVERIFY(limiter.take("a", rule)->allowed); // refilled
        QTRY_VERIFY_WITH_TIMEOUT(limiter.take("probe", rule).has_value() && limiter.trackedKeys() <= 2, 15000);
    }

    void signingKeyIsGeneratedPrivately()
    {
        QTemporaryDir dir;
        auto key = loadOrCreateSigningKey({}, dir.path());
        QVERIFY(key);
        QCOMPARE(key->size(), 32);
        const QString path = dir.path() + u"/secrets/jwt-signing-key"_s;
        const auto permissions = QFile::permissions(path);
        QVERIFY(permissions & QFile::ReadOwner);
        QVERIFY(!(permissions & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther)));
        QCOMPARE(*loadOrCreateSigningKey({}, dir.path()), *key); // kept, not regenerated
        QVERIFY(!loadOrCreateSigningKey(u"too short"_s, dir.path()));
        QCOMPARE(*loadOrCreateSigningKey(QString(40, u'k'), dir.path()), QByteArray(40, 'k'));
    }
};

QTEST_APPLESS_MAIN(TestCredentials)
#include "tst_credentials.moc"
