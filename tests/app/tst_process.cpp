// The shopdesk binary as an operator runs it: its own PostgreSQL cluster, SIGTERM,
// two instances on one database, a connection burst, clear errors.

#include "db/database.h"
#include "db/migrator.h"
#include "http/server.h"
#include "rawhttp.h"
#include "testcluster.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace shop;
using test::rawRequest;

namespace {

QString binary()
{
    return qEnvironmentVariable("SHOPDESK_BINARY");
}

// A running shopdesk and everything it has written to stderr.
class ShopProcess
{
public:
    explicit ShopProcess(const QStringList &arguments, const QProcessEnvironment &env = cleanEnvironment())
    {
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(binary(), arguments);
    }
    ~ShopProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            ::kill(pid_t(m_process.processId()), SIGTERM);
            if (!m_process.waitForFinished(30000))
                m_process.kill();
        }
    }

    static QProcessEnvironment cleanEnvironment()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "DATABASE_URL", "PORT"})
            env.remove(QString::fromLatin1(name));
        env.insert(u"SHOPDESK_CONFIG"_s, u"/nonexistent/shopdesk.conf"_s);
        return env;
    }

    // Waits for the "serving" line; returns the port (0 if it never came).
    quint16 waitServing(int timeoutMs = 120000)
    {
        static const QRegularExpression serving(u"ShopDesk is serving https?://[^:]+:(\\d+)/"_s);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            const auto match = serving.match(output());
            if (match.hasMatch())
                return quint16(match.captured(1).toUInt());
            if (m_process.state() == QProcess::NotRunning)
                return 0;
            m_process.waitForReadyRead(200);
        }
        return 0;
    }

    bool terminate(int *exitCode)
    {
        ::kill(pid_t(m_process.processId()), SIGTERM);
        if (!m_process.waitForFinished(60000))
            return false;
        output();
        *exitCode = m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
        return true;
    }

    int waitExit()
    {
        m_process.waitForFinished(60000);
        output();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

    QString output()
    {
        m_output += QString::fromLocal8Bit(m_process.readAll());
        return m_output;
    }
    bool running() const { return m_process.state() == QProcess::Running; }

private:
    QProcess m_process;
    QString m_output;
};

// Is any postgres process running on this cluster directory?
bool postgresRunningOn(const QString &clusterDir)
{
    QDirIterator it(u"/proc"_s, QDir::Dirs | QDir::NoDotAndDotDot);
    while (it.hasNext()) {
        QFile cmdline(it.next() + u"/cmdline"_s);
        if (!cmdline.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = cmdline.readAll().replace('\0', ' ');
        if (text.contains("postgres") && text.contains(clusterDir.toLocal8Bit()))
            return true;
    }
    return false;
}

QTemporaryDir makeDataDir()
{
    QTemporaryDir dir(QDir::tempPath() + u"/shopdesk-proc-XXXXXX"_s);
    ::chmod(QFile::encodeName(dir.path()).constData(), 0755); // reachable by the server account as root
    return dir;
}

} // namespace

class TestProcess : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;

