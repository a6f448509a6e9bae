#include "db/database.h"
#include "db/migrator.h"
#include "testcluster.h"

#include <QTest>
#include <QThread>

#include <thread>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::db;

class TestMigrator : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    int m_databases = 0;

    std::unique_ptr<Database> freshDatabase()
    {
        Database::Options o;
        o.connection = m_cluster.createDatabase(u"migrate_%1"_s.arg(++m_databases));
        o.poolSize = 4;
        return std::make_unique<Database>(o);
    }

    static QList<std::pair<int, QString>> recorded(Database &db)
    {
        QList<std::pair<int, QString>> rows;
        auto c = db.acquire();
        auto q = c->query(u"SELECT version, name FROM schema_migrations ORDER BY version"_s);
        if (!q.exec())
            return rows;
        while (q.next())
            rows.append({q.value(0).toInt(), q.value(1).toString()});
        return rows;
    }

private slots:
    void initTestCase() { QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString())); }

    void embeddedMigrationsAreWellFormed()
    {
        const auto migrations = Migrator::embedded();
        QVERIFY(!migrations.isEmpty());
        for (qsizetype i = 0; i < migrations.size(); ++i) {
            QCOMPARE(migrations.at(i).version, int(i + 1)); // no gaps, no duplicates
            QVERIFY(!migrations.at(i).sql.isEmpty());
        }
    }

    void emptyDatabaseToLatest()
    {
        auto db = freshDatabase();
        Migrator migrator(*db);
        QCOMPARE(*migrator.currentVersion(), 0);
        auto applied = migrator.migrate();
        QVERIFY2(applied, applied ? "" : qPrintable(applied.error().message()));
        QCOMPARE(applied->size(), Migrator::embedded().size());
        QCOMPARE(*migrator.currentVersion(), migrator.latestKnownVersion());

        // The core schema from DESIGN.md is there.
        auto c = db->acquire();
        for (const char *table : {"users", "categories", "products", "inventory_movements", "carts", "cart_items",
                                  "orders", "order_items", "order_events", "audit_log"}) {
            auto q = c->query(u"SELECT to_regclass(:t) IS NOT NULL"_s);
            q.bind(u":t"_s, QString::fromLatin1(table));
            QVERIFY(q.exec());
            QVERIFY(q.next());
            QVERIFY2(q.value(0).toBool(), table);
        }

        // A second run applies nothing.
        auto again = migrator.migrate();
        QVERIFY(again);
        QVERIFY(again->isEmpty());
    }

    void schemaEnforcesItsRules()
    {
        auto db = freshDatabase();
        QVERIFY(Migrator(*db).migrate());
        auto c = db->acquire();
        QVERIFY(c->execute(u"INSERT INTO products (sku, name, price_cents) VALUES ('SKU-1', 'A', 100)"_s));
        QVERIFY2(!c->execute(u"UPDATE products SET stock = -1"_s), "stock must never go negative");
        QVERIFY2(!c->execute(u"INSERT INTO products (sku, name, price_cents) VALUES ('SKU-1', 'B', 1)"_s), "sku is unique");
        QVERIFY(c->execute(u"INSERT INTO audit_log (action, target_type) VALUES ('test', 'x')"_s));
        QVERIFY2(!c->execute(u"DELETE FROM audit_log"_s), "the audit log is append-only");
        QVERIFY(c->execute(u"INSERT INTO users (email, password_hash) VALUES ('A@Example.com', 'x')"_s));
        QVERIFY2(!c->execute(u"INSERT INTO users (email, password_hash) VALUES ('a@example.COM', 'y')"_s),
                 "email is unique case-insensitively");
    }

    // Instances starting together on one fresh database: every migration is applied
    // and recorded exactly once.
    void concurrentStartAppliesEachFileOnce()
    {
        const ConnectionOptions options = m_cluster.createDatabase(u"migrate_concurrent"_s);
        constexpr int kInstances = 4;
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        std::atomic<int> appliedTotal{0};
        std::atomic<int> ready{0};
        for (int i = 0; i < kInstances; ++i) {
            threads.emplace_back([&] {
                Database::Options o;
                o.connection = options;
                o.poolSize = 1;
                Database db(o);
                Migrator migrator(db);
                ++ready;
                while (ready.load() < kInstances)
                    std::this_thread::yield();
                auto applied = migrator.migrate();
                if (!applied)
                    ++failures;
                else
                    appliedTotal += int(applied->size());
                db.releaseThreadConnection();
            });
        }
        for (auto &t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
        QCOMPARE(appliedTotal.load(), int(Migrator::embedded().size()));
        Database::Options o;
        o.connection = options;
        Database db(o);
        QCOMPARE(recorded(db).size(), Migrator::embedded().size());
    }

    void refusesANewerSchema()
    {
        auto db = freshDatabase();
        Migrator migrator(*db);
        QVERIFY(migrator.migrate());
        {
            auto c = db->acquire();
            QVERIFY(c->execute(u"INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')"_s));
        }
        auto result = migrator.migrate();
        QVERIFY(!result);
        QVERIFY2(result.error().message().contains(u"newer"_s), qPrintable(result.error().message()));
    }

    void failedMigrationLeavesNothingBehind()
    {
        auto db = freshDatabase();
        QList<Migration> list = Migrator::embedded();
        list.append(Migration{int(list.size()) + 1, u"%1_broken.sql"_s.arg(list.size() + 1, 4, 10, QChar(u'0')),
                              "CREATE TABLE half_done (id int); SELECT no_such_function();"});
        Migrator migrator(*db, list);
        auto result = migrator.migrate();
        QVERIFY(!result);
        QCOMPARE(*migrator.currentVersion(), list.size() - 1);
        auto c = db->acquire();
        auto q = c->query(u"SELECT to_regclass('half_done') IS NULL"_s);
        QVERIFY(q.exec());
        QVERIFY(q.next());
        QVERIFY2(q.value(0).toBool(), "a failed migration must roll back whole");
    }
};

QTEST_GUILESS_MAIN(TestMigrator)
#include "tst_migrator.moc"
