// The RDS case: a PostgreSQL server reached over TCP with TLS, and libpq's sslmode and
// CA file honoured exactly (verify-full checks the CA and the host name).

#include "db/database.h"
#include "db/localcluster.h"

#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::db;

class TestTls : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir{QDir::tempPath() + u"/shopdesk-tls-XXXXXX"_s};
    std::unique_ptr<LocalCluster> m_cluster;
    int m_port = 0;

    bool openssl(const QStringList &args)
    {
        QProcess p;
        p.setWorkingDirectory(m_dir.filePath(u"certs"_s));
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(u"openssl"_s, args);
        if (!p.waitForFinished(60000) || p.exitCode() != 0) {
            qWarning() << "openssl" << args << p.readAll();
            return false;
        }
        return true;
    }

    ConnectionOptions options(const QString &host, const QString &sslmode, const QString &ca) const
    {
        ConnectionOptions o;
        o.host = host;
        o.port = m_port;
        o.user = u"shopdesk"_s;
        o.database = u"shopdesk"_s;
        o.parameters.insert(u"sslmode"_s, sslmode);
        if (!ca.isEmpty())
            o.parameters.insert(u"sslrootcert"_s, m_dir.filePath(u"certs/"_s + ca));
        o.parameters.insert(u"connect_timeout"_s, u"5"_s);
        return o;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        ::chmod(QFile::encodeName(m_dir.path()).constData(), 0755);
        QVERIFY(QDir(m_dir.path()).mkdir(u"certs"_s));
        const QString ec = u"ec:"_s + m_dir.filePath(u"certs/params.pem"_s);
        QVERIFY(openssl({u"ecparam"_s, u"-name"_s, u"prime256v1"_s, u"-out"_s, u"params.pem"_s}));
        QVERIFY(openssl({u"req"_s, u"-x509"_s, u"-newkey"_s, ec, u"-nodes"_s, u"-keyout"_s, u"ca.key"_s, u"-out"_s,
                         u"ca.crt"_s, u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=ShopDesk Test CA"_s}));
        QVERIFY(openssl({u"req"_s, u"-newkey"_s, ec, u"-nodes"_s, u"-keyout"_s, u"server.key"_s, u"-out"_s,
                         u"server.csr"_s, u"-subj"_s, u"/CN=localhost"_s}));
        QFile ext(m_dir.filePath(u"certs/ext.cnf"_s));
        QVERIFY(ext.open(QIODevice::WriteOnly));
        ext.write("subjectAltName=DNS:localhost\n");
        ext.close();
        QVERIFY(openssl({u"x509"_s, u"-req"_s, u"-in"_s, u"server.csr"_s, u"-CA"_s, u"ca.crt"_s, u"-CAkey"_s,
                         u"ca.key"_s, u"-CAcreateserial"_s, u"-out"_s, u"server.crt"_s, u"-days"_s, u"2"_s,
                         u"-extfile"_s, u"ext.cnf"_s}));
        QVERIFY(openssl({u"req"_s, u"-x509"_s, u"-newkey"_s, ec, u"-nodes"_s, u"-keyout"_s, u"other.key"_s,
                         u"-out"_s, u"other.crt"_s, u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=Someone Else"_s}));
        // PostgreSQL insists its key is private to the account it runs as.
        const QString key = m_dir.filePath(u"certs/server.key"_s);
        ::chmod(QFile::encodeName(key).constData(), 0600);
        if (::geteuid() == 0) {
            const passwd *pw = ::getpwnam("postgres");
            QVERIFY(pw);
            QVERIFY(::chown(QFile::encodeName(key).constData(), pw->pw_uid, pw->pw_gid) == 0);
        }

        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        m_port = probe.serverPort();
        probe.close();

        LocalCluster::Options o;
        o.dataDir = m_dir.filePath(u"data"_s);
        QVERIFY(QDir().mkpath(o.dataDir));
        ::chmod(QFile::encodeName(o.dataDir).constData(), 0755);
        o.fastInit = true;
        o.port = m_port;
        o.extraSettings = "listen_addresses = '127.0.0.1'\nssl = on\nssl_cert_file = '"
                          + m_dir.filePath(u"certs/server.crt"_s).toUtf8() + "'\nssl_key_file = '" + key.toUtf8() + "'\n";
        auto cluster = LocalCluster::start(o);
        QVERIFY2(cluster, cluster ? "" : qPrintable(cluster.error().message()));
        m_cluster = std::move(*cluster);
    }

    void cleanupTestCase() { m_cluster.reset(); }

    void verifyFullWithTheRightCaConnectsOverTls()
    {
        auto probe = Database::probe(options(u"localhost"_s, u"verify-full"_s, u"ca.crt"_s));
        QVERIFY2(probe, probe ? "" : qPrintable(probe.error().message()));

        Database::Options o;
        o.connection = options(u"localhost"_s, u"verify-full"_s, u"ca.crt"_s);
        Database db(o);
        auto c = db.acquire();
        QVERIFY2(c, c ? "" : qPrintable(c.error().message()));
        auto q = c->query(u"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"_s);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QVERIFY(q.value(0).toBool());
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("sslmode");
        QTest::addColumn<QString>("ca");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("unknown CA") << u"localhost"_s << u"verify-full"_s << u"other.crt"_s << u"certificate"_s;
        QTest::addRow("host name mismatch") << u"127.0.0.1"_s << u"verify-full"_s << u"ca.crt"_s << u"127.0.0.1"_s;
        QTest::addRow("no CA file") << u"localhost"_s << u"verify-full"_s << u"missing.crt"_s << u"missing.crt"_s;
    }

    void refusals()
    {
        QFETCH(QString, host);
        QFETCH(QString, sslmode);
        QFETCH(QString, ca);
        QFETCH(QString, mentions);
        auto probe = Database::probe(options(host, sslmode, ca));
        QVERIFY(!probe);
        QVERIFY2(probe.error().message().contains(mentions), qPrintable(probe.error().message()));
    }

    void verifyCaDoesNotCheckTheHostName()
    {
        auto probe = Database::probe(options(u"127.0.0.1"_s, u"verify-ca"_s, u"ca.crt"_s));
        QVERIFY2(probe, probe ? "" : qPrintable(probe.error().message()));
    }

    void disableMeansNoTls()
    {
        Database::Options o;
        o.connection = options(u"127.0.0.1"_s, u"disable"_s, QString());
        Database db(o);
        auto c = db.acquire();
        QVERIFY2(c, c ? "" : qPrintable(c.error().message()));
        auto q = c->query(u"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"_s);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QVERIFY(!q.value(0).toBool());
    }
};

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
