#include "db/connectionoptions.h"

#include <QTest>

using namespace Qt::StringLiterals;
using shop::db::ConnectionOptions;

class TestConnectionOptions : public QObject
{
    Q_OBJECT

private slots:
    void parse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("sslmode");
        QTest::addRow("uri") << u"postgresql://shop:s3cret@db.example.com:6432/shop"_s << u"db.example.com"_s << 6432
                             << u"shop"_s << u"shop"_s << u"s3cret"_s << QString();
        QTest::addRow("postgres scheme, default port") << u"postgres://u@h/d"_s << u"h"_s << 5432 << u"d"_s << u"u"_s
                                                       << QString() << QString();
        QTest::addRow("rds with verify-full")
            << u"postgresql://app:p%40ss@shop.abc.eu-west-1.rds.amazonaws.com/shop?sslmode=verify-full&sslrootcert=/etc/ssl/rds.pem"_s
            << u"shop.abc.eu-west-1.rds.amazonaws.com"_s << 5432 << u"shop"_s << u"app"_s << u"p@ss"_s << u"verify-full"_s;
        QTest::addRow("uri with socket host") << u"postgresql:///shop?host=/run/postgresql"_s << u"/run/postgresql"_s
                                              << 5432 << u"shop"_s << QString() << QString() << QString();
        QTest::addRow("key value") << u"host=localhost port=5433 dbname=shop user=app password='a b\\'c' sslmode=require"_s
                                   << u"localhost"_s << 5433 << u"shop"_s << u"app"_s << u"a b'c"_s << u"require"_s;
        QTest::addRow("key value spaces around =") << u"host = /tmp dbname = x"_s << u"/tmp"_s << 5432 << u"x"_s
                                                   << QString() << QString() << QString();
    }

    void parse()
    {
        QFETCH(QString, text);
        auto o = ConnectionOptions::parse(text);
        QVERIFY2(o, o ? "" : qPrintable(o.error().message()));
        QTEST(o->host, "host");
        QTEST(o->port, "port");
        QTEST(o->database, "database");
        QTEST(o->user, "user");
        QTEST(o->password, "password");
        QTEST(o->sslMode(), "sslmode");
    }

    void rejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addRow("empty") << QString();
        QTest::addRow("not a url") << u"just words"_s;
        QTest::addRow("bad sslmode") << u"postgresql://h/d?sslmode=sometimes"_s;
        QTest::addRow("unknown parameter") << u"host=h sslmdoe=require"_s;
        QTest::addRow("bad port") << u"host=h port=99999"_s;
        QTest::addRow("unterminated quote") << u"host='h"_s;
        QTest::addRow("key without value") << u"host"_s;
    }

    void rejects()
    {
        QFETCH(QString, text);
        QVERIFY(!ConnectionOptions::parse(text));
    }

    void redactedHidesThePassword()
    {
        auto o = ConnectionOptions::parse(u"postgresql://app:topsecret@h:5432/shop?sslmode=verify-full"_s);
        QVERIFY(o);
        QVERIFY(!o->redacted().contains(u"topsecret"_s));
        QVERIFY(o->redacted().contains(u"verify-full"_s));
    }

    void uriRoundTrips()
    {
        auto o = ConnectionOptions::parse(u"host=/run/pg port=5433 dbname=shop user=a password=p@ss/word sslmode=disable"_s);
        QVERIFY(o);
        auto back = ConnectionOptions::parse(o->toUri());
        QVERIFY2(back, qPrintable(o->toUri()));
        QCOMPARE(back->host, o->host);
        QCOMPARE(back->port, o->port);
        QCOMPARE(back->database, o->database);
        QCOMPARE(back->user, o->user);
        QCOMPARE(back->password, o->password);
        QCOMPARE(back->parameters, o->parameters);
    }
};

QTEST_APPLESS_MAIN(TestConnectionOptions)
#include "tst_connectionoptions.moc"
