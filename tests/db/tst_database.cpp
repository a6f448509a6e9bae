#include "db/database.h"
#include "db/readiness.h"
#include "testcluster.h"

#include <QSemaphore>
#include <QTest>
#include <QThread>
#include <QTimeZone>

#include <thread>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::db;

class TestDatabase : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;

    std::unique_ptr<Database> pool(const ConnectionOptions &options, int size, bool plain, int timeoutMs = 2000)
    {
        Database::Options o;
        o.connection = options;
        o.poolSize = size;
        o.plainQueries = plain;
        o.acquireTimeoutMs = timeoutMs;
        return std::make_unique<Database>(o);
    }

private slots:
    void initTestCase() { QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString())); }

    void roundTripsValues_data()
    {
        QTest::addColumn<bool>("plain");
        QTest::addRow("prepared") << false;
        QTest::addRow("plain") << true;
    }

    // The same statement must give the same answer with server-side prepares and
    // with inlined literals, including values that try to break out of quoting.
    void roundTripsValues()
    {
        QFETCH(bool, plain);
        auto db = pool(m_cluster.connectionOptions(), 2, plain);
        auto c = db->acquire();
        QVERIFY(c);
        const QString tricky = u"O'Brien \\ '); DROP TABLE x; -- ünïcode"_s;
        auto q = c->query(u"SELECT :text::text, :n::bigint, :b::boolean, :missing::text, ':not_a_param', "
                          "length(:text::text) -- :text in a comment\n"_s);
        q.bind(u":text"_s, tricky).bind(u":n"_s, qint64(9007199254740993LL)).bind(u":b"_s, true).bind(u":missing"_s, QVariant());
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), tricky);
        QCOMPARE(q.value(1).toLongLong(), 9007199254740993LL);
        QCOMPARE(q.value(2).toBool(), true);
        QVERIFY(q.value(3).isNull());
        QCOMPARE(q.value(4).toString(), u":not_a_param"_s);
        QCOMPARE(q.value(5).toInt(), tricky.size());
        // Run again: the prepared statement is reused with new values.
        auto again = c->query(u"SELECT :text::text, :n::bigint, :b::boolean, :missing::text, ':not_a_param', "
                              "length(:text::text) -- :text in a comment\n"_s);
        again.bind(u":text"_s, u"second"_s).bind(u":n"_s, 2).bind(u":b"_s, false).bind(u":missing"_s, 5);
        QVERIFY(again.exec());
        QVERIFY(again.next());
        QCOMPARE(again.value(0).toString(), u"second"_s);
        QCOMPARE(again.value(3).toString(), u"5"_s);
    }

    void typesComeBackTyped()
    {
        auto db = pool(m_cluster.connectionOptions(), 1, false);
        auto c = db->acquire();
        QVERIFY(c);
        const QByteArray blob("\x00\x01'\\\xff", 6);
        auto q = c->query(u"SELECT :blob::bytea, 12345.67::numeric, '2026-11-23 10:00:00+02'::timestamptz, "
                          "'2026-11-23'::date, json_build_object('a', 1), 3::int2"_s);
        q.bind(u":blob"_s, blob);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toByteArray(), blob);
        QCOMPARE(q.value(1).toString(), u"12345.67"_s); // exact, never a float
        QCOMPARE(q.value(2).toDateTime(), QDateTime(QDate(2026, 11, 23), QTime(8, 0), Qt::UTC));
        QCOMPARE(q.value(3).toDate(), QDate(2026, 11, 23));
        QCOMPARE(q.text(4), QByteArray(R"({"a" : 1})"));
        QCOMPARE(q.value(5).toLongLong(), 3);
    }

    void placeholdersAreNumbered_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QStringList>("order");
        QTest::addRow("plain") << u"SELECT :a, :b"_s << u"SELECT $1, $2"_s << QStringList{u":a"_s, u":b"_s};
        QTest::addRow("repeated") << u"SELECT :b, :a, :b"_s << u"SELECT $1, $2, $1"_s << QStringList{u":b"_s, u":a"_s};
        QTest::addRow("cast") << u"SELECT :a::int"_s << u"SELECT $1::int"_s << QStringList{u":a"_s};
        QTest::addRow("quoted") << u"SELECT ':a', \":b\", 'it''s :a'"_s << u"SELECT ':a', \":b\", 'it''s :a'"_s << QStringList();
        QTest::addRow("comment") << u"SELECT 1 -- :a\n, :b"_s << u"SELECT 1 -- :a\n, $1"_s << QStringList{u":b"_s};
        QTest::addRow("dollar body") << u"DO $$ BEGIN PERFORM :a; END $$"_s << u"DO $$ BEGIN PERFORM :a; END $$"_s << QStringList();
    }

    void placeholdersAreNumbered()
    {
        QFETCH(QString, sql);
        QFETCH(QString, expected);
        QFETCH(QStringList, order);
        QStringList got;
        auto out = Query::numberPlaceholders(sql, {u":a"_s, u":b"_s}, &got);
        QVERIFY(out);
        QCOMPARE(*out, expected);
        QCOMPARE(got, order);
    }

    void unboundPlaceholderIsAnError()
    {
        QStringList order;
        QVERIFY(!Query::numberPlaceholders(u"SELECT :a, :c"_s, {u":a"_s}, &order));
    }

    void sqlErrorsAreReportedNotIgnored()
    {
        auto db = pool(m_cluster.connectionOptions(), 1, false);
        auto c = db->acquire();
        QVERIFY(c);
        auto q = c->query(u"SELECT * FROM no_such_table"_s);
        auto result = q.exec();
        QVERIFY(!result);
        QCOMPARE(result.error().kind(), Error::Kind::Internal);
        QCOMPARE(q.sqlState(), u"42P01"_s);
        QVERIFY2(!result.error().message().contains(u"no_such_table"_s), "SQL detail must not reach clients");
    }

    void transactionRollsBackUnlessCommitted()
    {
        auto db = pool(m_cluster.connectionOptions(), 1, false);
        auto c = db->acquire();
        QVERIFY(c);
        QVERIFY(c->execute(u"CREATE TABLE IF NOT EXISTS tx_test (v int)"_s));
        QVERIFY(c->execute(u"TRUNCATE tx_test"_s));
        {
            Transaction tx(*c);
            QVERIFY(tx.begin());
            QVERIFY(c->execute(u"INSERT INTO tx_test VALUES (1)"_s));
        } // no commit
        {
            Transaction tx(*c);
            QVERIFY(tx.begin());
            QVERIFY(c->execute(u"INSERT INTO tx_test VALUES (2)"_s));
            QVERIFY(tx.commit());
        }
        {
            // A failed statement aborts the transaction; PostgreSQL then answers COMMIT
            // with ROLLBACK, and commit() must say so rather than report success.
            Transaction tx(*c);
            QVERIFY(tx.begin());
            QVERIFY(c->execute(u"INSERT INTO tx_test VALUES (3)"_s));
            QVERIFY(!c->execute(u"INSERT INTO tx_test VALUES ('not a number')"_s));
            QVERIFY(!tx.commit());
        }
        auto q = c->query(u"SELECT array_agg(v)::text FROM tx_test"_s);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), u"{2}"_s);
    }

    void poolBoundsLeasesAndTimesOut()
    {
        auto db = pool(m_cluster.connectionOptions(), 1, false, 100);
        // A lease belongs to the thread that took it: the holder keeps it until told.
        QSemaphore taken;
        QSemaphore release;
        bool holderGotOne = false;
        std::thread holder([&] {
            {
                auto c = db->acquire();
                holderGotOne = c.has_value();
                taken.release();
                release.acquire();
            }
            db->releaseThreadConnection();
        });
        taken.acquire();
        QVERIFY(holderGotOne);
        QCOMPARE(db->stats().inUse, 1);

        // Another thread cannot get one: bounded wait, then Unavailable (-> 503).
        auto refused = db->acquire();
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind(), Error::Kind::Unavailable);
        QCOMPARE(db->stats().timeouts, 1);
        QCOMPARE(db->stats().waiting, 0);
        QVERIFY(db->stats().waitSeconds > 0);

        release.release();
        holder.join();
        QCOMPARE(db->stats().inUse, 0);
        auto now = db->acquire();
        QVERIFY(now);
    }

    void nestedAcquireSharesTheLease()
    {
        auto db = pool(m_cluster.connectionOptions(), 1, false, 100);
        auto outer = db->acquire();
        QVERIFY(outer);
        auto inner = db->acquire();
        QVERIFY2(inner, "a thread that holds a lease must not deadlock on its own pool");
        QCOMPARE(db->stats().inUse, 1);
    }

    void unreachableServerIsUnavailable()
    {
        ConnectionOptions o;
        o.host = u"127.0.0.1"_s;
        o.port = 1;
        o.database = u"x"_s;
        o.parameters.insert(u"connect_timeout"_s, u"2"_s);
        auto db = pool(o, 1, false);
        auto c = db->acquire();
        QVERIFY(!c);
        QCOMPARE(c.error().kind(), Error::Kind::Unavailable);
        QCOMPARE(db->stats().inUse, 0);
    }

    void probeReportsVersionAndRoundTrip()
    {
        auto probe = Database::probe(m_cluster.connectionOptions());
        QVERIFY2(probe, probe ? "" : qPrintable(probe.error().message()));
        QVERIFY(probe->serverVersion.startsWith(u"15"_s) || probe->serverVersion.at(0).isDigit());
        QVERIFY(probe->roundTripMs >= 0);

        ConnectionOptions bad = m_cluster.connectionOptions(u"no_such_database"_s);
        auto failed = Database::probe(bad);
        QVERIFY(!failed);
        QVERIFY2(failed.error().message().contains(u"no_such_database"_s), qPrintable(failed.error().message()));
    }

    // Health checks must not take a pool connection each time (the lab lost 20 % of
    // its pool to them): within the TTL every check is answered from the cache.
    void readinessProbeIsCached()
    {
        auto db = pool(m_cluster.connectionOptions(), 2, false);
        ReadinessProbe probe(*db, 60'000);
        for (int i = 0; i < 100; ++i)
            QVERIFY(probe.check().ready);
        QCOMPARE(probe.probesRun(), 1);
        QCOMPARE(db->stats().acquired, 1);

        ReadinessProbe fresh(*db, 0);
        QVERIFY(fresh.check().ready);
        QVERIFY(fresh.check().ready);
        QCOMPARE(fresh.probesRun(), 2);
    }

    void readinessProbeReportsADeadDatabase()
    {
        ConnectionOptions o;
        o.host = u"127.0.0.1"_s;
        o.port = 1;
        o.parameters.insert(u"connect_timeout"_s, u"2"_s);
        auto db = pool(o, 1, false);
        ReadinessProbe probe(*db, 60'000);
        const auto state = probe.check();
        QVERIFY(!state.ready);
        QVERIFY(!state.detail.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
