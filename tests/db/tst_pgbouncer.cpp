// Behind PgBouncer in transaction mode (the learning lab's 3x throughput setting),
// every transaction may run on a different server connection, so nothing may rely on
// session state. With plain queries the migrator and ordinary queries work there,
// under more clients than PgBouncer has server connections.

#include "db/database.h"
#include "db/migrator.h"
#include "testcluster.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

#include <thread>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::db;

class TestPgBouncer : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QTemporaryDir m_dir{QDir::tempPath() + u"/shopdesk-bouncer-XXXXXX"_s};
    QProcess m_bouncer;
    int m_port = 0;

    ConnectionOptions throughBouncer() const
    {
        ConnectionOptions o;
        o.host = u"127.0.0.1"_s;
        o.port = m_port;
        o.user = u"shopdesk"_s;
        o.database = u"bouncer"_s;
        o.parameters.insert(u"sslmode"_s, u"disable"_s);
        return o;
    }

    std::unique_ptr<Database> pool(int size)
    {
        Database::Options o;
        o.connection = throughBouncer();
        o.poolSize = size;
        o.plainQueries = true;
        o.acquireTimeoutMs = 10000;
        return std::make_unique<Database>(o);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        const ConnectionOptions server = m_cluster.createDatabase(u"bouncer"_s);
        ::chmod(QFile::encodeName(m_dir.path()).constData(), 0755);

        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        m_port = probe.serverPort();
        probe.close();

        QFile ini(m_dir.filePath(u"pgbouncer.ini"_s));
        QVERIFY(ini.open(QIODevice::WriteOnly));
        ini.write("[databases]\nbouncer = host=" + server.host.toUtf8() + " port=" + QByteArray::number(server.port)
                  + " dbname=bouncer user=shopdesk\n"
                    "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " + QByteArray::number(m_port) + "\n"
                    "unix_socket_dir =\nauth_type = trust\nauth_file = " + m_dir.filePath(u"users.txt"_s).toUtf8() + "\n"
                    "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 100\n");
        ini.close();
        QFile users(m_dir.filePath(u"users.txt"_s));
        QVERIFY(users.open(QIODevice::WriteOnly));
        users.write("\"shopdesk\" \"\"\n");
        users.close();

        QStringList args;
        if (::geteuid() == 0)
            args << u"-u"_s << u"postgres"_s; // PgBouncer refuses to run as root
        args << ini.fileName();
        m_bouncer.setProcessChannelMode(QProcess::MergedChannels);
        m_bouncer.start(u"/usr/sbin/pgbouncer"_s, args);
        QVERIFY2(m_bouncer.waitForStarted(10000), qPrintable(m_bouncer.errorString()));
        QElapsedTimer timer;
        timer.start();
        bool listening = false;
        while (!listening && timer.elapsed() < 20000 && m_bouncer.state() == QProcess::Running) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, quint16(m_port));
            listening = s.waitForConnected(200);
            if (!listening)
                QThread::msleep(100);
        }
        QVERIFY2(listening, m_bouncer.readAll().constData());
    }

    void cleanupTestCase()
    {
        m_bouncer.terminate();
        if (!m_bouncer.waitForFinished(10000))
            m_bouncer.kill();
    }

    void migrationsRunThroughTheBouncer()
    {
        auto db = pool(2);
        Migrator migrator(*db);
        auto applied = migrator.migrate();
        QVERIFY2(applied, applied ? "" : qPrintable(applied.error().message()));
        QCOMPARE(applied->size(), Migrator::embedded().size());
        auto again = migrator.migrate();
        QVERIFY(again);
        QVERIFY(again->isEmpty());
    }

    void manyClientsFewServerConnections()
    {
        constexpr int kClients = 6;    // PgBouncer has 2 server connections
        constexpr int kRounds = 100;
        auto db = pool(kClients);
        {
            auto c = db->acquire();
            QVERIFY(c);
            QVERIFY(c->execute(u"CREATE TABLE IF NOT EXISTS bounce (client int, round int, note text)"_s));
        }
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int client = 0; client < kClients; ++client) {
            threads.emplace_back([&, client] {
                for (int round = 0; round < kRounds; ++round) {
                    auto c = db->acquire();
                    if (!c) {
                        ++failures;
                        continue;
                    }
                    Transaction tx(*c);
                    auto insert = c->query(u"INSERT INTO bounce VALUES (:client, :round, :note)"_s);
                    insert.bind(u":client"_s, client).bind(u":round"_s, round).bind(u":note"_s, u"it's \"quoted\""_s);
                    auto check = c->query(u"SELECT count(*) FROM bounce WHERE client = :client"_s);
                    check.bind(u":client"_s, client);
                    if (!tx.begin() || !insert.exec() || !check.exec() || !check.next()
                        || check.value(0).toInt() != round + 1 || !tx.commit())
                        ++failures;
                }
                db->releaseThreadConnection();
            });
        }
        for (auto &t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
        auto c = db->acquire();
        auto q = c->query(u"SELECT count(*), count(DISTINCT note) FROM bounce"_s);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), kClients * kRounds);
        QCOMPARE(q.value(1).toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(TestPgBouncer)
#include "tst_pgbouncer.moc"