private slots:
    void initTestCase()
    {
        QVERIFY2(!binary().isEmpty() && QFileInfo(binary()).isExecutable(), "SHOPDESK_BINARY must name the built shopdesk");
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
    }

    void embeddedClusterStartsServesAndStopsCleanly()
    {
        QTemporaryDir data = makeDataDir();
        const QString clusterDir = data.path() + u"/database/postgres"_s;
        {
            ShopProcess shop({u"--headless"_s, u"--port"_s, u"0"_s, u"--data-dir"_s, data.path()});
            const quint16 port = shop.waitServing();
            QVERIFY2(port, qPrintable(shop.output()));
            QVERIFY(shop.output().contains(u"creating a PostgreSQL cluster"_s));
            QVERIFY(QFileInfo::exists(clusterDir + u"/PG_VERSION"_s));
            for (const QByteArray path : {"/api/health", "/readyz", "/metrics"}) {
                auto r = rawRequest(port, "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
                QVERIFY(r);
                QCOMPARE(r->status, 200);
            }
            int code = -1;
            QVERIFY(shop.terminate(&code));
            QCOMPARE(code, 0);
            QVERIFY2(!postgresRunningOn(clusterDir), "SIGTERM must stop the embedded PostgreSQL");
            QVERIFY(!QFileInfo::exists(clusterDir + u"/postmaster.pid"_s));
        }
        // A second start reuses the cluster.
        ShopProcess again({u"--headless"_s, u"--port"_s, u"0"_s, u"--data-dir"_s, data.path()});
        const quint16 port = again.waitServing();
        QVERIFY2(port, qPrintable(again.output()));
        QVERIFY(!again.output().contains(u"creating a PostgreSQL cluster"_s));
        int code = -1;
        QVERIFY(again.terminate(&code));
        QCOMPARE(code, 0);
        QVERIFY(!postgresRunningOn(clusterDir));
    }

    // `shopdesk health` asks the running server over HTTPS when TLS is configured, and
    // accepts exactly the configured certificate.
    void healthCommandSpeaksHttps()
    {
        QTemporaryDir data = makeDataDir();
        const QStringList tls{u"--data-dir"_s, data.path(), u"--tls-self-signed"_s};
        ShopProcess shop(QStringList{u"--headless"_s, u"--port"_s, u"0"_s} + tls);
        const quint16 port = shop.waitServing();
        QVERIFY2(port, qPrintable(shop.output()));
        QVERIFY(shop.output().contains(u"https://"_s));
        QProcess health;
        health.setProcessEnvironment(ShopProcess::cleanEnvironment());
        health.setProcessChannelMode(QProcess::MergedChannels);
        health.start(binary(), QStringList{u"health"_s, u"--port"_s, QString::number(port)} + tls);
        QVERIFY(health.waitForFinished(30000));
        const QString said = QString::fromLocal8Bit(health.readAll());
        QCOMPARE(health.exitCode(), 0);
        QVERIFY2(said.contains(u"ready (200)"_s), qPrintable(said));
        // Plain HTTP against the TLS port is not an answer.
        QProcess plain;
        plain.setProcessEnvironment(ShopProcess::cleanEnvironment());
        plain.start(binary(), {u"health"_s, u"--port"_s, QString::number(port), u"--data-dir"_s, data.path()});
        QVERIFY(plain.waitForFinished(30000));
        QCOMPARE(plain.exitCode(), 1);
        int code = -1;
        QVERIFY(shop.terminate(&code));
        QCOMPARE(code, 0);
    }

    // A shopdesk killed outright leaves its PostgreSQL running; the next start adopts
    // it and stops it on exit, so nothing is left behind.
    void crashedOwnerIsAdopted()
    {
        QTemporaryDir data = makeDataDir();
        const QString clusterDir = data.path() + u"/database/postgres"_s;
        {
            QProcess crashing;
            crashing.setProcessEnvironment(ShopProcess::cleanEnvironment());
            crashing.setProcessChannelMode(QProcess::MergedChannels);
            crashing.start(binary(), {u"--headless"_s, u"--port"_s, u"0"_s, u"--data-dir"_s, data.path()});
            QString output;
            QElapsedTimer timer;
            timer.start();
            while (!output.contains(u"ShopDesk is serving"_s) && timer.elapsed() < 120000) {
                crashing.waitForReadyRead(200);
                output += QString::fromLocal8Bit(crashing.readAll());
            }
            QVERIFY2(output.contains(u"ShopDesk is serving"_s), qPrintable(output));
            ::kill(pid_t(crashing.processId()), SIGKILL);
            QVERIFY(crashing.waitForFinished(10000));
        }
        QVERIFY(postgresRunningOn(clusterDir));
        ShopProcess next({u"--headless"_s, u"--port"_s, u"0"_s, u"--data-dir"_s, data.path()});
        QVERIFY2(next.waitServing(), qPrintable(next.output()));
        QVERIFY2(next.output().contains(u"its starter is gone"_s), qPrintable(next.output()));
        int code = -1;
        QVERIFY(next.terminate(&code));
        QCOMPARE(code, 0);
        QVERIFY(!postgresRunningOn(clusterDir));
    }

    // The desktop session ends under the app (logout: the X server goes away and Qt
    // exits the process without unwinding): the embedded PostgreSQL still stops.
    void displayGoingAwayStillStopsTheCluster()
    {
        QProcess xvfb;
        const QString display = u":%1"_s.arg(90 + (::getpid() % 500));
        xvfb.start(u"Xvfb"_s, {display, u"-screen"_s, u"0"_s, u"1024x768x24"_s, u"-nolisten"_s, u"tcp"_s});
        QVERIFY2(xvfb.waitForStarted(10000), "Xvfb is installed by infrastructure/dev/setup.sh");
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(u"/tmp/.X11-unix/X"_s + display.mid(1)), 10000);

        QTemporaryDir data = makeDataDir();
        const QString clusterDir = data.path() + u"/database/postgres"_s;
        QProcessEnvironment env = ShopProcess::cleanEnvironment();
        env.insert(u"DISPLAY"_s, display);
        ShopProcess shop({u"--port"_s, u"0"_s, u"--data-dir"_s, data.path()}, env);
        QVERIFY2(shop.waitServing(), qPrintable(shop.output()));
        QVERIFY(!shop.output().contains(u"no display"_s));
        QVERIFY(postgresRunningOn(clusterDir));

        xvfb.terminate();
        QVERIFY(xvfb.waitForFinished(10000));
        shop.waitExit();
        QVERIFY2(!postgresRunningOn(clusterDir), qPrintable(shop.output()));
    }

    void noDisplayMeansHeadless()
    {
        QTemporaryDir data = makeDataDir();
        ShopProcess shop({u"--port"_s, u"0"_s, u"--data-dir"_s, data.path()});
        QVERIFY2(shop.waitServing(), qPrintable(shop.output()));
        QVERIFY(shop.output().contains(u"no display"_s));
    }

    void twoInstancesOnOneFreshDatabaseMigrateOnce()
    {
        const QString url = m_cluster.createDatabase(u"two_instances"_s).toUri();
        const QStringList args = {u"--headless"_s, u"--port"_s, u"0"_s, u"--database-url"_s, url,
                                  u"--data-dir"_s, QDir::tempPath()};
        ShopProcess a(args);
        ShopProcess b(args);
        QVERIFY2(a.waitServing(), qPrintable(a.output()));
        QVERIFY2(b.waitServing(), qPrintable(b.output()));
        db::Database::Options o;
        o.connection = m_cluster.connectionOptions(u"two_instances"_s);
        db::Database database(o);
        auto c = database.acquire();
        QVERIFY(c);
        auto q = c->query(u"SELECT count(*), count(DISTINCT version) FROM schema_migrations"_s);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), int(db::Migrator::embedded().size()));
        QCOMPARE(q.value(1).toInt(), int(db::Migrator::embedded().size()));
        const int applying = int(a.output().count(u"applying 0001"_s) + b.output().count(u"applying 0001"_s));
        QCOMPARE(applying, 1);
    }

    void migrateCommand()
    {
        const QString url = m_cluster.createDatabase(u"migrate_only"_s).toUri();
        ShopProcess shop({u"migrate"_s, u"--database-url"_s, url, u"--data-dir"_s, QDir::tempPath()});
        QCOMPARE(shop.waitExit(), 0);
        QVERIFY2(shop.output().contains(u"migrations applied: %1"_s.arg(db::Migrator::embedded().size())),
                 qPrintable(shop.output()));
    }

    void clearErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("no postgres programs") << QStringList{u"--headless"_s, u"--pg-bin-dir"_s, u"/nonexistent"_s,
                                                             u"--data-dir"_s, QDir::tempPath() + u"/sd-none"_s}
                                              << u"initdb"_s;
        QTest::addRow("bad port") << QStringList{u"--headless"_s, u"--port"_s, u"web"_s} << u"--port"_s;
        QTest::addRow("bad database url") << QStringList{u"--headless"_s, u"--database-url"_s, u"mysql://x"_s}
                                          << u"database URL"_s;
        QTest::addRow("unreachable database")
            << QStringList{u"--headless"_s, u"--database-url"_s, u"postgresql://u@127.0.0.1:1/x?connect_timeout=2"_s}
            << u"unavailable"_s;
    }

    void clearErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        ShopProcess shop(args);
        QCOMPARE(shop.waitExit(), 1);
        QVERIFY2(shop.output().contains(mentions), qPrintable(shop.output()));
    }

    // 10,000 connections at once against the real process, each asking /api/health.
    void connectionBurst()
    {
        QVERIFY(http::HttpServer::raiseFileLimit() > 10'500);
        const QString url = m_cluster.createDatabase(u"burst"_s).toUri();
        ShopProcess shop({u"--headless"_s, u"--port"_s, u"0"_s, u"--database-url"_s, url, u"--access-log"_s, u"off"_s,
                          u"--data-dir"_s, QDir::tempPath()});
        const quint16 port = shop.waitServing();
        QVERIFY2(port, qPrintable(shop.output()));

        constexpr int kConnections = 10'000;
        const QByteArray request = "GET /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        std::vector<pollfd> fds(kConnections);
        std::vector<QByteArray> received(kConnections);
        std::vector<bool> sent(kConnections, false);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int i = 0; i < kConnections; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            ::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
            fds[i] = {fd, POLLOUT, 0};
        }
        int done = 0;
        int ok = 0;
        int failed = 0;
        QElapsedTimer timer;
        timer.start();
        while (done < kConnections && timer.elapsed() < 120'000) {
            if (::poll(fds.data(), fds.size(), 1000) <= 0)
                continue;
            for (int i = 0; i < kConnections; ++i) {
                pollfd &p = fds[i];
                if (p.fd < 0 || p.revents == 0)
                    continue;
                if (!sent[i] && (p.revents & POLLOUT)) {
                    if (::send(p.fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) == request.size()) {
                        sent[i] = true;
                        p.events = POLLIN;
                        continue;
                    }
                }
                if (sent[i] && (p.revents & (POLLIN | POLLHUP))) {
                    char buffer[4096];
                    const ssize_t n = ::recv(p.fd, buffer, sizeof buffer, 0);
                    if (n > 0) {
                        received[i].append(buffer, n);
                        continue;
                    }
                }
                if (p.revents & (POLLERR | POLLHUP | POLLIN) || sent[i]) {
                    if (received[i].startsWith("HTTP/1.1 200"))
                        ++ok;
                    else
                        ++failed;
                    ::close(p.fd);
                    p.fd = -1;
                    ++done;
                }
            }
        }
        for (pollfd &p : fds) {
            if (p.fd >= 0)
                ::close(p.fd);
        }
        QVERIFY2(shop.running(), qPrintable(shop.output()));
        QCOMPARE(failed, 0);
        QCOMPARE(ok, kConnections);
        auto after = rawRequest(port, "GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(after);
        QCOMPARE(after->status, 200);
    }
};

QTEST_GUILESS_MAIN(TestProcess)
#include "tst_process.moc"
