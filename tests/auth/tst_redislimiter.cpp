// Rate-limit counters in a real Redis, shared by two limiters as two instances would
// share them; a Redis that goes away makes sign-in fail closed, and comes back.

#include "auth/redisratelimiter.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::auth;

class TestRedisLimiter : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_redis;
    QString socket() const { return m_dir.path() + u"/redis.sock"_s; }

    bool startRedis()
    {
        m_redis = std::make_unique<QProcess>();
        m_redis->setProgram(u"redis-server"_s);
        m_redis->setArguments({u"--port"_s, u"0"_s, u"--unixsocket"_s, socket(), u"--save"_s, u""_s,
                               u"--appendonly"_s, u"no"_s, u"--dir"_s, m_dir.path()});
        m_redis->start();
        if (!m_redis->waitForStarted(10000))
            return false;
        for (int i = 0; i < 200 && !QFile::exists(socket()); ++i)
            QTest::qWait(25);
        return QFile::exists(socket());
    }

    void stopRedis()
    {
        if (!m_redis)
            return;
        m_redis->terminate();
        m_redis->waitForFinished(10000);
        m_redis.reset();
        QFile::remove(socket());
    }

private slots:
    void initTestCase()
    {
        // hiredis writes with write(): a Redis that went away raises SIGPIPE, which
        // shopdesk's main() ignores process-wide; so does this test.
        ::signal(SIGPIPE, SIG_IGN);
        QVERIFY2(startRedis(), "redis-server did not start (infrastructure/dev/setup.sh installs it)");
    }
    void cleanupTestCase() { stopRedis(); }

    void urls()
    {
        QVERIFY(RedisRateLimiter::create(u"redis://127.0.0.1:6379/2"_s));
        QVERIFY(RedisRateLimiter::create(u"unix:///run/redis.sock"_s));
        QVERIFY(!RedisRateLimiter::create(u"http://example.com"_s));
        QVERIFY(!RedisRateLimiter::create(u"redis://host/abc"_s));
        delete *RedisRateLimiter::create(u"redis://127.0.0.1"_s);
    }

    void instancesShareOneBucket()
    {
        std::unique_ptr<RateLimiter> a(*RedisRateLimiter::create(u"unix://"_s + socket()));
        std::unique_ptr<RateLimiter> b(*RedisRateLimiter::create(u"unix://"_s + socket()));
        const RateLimiter::Rule rule{3, std::chrono::seconds(60)};
        QVERIFY(a->take("login|shared", rule)->allowed);
        QVERIFY(b->take("login|shared", rule)->allowed);
        QVERIFY(a->take("login|shared", rule)->allowed);
        auto denied = b->take("login|shared", rule);
        QVERIFY(denied);
        QVERIFY(!denied->allowed);
        QVERIFY(denied->retryAfterSeconds > 0 && denied->retryAfterSeconds <= 60);
        QVERIFY(a->take("login|other", rule)->allowed); // keys are independent
        a->reset("login|shared");
        QVERIFY(b->take("login|shared", rule)->allowed);
    }

    void refills()
    {
        std::unique_ptr<RateLimiter> a(*RedisRateLimiter::create(u"unix://"_s + socket()));
        const RateLimiter::Rule rule{1, std::chrono::milliseconds(1500)};
        QVERIFY(a->take("refill", rule)->allowed);
        QVERIFY(!a->take("refill", rule)->allowed);
        // Latched: QTRY evaluates its expression once more after it succeeds, and a
        // take() spends a token each time.
        bool refilled = false;
        const auto allowedNow = [&] {
            if (!refilled) {
                auto d = a->take("refill", rule);
                refilled = d && d->allowed;
            }
            return refilled;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allowedNow(), 10000);
    }

    void failsClosedAndRecovers()
    {
        std::unique_ptr<RateLimiter> a(*RedisRateLimiter::create(u"unix://"_s + socket()));
        const RateLimiter::Rule rule{100, std::chrono::seconds(1)};
        QVERIFY(a->take("outage", rule));
        stopRedis();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"Redis rate-limit store unavailable"_s));
        auto down = a->take("outage", rule);
        QVERIFY(!down);
        QCOMPARE(down.error().kind(), Error::Kind::Unavailable);
        QVERIFY(startRedis());
        bool back = false;
        QTRY_VERIFY_WITH_TIMEOUT(back = back || a->take("outage", rule).has_value(), 5000);
    }
};

QTEST_GUILESS_MAIN(TestRedisLimiter)
#include "tst_redislimiter.moc"
