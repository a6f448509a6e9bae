#include "core/config.h"

#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using shop::Config;
using shop::ConfigLoader;

class TestConfig : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString writeFile(const QByteArray &text)
    {
        const QString path = m_dir.filePath(u"shopdesk.conf"_s);
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(text);
        return path;
    }
    static QProcessEnvironment env(std::initializer_list<std::pair<QString, QString>> values)
    {
        QProcessEnvironment e;
        for (const auto &[k, v] : values)
            e.insert(k, v);
        return e;
    }

private slots:
    void defaults()
    {
        auto c = ConfigLoader::load({}, QProcessEnvironment(), QString(), u"/data"_s);
        QVERIFY(c);
        QCOMPARE(c->port, 8080);
        QCOMPARE(c->bindAddress, QHostAddress(QHostAddress::LocalHost));
        QCOMPARE(c->dataDir, u"/data"_s);
        QVERIFY(c->databaseUrl.isEmpty());
        QVERIFY(!c->headless);
        QVERIFY(c->command.isEmpty());
        QVERIFY(c->effectiveIoThreads() >= 1);
        QCOMPARE(c->effectiveDbPoolSize(), c->effectiveIoThreads() + c->workerThreads);
    }

    void precedence_data()
    {
        QTest::addColumn<QByteArray>("file");
        QTest::addColumn<QString>("envPort");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("expected");
        QTest::addRow("default") << QByteArray() << QString() << QStringList() << 8080;
        QTest::addRow("file") << QByteArray("[http]\nport=7001\n") << QString() << QStringList() << 7001;
        QTest::addRow("env beats file") << QByteArray("[http]\nport=7001\n") << u"7002"_s << QStringList() << 7002;
        QTest::addRow("flag beats env") << QByteArray("[http]\nport=7001\n") << u"7002"_s
                                        << QStringList{u"--port"_s, u"7003"_s} << 7003;
        QTest::addRow("flag=value form") << QByteArray() << u"7002"_s << QStringList{u"--port=7004"_s} << 7004;
    }

    void precedence()
    {
        QFETCH(QByteArray, file);
        QFETCH(QString, envPort);
        QFETCH(QStringList, args);
        QFETCH(int, expected);
        const QString path = writeFile(file);
        QProcessEnvironment e;
        if (!envPort.isEmpty())
            e.insert(u"PORT"_s, envPort);
        auto c = ConfigLoader::load(args, e, path, u"/data"_s);
        QVERIFY2(c, c ? "" : qPrintable(c.error().message()));
        QCOMPARE(int(c->port), expected);
    }

    void everyLayerSetsEverySetting()
    {
        auto c = ConfigLoader::load(
            {u"--headless"_s, u"--bind"_s, u"0.0.0.0"_s, u"--threads"_s, u"3"_s, u"--max-body"_s, u"2048"_s},
            env({{u"DATABASE_URL"_s, u"postgresql://u@db/shop"_s},
                 {u"SHOPDESK_DATA_DIR"_s, u"/srv/shop"_s},
                 {u"SHOPDESK_DB_PLAIN_QUERIES"_s, u"on"_s},
                 {u"SHOPDESK_ACCESS_LOG"_s, u"off"_s}}),
            QString(), u"/data"_s);
        QVERIFY(c);
        QVERIFY(c->headless);
        QCOMPARE(c->bindAddress, QHostAddress(QHostAddress::AnyIPv4));
        QCOMPARE(c->ioThreads, 3);
        QCOMPARE(c->maxBodyBytes, 2048);
        QCOMPARE(c->databaseUrl, u"postgresql://u@db/shop"_s);
        QCOMPARE(c->dataDir, u"/srv/shop"_s);
        QVERIFY(c->dbPlainQueries);
        QVERIFY(!c->accessLog);
    }

    void configFileNamedByFlag()
    {
        const QString path = writeFile("[database]\nurl=host=/run/pg dbname=shop\n");
        auto c = ConfigLoader::load({u"--config"_s, path}, QProcessEnvironment(), u"/nonexistent.conf"_s, u"/d"_s);
        QVERIFY(c);
        QCOMPARE(c->configFile, path);
        QCOMPARE(c->databaseUrl, u"host=/run/pg dbname=shop"_s);
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("envName");
        QTest::addColumn<QString>("envValue");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("port not a number") << QStringList{u"--port"_s, u"http"_s} << QString() << QString() << u"--port"_s;
        QTest::addRow("port out of range") << QStringList{u"--port=70000"_s} << QString() << QString() << u"70000"_s;
        QTest::addRow("bad env port") << QStringList() << u"PORT"_s << u"-1"_s << u"PORT"_s;
        QTest::addRow("bad bind") << QStringList{u"--bind"_s, u"localhost:80"_s} << QString() << QString() << u"bind"_s;
        QTest::addRow("unknown flag") << QStringList{u"--prot=1"_s} << QString() << QString() << u"--prot"_s;
        QTest::addRow("missing value") << QStringList{u"--threads"_s} << QString() << QString() << u"--threads"_s;
        QTest::addRow("bad switch") << QStringList() << u"SHOPDESK_ACCESS_LOG"_s << u"maybe"_s << u"SHOPDESK_ACCESS_LOG"_s;
        QTest::addRow("unknown command") << QStringList{u"serve"_s} << QString() << QString() << u"serve"_s;
    }

    void errors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, envName);
        QFETCH(QString, envValue);
        QFETCH(QString, mentions);
        QProcessEnvironment e;
        if (!envName.isEmpty())
            e.insert(envName, envValue);
        auto c = ConfigLoader::load(args, e, QString(), u"/data"_s);
        QVERIFY(!c);
        QVERIFY2(c.error().message().contains(mentions), qPrintable(c.error().message()));
    }

    void commands()
    {
        auto c = ConfigLoader::load({u"migrate"_s, u"--database-url"_s, u"host=x"_s}, QProcessEnvironment(), QString(), u"/d"_s);
        QVERIFY(c);
        QCOMPARE(c->command, u"migrate"_s);
        QCOMPARE(c->databaseUrl, u"host=x"_s);
    }

    void usageListsEveryEnvironmentVariable()
    {
        const QString usage = ConfigLoader::usage();
        for (const char *name : {"PORT", "DATABASE_URL", "SHOPDESK_DATA_DIR", "SHOPDESK_THREADS", "SHOPDESK_BIND"})
            QVERIFY2(usage.contains(QLatin1String(name)), name);
    }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "tst_config.moc"
