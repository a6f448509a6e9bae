// Health, readiness and metrics of a whole Runtime on a real database.

#include "db/database.h"
#include "http/server.h"
#include "rawhttp.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;
using test::rawRequest;

class TestHealth : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<Runtime> m_runtime;
    quint16 port() const { return m_runtime->http()->port(); }
    static QByteArray get(const QByteArray &path) { return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"; }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = m_cluster.connectionOptions().host; // unused with a database URL
        config.databaseUrl = m_cluster.createDatabase(u"health"_s).toUri();
        config.port = 0;
        config.ioThreads = 2;
        config.accessLog = false;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        QVERIFY(!m_runtime->appliedMigrations().isEmpty());
        QVERIFY(m_runtime->url().startsWith(u"http://127.0.0.1:"_s));
    }

    void cleanupTestCase() { m_runtime.reset(); }

    void seedCompatibleHealth()
    {
        auto r = rawRequest(port(), get("/api/health"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        const QJsonObject body = QJsonDocument::fromJson(r->body).object();
        QCOMPARE(body, (QJsonObject{{u"success"_s, true}, {u"data"_s, QJsonObject{{u"status"_s, u"healthy"_s}}}}));
    }

    void livenessNeedsNoDatabase()
    {
        const qint64 before = m_runtime->database()->stats().acquired;
        auto r = rawRequest(port(), get("/healthz"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(m_runtime->database()->stats().acquired, before);
    }

    void readinessProbesTheDatabase()
    {
        auto r = rawRequest(port(), get("/readyz"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        const QJsonObject data = QJsonDocument::fromJson(r->body).object().value(u"data"_s).toObject();
        QCOMPARE(data.value(u"status"_s).toString(), u"ready"_s);
        QCOMPARE(data.value(u"database"_s).toString(), u"ok"_s);
    }

    void metricsInPrometheusFormat()
    {
        QVERIFY(rawRequest(port(), get("/api/health")));
        auto r = rawRequest(port(), get("/metrics"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(r->header("content-type").startsWith("text/plain; version=0.0.4"));
        const QByteArray &text = r->body;
        for (const char *name : {"shopdesk_http_requests_total{route=\"/api/health\",method=\"GET\",status=\"200\"}",
                                 "shopdesk_http_request_duration_seconds_bucket", "shopdesk_http_requests_in_flight",
                                 "shopdesk_http_connections_open", "shopdesk_db_pool_size",
                                 "shopdesk_db_connections_in_use", "shopdesk_db_connections_waiting",
                                 "shopdesk_db_wait_seconds_total", "shopdesk_readiness_probes_total",
                                 "shopdesk_resident_memory_bytes", "shopdesk_build_info{version="})
            QVERIFY2(text.contains(name), name);
        // Every sample line is "name{labels} value" or "name value".
        for (const QByteArray &line : text.split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            const qsizetype space = line.lastIndexOf(' ');
            QVERIFY2(space > 0, line.constData());
            bool ok = false;
            line.mid(space + 1).toDouble(&ok);
            QVERIFY2(ok, line.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestHealth)
#include "tst_health.moc"
