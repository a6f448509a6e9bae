// Two running shops on one database: a product edited through one instance's
// service (what the desktop Products view calls) is served fresh by the other within
// a second, through PostgreSQL LISTEN/NOTIFY; a lost LISTEN connection makes the
// cache step aside rather than serve stale pages.

#include "catalog/catalogcache.h"
#include "catalog/catalogevents.h"
#include "catalog/catalogservice.h"
#include "catalog/demoseed.h"
#include "db/database.h"
#include "http/server.h"
#include "rawhttp.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;
using test::rawRequest;

class TestCatalogSync : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QString m_url;
    std::unique_ptr<Runtime> m_a;
    std::unique_ptr<Runtime> m_b;
    catalog::Actor m_desktop{std::nullopt, u"desktop"_s, u"desktop"_s};

    std::unique_ptr<Runtime> startRuntime(bool cache = true)
    {
        Config config;
        config.dataDir = QDir::tempPath();
        config.databaseUrl = m_url;
        config.port = 0;
        config.ioThreads = 2;
        config.accessLog = false;
        config.catalogCache = cache;
        auto runtime = std::make_unique<Runtime>(config);
        auto ok = runtime->start();
        if (!ok)
            qFatal("runtime did not start: %s", qPrintable(ok.error().message()));
        return runtime;
    }

    static QJsonObject getData(const Runtime &runtime, const QByteArray &path)
    {
        auto r = rawRequest(runtime.http()->port(), "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
        if (!r || r->status != 200)
            return {};
        return QJsonDocument::fromJson(r->body).object().value(u"data"_s).toObject();
    }

    static QString nameOf(const Runtime &runtime, qint64 id)
    {
        return getData(runtime, "/api/products/" + QByteArray::number(id)).value(u"name"_s).toString();
    }

    void sql(const QString &statement)
    {
        auto conn = m_a->database()->acquire();
        QVERIFY(conn);
        auto ok = conn->execute(statement);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        m_url = m_cluster.createDatabase(u"sync"_s).toUri();
        m_a = startRuntime();
        m_b = startRuntime();
        QVERIFY(catalog::seedDemo(*m_a->database(), 40));
        QTRY_VERIFY(m_a->catalogCache()->serving());
        QTRY_VERIFY(m_b->catalogCache()->serving());
    }

    void cleanupTestCase()
    {
        m_b.reset();
        m_a.reset();
    }

    void desktopEditReachesTheOtherInstanceWithinASecond()
    {
        const qint64 id = 7;
        const QString before = nameOf(*m_b, id);
        QVERIFY(!before.isEmpty());
        QCOMPARE(nameOf(*m_b, id), before); // now cached on B
        const qint64 hits = m_b->catalogCache()->stats().hits;
        QCOMPARE(nameOf(*m_b, id), before);
        QVERIFY(m_b->catalogCache()->stats().hits > hits);

        // The desktop view's call, on instance A.
        auto product = m_a->catalog()->product(id);
        QVERIFY(product);
        catalog::ProductInput in{product->sku, u"Edited on the desktop"_s, product->description,
                                 product->priceCents, product->currency, product->categoryId,
                                 product->imageUrl, true, 0};
        QElapsedTimer timer;
        timer.start();
        QVERIFY(m_a->catalog()->updateProduct(id, product->version, in, m_desktop));
        // A dropped its own cache in the write; B hears the NOTIFY.
        QCOMPARE(nameOf(*m_a, id), u"Edited on the desktop"_s);
        QTRY_COMPARE_WITH_TIMEOUT(nameOf(*m_b, id), u"Edited on the desktop"_s, 1000);
        qInfo() << "visible on the second instance after" << timer.elapsed() << "ms";
    }

    void listAndCategoriesFollowToo()
    {
        const QJsonObject page = getData(*m_b, "/api/products?per_page=100");
        const int total = page.value(u"pagination"_s).toObject().value(u"total"_s).toInt();
        QCOMPARE(total, 40);
        sql(u"UPDATE products SET active = false WHERE id IN (1, 2, 3)"_s); // e.g. psql
        QTRY_COMPARE_WITH_TIMEOUT(
            getData(*m_b, "/api/products?per_page=100").value(u"pagination"_s).toObject().value(u"total"_s).toInt(),
            37, 1000);
        QTRY_COMPARE_WITH_TIMEOUT(getData(*m_a, "/api/products/1").isEmpty(), true, 1000);

        const auto firstCategoryName = [this] {
            auto r = rawRequest(m_b->http()->port(), "GET /api/categories HTTP/1.1\r\nHost: t\r\n\r\n");
            return QJsonDocument::fromJson(r->body).object().value(u"data"_s).toArray().first().toObject().value(
                u"name"_s).toString();
        };
        QCOMPARE(firstCategoryName(), u"Electronics"_s);
        sql(u"UPDATE categories SET name = 'Gadgets' WHERE slug = 'electronics'"_s);
        QTRY_COMPARE_WITH_TIMEOUT(firstCategoryName(), u"Gadgets"_s, 1000);
    }

    void changeSignalCarriesTheIds()
    {
        QSignalSpy spy(m_b->catalogEvents(), &catalog::CatalogEvents::changed);
        sql(u"UPDATE products SET price_cents = price_cents + 1 WHERE id IN (10, 11)"_s);
        QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), 2000);
        QCOMPARE(spy.first().at(0).toString(), u"products"_s);
        auto ids = spy.first().at(1).value<QList<qint64>>();
        std::sort(ids.begin(), ids.end());
        QCOMPARE(ids, (QList<qint64>{10, 11}));
    }

    // A sale changes only stock: the other instance drops just the pages that show the
    // product; the categories and other products' pages stay cached. Any other change
    // drops everything.
    void stockChangeDropsOnlyThePagesShowingTheProduct()
    {
        const auto stockOf = [](const Runtime &runtime, qint64 id) {
            return getData(runtime, "/api/products/" + QByteArray::number(id)).value(u"stock"_s).toInt();
        };
        const auto warm = [&] {
            for (int i = 0; i < 2; ++i) {
                stockOf(*m_b, 21);
                stockOf(*m_b, 22);
                getData(*m_b, "/api/products?per_page=5"); // ids 4..8 (1-3 are inactive)
                rawRequest(m_b->http()->port(), "GET /api/categories HTTP/1.1\r\nHost: t\r\n\r\n");
            }
        };
        warm();
        const int before = stockOf(*m_b, 21);
        QSignalSpy spy(m_b->catalogEvents(), &catalog::CatalogEvents::changed);
        sql(u"UPDATE products SET stock = stock + 5 WHERE id = 21"_s);
        QTRY_COMPARE_WITH_TIMEOUT(stockOf(*m_b, 21), before + 5, 1000);
        QCOMPARE(spy.first().at(0).toString(), u"products"_s); // the desktop still hears "products"
        QCOMPARE(spy.first().at(1).value<QList<qint64>>(), QList<qint64>{21});
        const auto s = m_b->catalogCache()->stats();
        stockOf(*m_b, 22);
        getData(*m_b, "/api/products?per_page=5");
        rawRequest(m_b->http()->port(), "GET /api/categories HTTP/1.1\r\nHost: t\r\n\r\n");
        QCOMPARE(m_b->catalogCache()->stats().hits, s.hits + 3);
        QCOMPARE(m_b->catalogCache()->stats().misses, s.misses);

        // A price change is not stock-only: every page goes.
        warm();
        sql(u"UPDATE products SET price_cents = price_cents + 1, stock = stock - 1 WHERE id = 21"_s);
        QTRY_COMPARE_WITH_TIMEOUT(stockOf(*m_b, 21), before + 4, 1000);
        const auto t = m_b->catalogCache()->stats();
        stockOf(*m_b, 22);
        QVERIFY(m_b->catalogCache()->stats().misses > t.misses);
        QCOMPARE(m_b->catalogCache()->stats().hits, t.hits);
    }

    void cacheStepsAsideWhileDeaf()
    {
        catalog::CatalogCache *cache = m_b->catalogCache();
        QVERIFY(cache->serving());
        const qint64 hits = cache->stats().hits;
        QVERIFY(!nameOf(*m_b, 20).isEmpty());
        QVERIFY(!nameOf(*m_b, 20).isEmpty());
        QVERIFY(cache->stats().hits > hits); // served from the cache before the cut
        // Cut B's LISTEN connection (and A's) from the server side.
        sql(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'shopdesk-listen'"_s);
        QTRY_VERIFY_WITH_TIMEOUT(!cache->serving(), 5000);
        // While deaf, reads go to PostgreSQL and so are never stale.
        sql(u"UPDATE products SET name = 'Changed while deaf' WHERE id = 20"_s);
        // (The listener may already be back; either way the answer is fresh.)
        QCOMPARE(nameOf(*m_b, 20), u"Changed while deaf"_s);
        QTRY_VERIFY_WITH_TIMEOUT(cache->serving(), 10000);
        QCOMPARE(nameOf(*m_b, 20), u"Changed while deaf"_s);
        sql(u"UPDATE products SET name = 'After reconnect' WHERE id = 20"_s);
        QTRY_COMPARE_WITH_TIMEOUT(nameOf(*m_b, 20), u"After reconnect"_s, 1000);
    }

    void uncachedInstanceIsAlwaysFresh()
    {
        auto c = startRuntime(false);
        QVERIFY(!c->catalogCache()->serving());
        QCOMPARE(nameOf(*c, 21), nameOf(*m_a, 21));
        sql(u"UPDATE products SET name = 'Uncached sees it' WHERE id = 21"_s);
        QCOMPARE(nameOf(*c, 21), u"Uncached sees it"_s);
        QCOMPARE(c->catalogCache()->stats().hits, qint64(0));
    }

    void adminApiNeedsAToken()
    {
        for (const QByteArray &request :
             {QByteArray("GET /api/admin/products HTTP/1.1\r\nHost: t\r\n\r\n"),
              QByteArray("POST /api/admin/products HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                         "Content-Length: 2\r\n\r\n{}"),
              QByteArray("DELETE /api/admin/products/1?version=1 HTTP/1.1\r\nHost: t\r\n\r\n"),
              QByteArray("POST /api/admin/products/1/stock HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer x\r\n"
                         "Content-Length: 2\r\n\r\n{}")}) {
            auto r = rawRequest(m_a->http()->port(), request);
            QVERIFY(r);
            QCOMPARE(r->status, 401);
            QVERIFY(r->header("www-authenticate").startsWith("Bearer"));
            const QString code =
                QJsonDocument::fromJson(r->body).object().value(u"error"_s).toObject().value(u"code"_s).toString();
            QVERIFY2(code == u"UNAUTHORIZED"_s || code == u"INVALID_TOKEN"_s, qPrintable(code));
        }
        QVERIFY(m_a->catalog()->product(1)); // nothing was deleted
    }

    void metricsShowTheCache()
    {
        auto r = rawRequest(m_b->http()->port(), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(r);
        for (const char *name : {"shopdesk_catalog_cache_hits_total", "shopdesk_catalog_cache_misses_total",
                                 "shopdesk_catalog_cache_invalidations_total", "shopdesk_catalog_cache_serving 1"})
            QVERIFY2(r->body.contains(name), name);
    }
};

QTEST_GUILESS_MAIN(TestCatalogSync)
#include "tst_catalogsync.moc"
