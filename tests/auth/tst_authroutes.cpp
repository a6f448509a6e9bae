// Sign-up, sign-in, refresh, sign-out, lockout, rate limits and the admin guard,
// over HTTP against a whole running shop on a real PostgreSQL.

#include "auth/authservice.h"
#include "auth/totp.h"
#include "auth/useradmin.h"
#include "db/database.h"
#include "http/server.h"
#include "rawhttp.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QElapsedTimer>
#include <QTest>
#include <QtConcurrent>

using namespace Qt::StringLiterals;
using namespace shop;
using test::rawRequest;
using test::RawResponse;

class TestAuthRoutes : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<Runtime> m_runtime;

    std::optional<RawResponse> call(const QByteArray &method, const QByteArray &path, const QJsonObject &body = {},
                                    const QList<QByteArray> &headers = {})
    {
        QByteArray payload = body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
        QByteArray request = method + ' ' + path + " HTTP/1.1\r\nHost: shop.test\r\n";
        for (const QByteArray &h : headers)
            request += h + "\r\n";
        if (!m_forwarded.isEmpty())
            request += "X-Forwarded-For: " + m_forwarded + "\r\n";
        if (!payload.isEmpty() || method == "POST")
            request += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(payload.size())
                       + "\r\n";
        request += "\r\n" + payload;
        return rawRequest(m_runtime->http()->port(), request);
    }

    static QJsonObject json(const std::optional<RawResponse> &r) { return QJsonDocument::fromJson(r->body).object(); }
    static QJsonObject data(const std::optional<RawResponse> &r) { return json(r).value(u"data"_s).toObject(); }
    static QString code(const std::optional<RawResponse> &r)
    {
        return json(r).value(u"error"_s).toObject().value(u"code"_s).toString();
    }

    qint64 scalar(const QString &sql)
    {
        auto conn = m_runtime->database()->acquire();
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    void sql(const QString &statement)
    {
        auto conn = m_runtime->database()->acquire();
        QVERIFY(conn);
        auto ok = conn->execute(statement);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    // Each test comes from its own client address (the test's requests pass through
    // 127.0.0.1, configured as a trusted proxy), so per-address limits do not leak
    // from one test into the next.
    QByteArray m_forwarded;
    int m_clients = 0;

    QJsonObject registerUser(const QString &email, const QString &password = u"correct horse battery"_s)
    {
        auto r = call("POST", "/api/auth/register", {{u"email"_s, email}, {u"password"_s, password}});
        if (!r || r->status != 201)
            qFatal("register failed: %s", r ? r->body.constData() : "no response");
        return data(r);
    }

    std::optional<RawResponse> login(const QString &email, const QString &password)
    {
        return call("POST", "/api/auth/login", {{u"email"_s, email}, {u"password"_s, password}});
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = QDir::tempPath() + u"/shopdesk-authroutes-"_s + QString::number(QCoreApplication::applicationPid());
        config.jwtSecret = u"a-test-secret-that-is-longer-than-32-bytes"_s;
        config.databaseUrl = m_cluster.createDatabase(u"auth"_s).toUri();
        config.port = 0;
        config.ioThreads = 2;
        config.accessLog = false;
        config.bcryptCost = 10;
        config.trustedProxies = u"127.0.0.1"_s;
        config.corsOrigins = u"https://app.example, http://localhost:5173"_s;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    void cleanupTestCase() { m_runtime.reset(); }

    void init() { m_forwarded = "198.51.100." + QByteArray::number(++m_clients); }

    void addressLimitKeysOnTheForwardedClient()
    {
        int limitedAt = -1;
        for (int i = 0; i < 25 && limitedAt < 0; ++i) {
            auto r = login(u"visitor%1@example.com"_s.arg(i), u"whatever it is"_s);
            if (r->status == 429)
                limitedAt = i;
        }
        QCOMPARE(limitedAt, 20);
        // Another client behind the same proxy is not affected.
        m_forwarded = "203.0.113.200";
        QCOMPARE(login(u"visitor@example.com"_s, u"whatever it is"_s)->status, 401);
        QVERIFY(scalar(u"SELECT count(*) FROM login_events WHERE ip = '203.0.113.200'"_s) == 1);
    }

    void registerIsSeedCompatible()
    {
        auto r = call("POST", "/api/auth/register",
                      {{u"email"_s, u"  Ann.Lee@Example.COM "_s}, {u"password"_s, u"correct horse battery"_s},
                       {u"first_name"_s, u"Ann"_s}, {u"last_name"_s, u"Lee"_s}});
        QVERIFY(r);
        QCOMPARE(r->status, 201);
        const QJsonObject d = data(r);
        QVERIFY(d.value(u"user_id"_s).toInteger() > 0);
        QVERIFY(!d.value(u"token"_s).toString().isEmpty());
        QCOMPARE(d.value(u"user"_s).toObject().value(u"email"_s).toString(), u"ann.lee@example.com"_s);
        QCOMPARE(d.value(u"user"_s).toObject().value(u"role"_s).toString(), u"customer"_s);
        QVERIFY(r->header("set-cookie").contains("HttpOnly"));
        QVERIFY(r->header("set-cookie").contains("SameSite=Strict"));
        QVERIFY(r->header("set-cookie").contains("Secure"));
        QCOMPARE(r->header("cache-control"), QByteArray("no-store"));
        // Stored as a bcrypt hash, never the password.
        QCOMPARE(scalar(u"SELECT count(*) FROM users WHERE email = 'ann.lee@example.com'"
                        " AND password_hash LIKE '$2b$10$%'"_s),
                 qint64(1));

        auto me = call("GET", "/api/auth/me", {}, {"Authorization: Bearer " + d.value(u"token"_s).toString().toLatin1()});
        QCOMPARE(me->status, 200);
        QCOMPARE(data(me).value(u"email"_s).toString(), u"ann.lee@example.com"_s);
    }

    void registerRefusals_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("errorCode");
        const QString pw = u"correct horse battery"_s;
        QTest::addRow("duplicate, any case") << QJsonObject{{u"email"_s, u"ANN.LEE@example.com"_s}, {u"password"_s, pw}}
                                             << 409 << u"EMAIL_EXISTS"_s;
        QTest::addRow("common password") << QJsonObject{{u"email"_s, u"x1@example.com"_s}, {u"password"_s, u"password123"_s}}
                                         << 422 << u"WEAK_PASSWORD"_s;
        QTest::addRow("short password") << QJsonObject{{u"email"_s, u"x2@example.com"_s}, {u"password"_s, u"Ab1!"_s}}
                                        << 422 << u"WEAK_PASSWORD"_s;
        QTest::addRow("over 72 bytes") << QJsonObject{{u"email"_s, u"x3@example.com"_s}, {u"password"_s, QString(73, u'z')}}
                                       << 422 << u"WEAK_PASSWORD"_s;
        QTest::addRow("bad email") << QJsonObject{{u"email"_s, u"not-an-email"_s}, {u"password"_s, pw}} << 422
                                   << u"VALIDATION_FAILED"_s;
        QTest::addRow("no password") << QJsonObject{{u"email"_s, u"x4@example.com"_s}} << 400 << u"MISSING_FIELDS"_s;
        QTest::addRow("no email") << QJsonObject{{u"password"_s, pw}} << 400 << u"MISSING_FIELDS"_s;
        QTest::addRow("email not text") << QJsonObject{{u"email"_s, 5}, {u"password"_s, pw}} << 422
                                        << u"VALIDATION_FAILED"_s;
    }

    void registerRefusals()
    {
        QFETCH(QJsonObject, body);
        QFETCH(int, status);
        QFETCH(QString, errorCode);
        auto r = call("POST", "/api/auth/register", body);
        QVERIFY(r);
        QCOMPARE(r->status, status);
        QCOMPARE(json(r).value(u"success"_s).toBool(true), false);
        QCOMPARE(code(r), errorCode);
    }

    void loginIsSeedCompatibleAndGeneric()
    {
        registerUser(u"bea@example.com"_s);
        auto ok = login(u"BEA@example.com"_s, u"correct horse battery"_s);
        QCOMPARE(ok->status, 200);
        QVERIFY(data(ok).value(u"user_id"_s).toInteger() > 0);
        QVERIFY(!data(ok).value(u"token"_s).toString().isEmpty());
        QCOMPARE(data(ok).value(u"expires_in"_s).toInt(), 900);

        // Wrong password and unknown email: byte-for-byte the same answer.
        auto wrong = login(u"bea@example.com"_s, u"wrong password!"_s);
        auto unknown = login(u"nobody@example.com"_s, u"wrong password!"_s);
        QCOMPARE(wrong->status, 401);
        QCOMPARE(unknown->status, 401);
        QCOMPARE(wrong->body, unknown->body);
        QCOMPARE(code(wrong), u"INVALID_CREDENTIALS"_s);
        QVERIFY(wrong->header("www-authenticate").startsWith("Bearer"));
        // Every attempt is in the login history.
        QCOMPARE(scalar(u"SELECT count(*) FROM login_events WHERE email = 'bea@example.com' AND NOT success"_s),
                 qint64(1));
        QCOMPARE(scalar(u"SELECT count(*) FROM login_events WHERE email = 'nobody@example.com'"_s), qint64(1));
    }

    void lockoutEscalates()
    {
        registerUser(u"cal@example.com"_s);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(login(u"cal@example.com"_s, u"bad guess number"_s)->status, 401);
        // Locked: even the right password is refused, with Retry-After.
        auto locked = login(u"cal@example.com"_s, u"correct horse battery"_s);
        QCOMPARE(locked->status, 429);
        QCOMPARE(code(locked), u"RATE_LIMITED"_s);
        const int retry = locked->header("retry-after").toInt();
        QVERIFY2(retry > 0 && retry <= 60, locked->header("retry-after").constData());
        QCOMPARE(scalar(u"SELECT lockouts FROM users WHERE email = 'cal@example.com'"_s), qint64(1));

        // The lock runs out (simulated), then five more failures lock for twice as long.
        sql(u"UPDATE users SET locked_until = now() - interval '1 second' WHERE email = 'cal@example.com'"_s);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(login(u"cal@example.com"_s, u"bad guess number"_s)->status, 401);
        const qint64 seconds = scalar(u"SELECT round(extract(epoch FROM locked_until - now()))"
                                      " FROM users WHERE email = 'cal@example.com'"_s);
        QVERIFY2(seconds > 100 && seconds <= 120, QByteArray::number(seconds).constData());

        // An admin lifts it (the Users view does this UPDATE through its service).
        sql(u"UPDATE users SET locked_until = NULL WHERE email = 'cal@example.com'"_s);
        auto ok = login(u"cal@example.com"_s, u"correct horse battery"_s);
        QCOMPARE(ok->status, 200);
        QCOMPARE(scalar(u"SELECT lockouts + failed_logins FROM users WHERE email = 'cal@example.com'"_s), qint64(0));
    }

    // Sign-ins run in parallel on the worker pool; the lock still comes after exactly
    // five failures, once, and the attempts caught behind it learn nothing.
    void parallelFailuresLockOnce()
    {
        registerUser(u"par@example.com"_s);
        QList<QFuture<int>> attempts;
        for (int i = 0; i < 10; ++i)
            attempts.append(QtConcurrent::run([this] { return login(u"par@example.com"_s, u"bad guess number"_s)->status; }));
        int refused = 0, locked = 0;
        for (auto &a : attempts) {
            const int status = a.result();
            refused += status == 401 ? 1 : 0;
            locked += status == 429 ? 1 : 0;
        }
        QCOMPARE(refused, 5);
        QCOMPARE(locked, 5);
        QCOMPARE(scalar(u"SELECT lockouts FROM users WHERE email = 'par@example.com'"_s), qint64(1));
        QCOMPARE(scalar(u"SELECT count(*) FROM login_events WHERE email = 'par@example.com'"
                        " AND reason LIKE 'wrong password%'"_s),
                 qint64(5));
        QCOMPARE(scalar(u"SELECT count(*) FROM login_events WHERE email = 'par@example.com'"
                        " AND reason = 'wrong password; locked'"_s),
                 qint64(1));
    }

    void accountRateLimitHoldsForUnknownEmailsToo()
    {
        // A dozen attempts per account name, existing or not, then 429: the limit
        // itself reveals nothing about which addresses have accounts.
        int limitedAt = -1;
        for (int i = 0; i < 14 && limitedAt < 0; ++i) {
            auto r = login(u"ghost@example.com"_s, u"whatever it is"_s);
            if (r->status == 429) {
                limitedAt = i;
                QVERIFY(r->header("retry-after").toInt() > 0);
            } else {
                QCOMPARE(r->status, 401);
            }
        }
        QCOMPARE(limitedAt, 12);
    }

    void refreshRotatesAndDetectsReuse()
    {
        const QJsonObject session = registerUser(u"dee@example.com"_s);
        const QString first = session.value(u"refresh_token"_s).toString();
        auto rotated = call("POST", "/api/auth/refresh", {{u"refresh_token"_s, first}});
        QCOMPARE(rotated->status, 200);
        const QString second = data(rotated).value(u"refresh_token"_s).toString();
        QVERIFY(!second.isEmpty());
        QCOMPARE_NE(second, first);
        QVERIFY(!data(rotated).value(u"token"_s).toString().isEmpty());

        // The spent token again: refused, and the whole family with it.
        auto replay = call("POST", "/api/auth/refresh", {{u"refresh_token"_s, first}});
        QCOMPARE(replay->status, 401);
        QCOMPARE(code(replay), u"INVALID_TOKEN"_s);
        auto afterReuse = call("POST", "/api/auth/refresh", {{u"refresh_token"_s, second}});
        QCOMPARE(afterReuse->status, 401);
        QCOMPARE(scalar(u"SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
                        " WHERE u.email = 'dee@example.com' AND t.revoked_why = 'reuse detected'"_s),
                 qint64(2)); // the whole family: the spent token and the one it was replaced by
        // Stored hashed: the row is found by the token's SHA-256, and no text column
        // holds the token.
        QCOMPARE(scalar(u"SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256('%1'::bytea)"_s.arg(second)),
                 qint64(1));
        QCOMPARE(scalar(u"SELECT count(*) FROM refresh_tokens t WHERE t::text LIKE '%%1%'"_s.arg(second)), qint64(0));
    }

    void cookieRefreshChecksOrigin()
    {
        const QJsonObject session = registerUser(u"eve@example.com"_s);
        const QByteArray cookie = "Cookie: theme=dark; shopdesk_refresh=" + session.value(u"refresh_token"_s).toString().toLatin1();
        auto noOrigin = call("POST", "/api/auth/refresh", {}, {cookie});
        QCOMPARE(noOrigin->status, 403);
        auto crossSite = call("POST", "/api/auth/refresh", {}, {cookie, "Origin: https://evil.example"});
        QCOMPARE(crossSite->status, 403);
        auto sameSite = call("POST", "/api/auth/refresh", {}, {cookie, "Origin: http://shop.test"});
        QCOMPARE(sameSite->status, 200);
        QVERIFY(sameSite->header("set-cookie").startsWith("shopdesk_refresh="));
    }

    void logoutAndLogoutAll()
    {
        registerUser(u"fay@example.com"_s);
        auto a = login(u"fay@example.com"_s, u"correct horse battery"_s);
        auto b = login(u"fay@example.com"_s, u"correct horse battery"_s);
        const QString tokenA = data(a).value(u"refresh_token"_s).toString();
        const QString tokenB = data(b).value(u"refresh_token"_s).toString();

        auto out = call("POST", "/api/auth/logout", {{u"refresh_token"_s, tokenA}});
        QCOMPARE(out->status, 200);
        QVERIFY(out->header("set-cookie").contains("Max-Age=0"));
        QCOMPARE(call("POST", "/api/auth/refresh", {{u"refresh_token"_s, tokenA}})->status, 401);
        auto stillB = call("POST", "/api/auth/refresh", {{u"refresh_token"_s, tokenB}});
        QCOMPARE(stillB->status, 200); // the other device is still signed in

        const QByteArray bearer = "Authorization: Bearer " + data(stillB).value(u"token"_s).toString().toLatin1();
        QCOMPARE(call("POST", "/api/auth/logout-all", {}, {bearer})->status, 200);
        QCOMPARE(call("POST", "/api/auth/refresh", {{u"refresh_token"_s, data(stillB).value(u"refresh_token"_s).toString()}})
                     ->status,
                 401);
        QCOMPARE(call("POST", "/api/auth/logout-all")->status, 401);
    }

    void adminRoutesCheckTheRoleServerSide()
    {
        const QJsonObject customer = registerUser(u"gus@example.com"_s);
        const QByteArray customerBearer = "Authorization: Bearer " + customer.value(u"token"_s).toString().toLatin1();
        auto refused = call("GET", "/api/admin/products", {}, {customerBearer});
        QCOMPARE(refused->status, 403);
        QCOMPARE(code(refused), u"FORBIDDEN"_s);
        QCOMPARE(call("GET", "/api/admin/products")->status, 401);
        QCOMPARE(call("GET", "/api/admin/products", {}, {"Authorization: Bearer nonsense"})->status, 401);

        const Actor setup{std::nullopt, u"test"_s, u"test"_s};
        QVERIFY(m_runtime->auth()->createUser(u"staff@example.com"_s, u"staff pass phrase"_s, u"staff"_s, setup));
        auto staff = login(u"staff@example.com"_s, u"staff pass phrase"_s);
        QCOMPARE(staff->status, 200);
        const QByteArray staffBearer = "Authorization: Bearer " + data(staff).value(u"token"_s).toString().toLatin1();
        QCOMPARE(call("GET", "/api/admin/products", {}, {staffBearer})->status, 200);
        auto created = call("POST", "/api/admin/categories", {{u"slug"_s, u"staff-made"_s}, {u"name"_s, u"Staff made"_s}},
                            {staffBearer});
        QCOMPARE(created->status, 201);
        QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE action = 'category.create'"
                        " AND actor_label = 'staff@example.com' AND actor_id IS NOT NULL"_s),
                 qint64(1));

        // The role is read from the database on every admin call: a demoted or
        // disabled account loses access at once, whatever its token says.
        sql(u"UPDATE users SET role = 'customer' WHERE email = 'staff@example.com'"_s);
        QCOMPARE(call("GET", "/api/admin/products", {}, {staffBearer})->status, 403);
        sql(u"UPDATE users SET role = 'staff', disabled_at = now() WHERE email = 'staff@example.com'"_s);
        QCOMPARE(call("GET", "/api/admin/products", {}, {staffBearer})->status, 401);
        QCOMPARE(login(u"staff@example.com"_s, u"staff pass phrase"_s)->status, 403);
    }

    void olderHashesAreUpgradedAtLogin()
    {
        registerUser(u"hal@example.com"_s);
        sql(u"UPDATE users SET password_hash = '$2y$' || substr(password_hash, 5) WHERE email = 'hal@example.com'"_s);
        QCOMPARE(login(u"hal@example.com"_s, u"correct horse battery"_s)->status, 200);
        QCOMPARE(scalar(u"SELECT count(*) FROM users WHERE email = 'hal@example.com'"
                        " AND password_hash LIKE '$2b$10$%'"_s),
                 qint64(1));
        QCOMPARE(login(u"hal@example.com"_s, u"correct horse battery"_s)->status, 200);
    }

    // The token in the newest mail of `kind` to `to`, read from the outbox (no SMTP
    // is configured here, so mail waits there for the desktop's Outbox view).
    QString mailedToken(const QString &to, const QString &kind)
    {
        auto conn = m_runtime->database()->acquire();
        auto q = conn->query(u"SELECT body_text FROM email_outbox WHERE to_address = :to AND kind = :kind"
                             " ORDER BY id DESC LIMIT 1"_s);
        q.bind(u":to"_s, to);
        q.bind(u":kind"_s, kind);
        if (!q.exec() || !q.next())
            return {};
        const QString body = q.value(0).toString();
        const qsizetype at = body.indexOf(u"token="_s);
        return at < 0 ? QString() : body.mid(at + 6).section(u'\n', 0, 0).trimmed();
    }

    void emailVerification()
    {
        registerUser(u"ivy@example.com"_s);
        const QString token = mailedToken(u"ivy@example.com"_s, u"verify_email"_s);
        QCOMPARE(token.size(), 43);
        QVERIFY(scalar(u"SELECT count(*) FROM email_outbox WHERE to_address = 'ivy@example.com'"
                       " AND body_text LIKE 'Welcome!%' AND body_text LIKE '%/verify-email?token=%'"_s) == 1);
        auto ok = call("POST", "/api/auth/verify-email", {{u"token"_s, token}});
        QCOMPARE(ok->status, 200);
        QCOMPARE(scalar(u"SELECT count(*) FROM users WHERE email = 'ivy@example.com' AND email_verified_at IS NOT NULL"_s),
                 qint64(1));
        auto again = call("POST", "/api/auth/verify-email", {{u"token"_s, token}});
        QCOMPARE(again->status, 400);
        QCOMPARE(code(again), u"INVALID_TOKEN"_s);
    }

    void passwordReset()
    {
        const QJsonObject session = registerUser(u"jo@example.com"_s);
        QElapsedTimer timer;
        timer.start();
        auto known = call("POST", "/api/auth/forgot-password", {{u"email"_s, u"JO@example.com"_s}});
        // The answer waits for the 50 ms grid (a lower bound only: timers never fire early).
        QVERIFY2(timer.elapsed() >= 49, QByteArray::number(timer.elapsed()).constData());
        m_forwarded = "198.51.100.250"; // another client, so the answers are compared, not the limits
        auto unknown = call("POST", "/api/auth/forgot-password", {{u"email"_s, u"nobody-here@example.com"_s}});
        QCOMPARE(known->status, 200);
        QCOMPARE(known->body, unknown->body);
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE to_address = 'nobody-here@example.com'"_s), qint64(0));
        const QString token = mailedToken(u"jo@example.com"_s, u"reset_password"_s);
        QCOMPARE(token.size(), 43);
        // Stored hashed only.
        QCOMPARE(scalar(u"SELECT count(*) FROM one_time_tokens WHERE token_hash = sha256('%1'::bytea)"_s.arg(token)),
                 qint64(1));

        auto weak = call("POST", "/api/auth/reset-password", {{u"token"_s, token}, {u"password"_s, u"password1"_s}});
        QCOMPARE(weak->status, 422);
        auto reset = call("POST", "/api/auth/reset-password",
                          {{u"token"_s, token}, {u"password"_s, u"a brand new secret"_s}});
        QCOMPARE(reset->status, 200);
        QCOMPARE(login(u"jo@example.com"_s, u"correct horse battery"_s)->status, 401);
        QCOMPARE(login(u"jo@example.com"_s, u"a brand new secret"_s)->status, 200);
        // Every session that existed before the reset is over.
        QCOMPARE(call("POST", "/api/auth/refresh", {{u"refresh_token"_s, session.value(u"refresh_token"_s).toString()}})
                     ->status,
                 401);
        // Single use, and expiring.
        QCOMPARE(call("POST", "/api/auth/reset-password", {{u"token"_s, token}, {u"password"_s, u"yet another secret"_s}})
                     ->status,
                 400);
        call("POST", "/api/auth/forgot-password", {{u"email"_s, u"jo@example.com"_s}});
        const QString second = mailedToken(u"jo@example.com"_s, u"reset_password"_s);
        QCOMPARE_NE(second, token);
        sql(u"UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL"_s);
        QCOMPARE(call("POST", "/api/auth/reset-password", {{u"token"_s, second}, {u"password"_s, u"yet another secret"_s}})
                     ->status,
                 400);
    }

    void twoFactor()
    {
        const QJsonObject session = registerUser(u"kim@example.com"_s);
        const QByteArray bearer = "Authorization: Bearer " + session.value(u"token"_s).toString().toLatin1();
        auto setup = call("POST", "/api/auth/2fa/setup", {}, {bearer});
        QCOMPARE(setup->status, 200);
        const auto secret = auth::totp::fromBase32(data(setup).value(u"secret"_s).toString());
        QVERIFY(secret);
        QVERIFY(data(setup).value(u"otpauth_uri"_s).toString().startsWith(u"otpauth://totp/"_s));
        QVERIFY(data(setup).value(u"qr_svg"_s).toString().startsWith(u"<svg"_s));
        // The seed is stored sealed (AES-256-GCM under the data key), never as itself.
        QCOMPARE(scalar(u"SELECT get_byte(totp_secret, 0) FROM users WHERE email = 'kim@example.com'"_s), qint64(1));
        QCOMPARE(scalar(u"SELECT length(totp_secret) FROM users WHERE email = 'kim@example.com'"_s),
                 qint64(1 + 12 + secret->size() + 16));
        QCOMPARE(scalar(u"SELECT position('\\x%1'::bytea IN totp_secret) FROM users WHERE email = 'kim@example.com'"_s
                            .arg(QString::fromLatin1(secret->toHex()))),
                 qint64(0));

        QCOMPARE(call("POST", "/api/auth/2fa/confirm", {{u"code"_s, u"000000"_s}}, {bearer})->status, 422);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        auto confirmed = call("POST", "/api/auth/2fa/confirm", {{u"code"_s, auth::totp::code(*secret, now)}}, {bearer});
        QCOMPARE(confirmed->status, 200);
        const QJsonArray recovery = data(confirmed).value(u"recovery_codes"_s).toArray();
        QCOMPARE(recovery.size(), 10);

        auto needsCode = login(u"kim@example.com"_s, u"correct horse battery"_s);
        QCOMPARE(needsCode->status, 401);
        QCOMPARE(code(needsCode), u"TOTP_REQUIRED"_s);
        // A wrong password never reveals that a code would be asked for.
        QCOMPARE(code(login(u"kim@example.com"_s, u"not the password"_s)), u"INVALID_CREDENTIALS"_s);

        // The next step's code (the current one was spent confirming).
        const QString next = auth::totp::code(*secret, now.addSecs(30));
        auto withCode = call("POST", "/api/auth/login", {{u"email"_s, u"kim@example.com"_s},
                                                         {u"password"_s, u"correct horse battery"_s},
                                                         {u"totp"_s, next}});
        QCOMPARE(withCode->status, 200);
        auto replay = call("POST", "/api/auth/login", {{u"email"_s, u"kim@example.com"_s},
                                                       {u"password"_s, u"correct horse battery"_s},
                                                       {u"totp"_s, next}});
        QCOMPARE(replay->status, 401);
        QCOMPARE(code(replay), u"INVALID_TOTP"_s);

        const QString recoveryCode = recovery.first().toString();
        auto withRecovery = call("POST", "/api/auth/login", {{u"email"_s, u"kim@example.com"_s},
                                                             {u"password"_s, u"correct horse battery"_s},
                                                             {u"recovery_code"_s, recoveryCode.toUpper()}});
        QCOMPARE(withRecovery->status, 200);
        auto recoveryAgain = call("POST", "/api/auth/login", {{u"email"_s, u"kim@example.com"_s},
                                                              {u"password"_s, u"correct horse battery"_s},
                                                              {u"recovery_code"_s, recoveryCode}});
        QCOMPARE(recoveryAgain->status, 401);

        const QByteArray fresh = "Authorization: Bearer " + data(withRecovery).value(u"token"_s).toString().toLatin1();
        QCOMPARE(call("POST", "/api/auth/2fa/disable", {{u"password"_s, u"wrong"_s}}, {fresh})->status, 401);
        QCOMPARE(call("POST", "/api/auth/2fa/disable", {{u"password"_s, u"correct horse battery"_s}}, {fresh})->status, 200);
        QCOMPARE(login(u"kim@example.com"_s, u"correct horse battery"_s)->status, 200);
    }

    void corsOnlyForConfiguredOrigins()
    {
        const QList<QByteArray> preflight{"Origin: https://app.example", "Access-Control-Request-Method: POST",
                                          "Access-Control-Request-Headers: content-type, authorization"};
        auto ok = call("OPTIONS", "/api/auth/login", {}, preflight);
        QCOMPARE(ok->status, 204);
        QCOMPARE(ok->header("access-control-allow-origin"), QByteArray("https://app.example"));
        QCOMPARE(ok->header("access-control-allow-credentials"), QByteArray("true"));
        QVERIFY(ok->header("access-control-allow-headers").contains("Authorization"));
        QVERIFY(ok->header("vary").contains("Origin"));

        auto evil = call("OPTIONS", "/api/auth/login", {},
                         {"Origin: https://evil.example", "Access-Control-Request-Method: POST"});
        QCOMPARE(evil->status, 403);
        QVERIFY(evil->header("access-control-allow-origin").isEmpty());

        auto get = call("GET", "/api/products", {}, {"Origin: http://localhost:5173"});
        QCOMPARE(get->status, 200);
        QCOMPARE(get->header("access-control-allow-origin"), QByteArray("http://localhost:5173"));
        auto other = call("GET", "/api/products", {}, {"Origin: https://evil.example"});
        QCOMPARE(other->status, 200);
        QVERIFY(other->header("access-control-allow-origin").isEmpty()); // the browser withholds the answer
        // Never a wildcard.
        QVERIFY(!get->head.contains("Access-Control-Allow-Origin: *"));
    }

    void userAdministrationIsAudited()
    {
        registerUser(u"lou@example.com"_s);
        const qint64 id = scalar(u"SELECT id FROM users WHERE email = 'lou@example.com'"_s);
        const Actor admin{std::nullopt, u"boss"_s, u"desktop"_s};
        auth::UserAdmin *users = m_runtime->userAdmin();
        QCOMPARE(users->setRole(id, u"staff"_s, admin)->role, u"staff"_s);
        QVERIFY(!users->setRole(id, u"superuser"_s, admin));
        QVERIFY(users->lock(id, 30, admin)->lockedUntil > QDateTime::currentDateTimeUtc());
        QCOMPARE(login(u"lou@example.com"_s, u"correct horse battery"_s)->status, 429);
        QVERIFY(!users->unlock(id, admin)->lockedUntil.isValid());
        QCOMPARE(login(u"lou@example.com"_s, u"correct horse battery"_s)->status, 200);
        QVERIFY(users->setDisabled(id, true, admin)->disabled);
        QCOMPARE(login(u"lou@example.com"_s, u"correct horse battery"_s)->status, 403);
        QVERIFY(!users->setDisabled(id, false, admin)->disabled);
        QVERIFY(users->forcePasswordReset(id, admin)->mustResetPassword);
        auto forced = login(u"lou@example.com"_s, u"correct horse battery"_s);
        QCOMPARE(forced->status, 403);
        QCOMPARE(code(forced), u"PASSWORD_RESET_REQUIRED"_s);
        QVERIFY(!mailedToken(u"lou@example.com"_s, u"reset_password"_s).isEmpty());

        auth::AuditFilter filter;
        filter.targetType = u"user"_s;
        filter.actor = u"boss"_s;
        auto entries = users->audit(filter);
        QVERIFY(entries);
        QStringList actions;
        for (const auto &e : *entries) {
            actions.prepend(e.action);
            QVERIFY(!e.after.contains("password_hash")); // never in the log
        }
        QCOMPARE(actions, (QStringList{u"user.role"_s, u"user.lock"_s, u"user.unlock"_s, u"user.disable"_s,
                                       u"user.enable"_s, u"user.force_password_reset"_s}));
        auto history = users->loginHistory(id);
        QVERIFY(history && history->size() >= 5);
        QCOMPARE(history->first().reason, u"password reset required"_s);
    }

    void staffTwoFactorCanBeRequired()
    {
        const Actor setup{std::nullopt, u"test"_s, u"test"_s};
        QVERIFY(m_runtime->auth()->createUser(u"sue@example.com"_s, u"staff pass phrase"_s, u"staff"_s, setup));
        auto signedIn = login(u"sue@example.com"_s, u"staff pass phrase"_s);
        const QByteArray bearer = "Authorization: Bearer " + data(signedIn).value(u"token"_s).toString().toLatin1();
        QCOMPARE(call("GET", "/api/admin/products", {}, {bearer})->status, 200);

        QVERIFY(m_runtime->auth()->setStaffTwoFactorRequired(true, setup));
        auto refused = call("GET", "/api/admin/products", {}, {bearer});
        QCOMPARE(refused->status, 403);
        QCOMPARE(code(refused), u"TOTP_ENROLMENT_REQUIRED"_s);
        // Enrolling is still possible with the same token, and opens the admin API.
        auto setup2fa = call("POST", "/api/auth/2fa/setup", {}, {bearer});
        QCOMPARE(setup2fa->status, 200);
        const auto secret = auth::totp::fromBase32(data(setup2fa).value(u"secret"_s).toString());
        QCOMPARE(call("POST", "/api/auth/2fa/confirm",
                      {{u"code"_s, auth::totp::code(*secret, QDateTime::currentDateTimeUtc())}}, {bearer})
                     ->status,
                 200);
        QCOMPARE(call("GET", "/api/admin/products", {}, {bearer})->status, 200);
        QVERIFY(m_runtime->auth()->setStaffTwoFactorRequired(false, setup));
        QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE action = 'settings.require_2fa_staff'"_s), qint64(2));
    }

    void createAdminCommandReadsThePasswordFromStdin()
    {
        // `shopdesk create-admin` is the real binary; the password comes on stdin.
        const QString binary = qEnvironmentVariable("SHOPDESK_BINARY");
        QVERIFY2(QFile::exists(binary), "SHOPDESK_BINARY");
        QProcess p;
        p.setProgram(binary);
        p.setArguments({u"create-admin"_s, u"--email"_s, u"Boss@Example.com"_s, u"--database-url"_s,
                        m_runtime->config().databaseUrl, u"--data-dir"_s, m_runtime->config().dataDir,
                        u"--bcrypt-cost"_s, u"10"_s});
        p.start();
        QVERIFY(p.waitForStarted());
        p.write("boss pass phrase\n");
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QCOMPARE(scalar(u"SELECT count(*) FROM users WHERE email = 'boss@example.com' AND role = 'admin'"_s),
                 qint64(1));
        QCOMPARE(login(u"boss@example.com"_s, u"boss pass phrase"_s)->status, 200);
        QVERIFY(*m_runtime->auth()->hasAdmin());
    }
};

QTEST_GUILESS_MAIN(TestAuthRoutes)
#include "tst_authroutes.moc"
