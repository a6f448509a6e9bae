// The catalog service and its SQL against a real PostgreSQL: search ranking,
// pagination edges, counts kept by triggers, optimistic locking, the stock ledger
// (also under concurrency), deletes, audit entries and the demo seeder.

#include "catalog/catalogservice.h"
#include "catalog/demoseed.h"
#include "db/database.h"
#include "db/migrator.h"
#include "testcluster.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QtConcurrent>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::catalog;

class TestCatalogService : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<CatalogService> m_service;
    Actor m_actor{std::nullopt, u"tester"_s, u"test"_s};
    int m_changes = 0;
    int m_skuCounter = 0;

    QString nextSku() { return u"T-%1"_s.arg(++m_skuCounter, 5, 10, QChar(u'0')); }

    Product create(const QString &name, qint64 cents, std::optional<qint64> category = {}, int stock = 10,
                   const QString &description = {})
    {
        ProductInput in;
        in.sku = nextSku();
        in.name = name;
        in.description = description;
        in.priceCents = cents;
        in.categoryId = category;
        in.initialStock = stock;
        auto p = m_service->createProduct(in, m_actor);
        if (!p)
            qFatal("create failed: %s", qPrintable(p.error().message()));
        return *p;
    }

    qint64 scalar(const QString &sql)
    {
        auto conn = m_db->acquire();
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    void exec(const QString &sql)
    {
        auto conn = m_db->acquire();
        QVERIFY(conn);
        auto ok = conn->execute(sql);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    // The trigger-kept counts must equal what COUNT(*) says, category by category.
    void verifyCounts()
    {
        const qint64 mismatches = scalar(
            u"SELECT count(*) FROM (SELECT coalesce(category_id, -1) AS k, count(*) AS n FROM products"
            " WHERE active GROUP BY 1) real FULL JOIN (SELECT category_id AS k, active_products AS n"
            " FROM catalog_counts WHERE active_products <> 0) kept USING (k)"
            " WHERE real.n IS DISTINCT FROM kept.n"_s);
        QCOMPARE(mismatches, qint64(0));
    }

    static QJsonObject data(const QByteArray &json) { return QJsonDocument::fromJson(json).object(); }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        db::Database::Options options;
        options.connection = m_cluster.createDatabase(u"catalog"_s);
        options.poolSize = 8;
        m_db = std::make_unique<db::Database>(options);
        auto migrated = db::Migrator(*m_db).migrate();
        QVERIFY2(migrated, migrated ? "" : qPrintable(migrated.error().message()));
        m_service = std::make_unique<CatalogService>(*m_db);
        m_service->setChangeHook([this] { ++m_changes; });
    }

    void cleanupTestCase()
    {
        m_service.reset();
        m_db.reset();
    }

    void init() { exec(u"TRUNCATE products, categories, inventory_movements, order_items, orders CASCADE"_s); }

    void seedDemoIsDeterministicAndAdditive()
    {
        auto first = seedDemo(*m_db, 200);
        QVERIFY2(first, first ? "" : qPrintable(first.error().message()));
        QCOMPARE(first->categoriesAdded, 8);
        QCOMPARE(first->productsAdded, qint64(200));
        QCOMPARE(scalar(u"SELECT count(*) FROM categories"_s), qint64(8));
        QCOMPARE(scalar(u"SELECT count(DISTINCT category_id) FROM products"_s), qint64(8));
        // Initial stock is in the ledger for every product that has any.
        QCOMPARE(scalar(u"SELECT count(*) FROM products p WHERE stock > 0 AND NOT EXISTS (SELECT 1 FROM"
                        " inventory_movements m WHERE m.product_id = p.id AND m.reason = 'initial'"
                        " AND m.delta = p.stock)"_s),
                 qint64(0));
        // Realistic data: prices vary, some products have no image, some are sold out.
        QVERIFY(scalar(u"SELECT count(DISTINCT price_cents) FROM products"_s) > 100);
        QVERIFY(scalar(u"SELECT count(*) FROM products WHERE image_url = ''"_s) > 0);
        QVERIFY(scalar(u"SELECT count(*) FROM products WHERE image_url LIKE '/assets/img/products/%.svg'"_s) > 150);

        auto again = seedDemo(*m_db, 250);
        QVERIFY(again);
        QCOMPARE(again->categoriesAdded, 0);
        QCOMPARE(again->productsAdded, qint64(50));
        QCOMPARE(again->productsTotal, qint64(250));
        verifyCounts();
    }

    void pagination_data()
    {
        QTest::addColumn<int>("page");
        QTest::addColumn<int>("perPage");
        QTest::addColumn<int>("expectedRows");
        QTest::addRow("first") << 1 << 20 << 20;
        QTest::addRow("one per page") << 1 << 1 << 1;
        QTest::addRow("all on one") << 1 << 100 << 45;
        QTest::addRow("last partial") << 3 << 20 << 5;
        QTest::addRow("just past the end") << 4 << 20 << 0;
        QTest::addRow("far past the end") << 100000 << 100 << 0;
    }

    void pagination()
    {
        QFETCH(int, page);
        QFETCH(int, perPage);
        QFETCH(int, expectedRows);
        for (int i = 0; i < 45; ++i)
            create(u"Product %1"_s.arg(i), 100 + i);
        const Product hidden = create(u"Hidden"_s, 1);
        QVERIFY(m_service->setActive(hidden.id, hidden.version, false, m_actor));

        auto json = m_service->publicProductPage({page, perPage, {}, Sort::Default});
        QVERIFY2(json, json ? "" : qPrintable(json.error().message()));
        const QJsonObject d = data(*json);
        const QJsonArray products = d.value(u"products"_s).toArray();
        QCOMPARE(products.size(), expectedRows);
        const QJsonObject pagination = d.value(u"pagination"_s).toObject();
        QCOMPARE(pagination.value(u"page"_s).toInt(), page);
        QCOMPARE(pagination.value(u"per_page"_s).toInt(), perPage);
        QCOMPARE(pagination.value(u"total"_s).toInt(), 45); // the inactive one is not counted
        // Pages are consecutive id ranges: the first id on the page is the
        // (page-1)*perPage+1-th active product.
        if (expectedRows > 0) {
            const qint64 firstId = scalar(u"SELECT id FROM products WHERE active ORDER BY id OFFSET %1 LIMIT 1"_s.arg(
                qint64(page - 1) * perPage));
            QCOMPARE(products.first().toObject().value(u"id"_s).toInteger(), firstId);
        }
    }

    void paginationRefusesBadBounds()
    {
        for (const auto &[page, perPage] : {std::pair{0, 20}, {1, 0}, {1, 101}, {-1, 20}}) {
            auto json = m_service->publicProductPage({page, perPage, {}, Sort::Default});
            QVERIFY(!json);
            QCOMPARE(json.error().kind(), Error::Kind::InvalidRequest);
        }
    }

    void sortsAndCategoryFilter()
    {
        auto books = m_service->createCategory({u"books"_s, u"Books"_s, {}, 0}, m_actor);
        QVERIFY(books);
        create(u"Cheap book"_s, 500, books->id);
        create(u"Dear book"_s, 5000, books->id);
        create(u"Middle book"_s, 1500, books->id);
        create(u"Not a book"_s, 1, std::nullopt);

        const auto prices = [&](Sort sort) {
            auto json = m_service->publicProductPage({1, 20, u"books"_s, sort});
            QList<qint64> out;
            for (const auto &p : data(*json).value(u"products"_s).toArray())
                out.append(p.toObject().value(u"price_cents"_s).toInteger());
            return out;
        };
        QCOMPARE(prices(Sort::PriceAsc), (QList<qint64>{500, 1500, 5000}));
        QCOMPARE(prices(Sort::PriceDesc), (QList<qint64>{5000, 1500, 500}));
        QCOMPARE(prices(Sort::Name), (QList<qint64>{500, 5000, 1500}));  // Cheap, Dear, Middle
        QCOMPARE(prices(Sort::Newest), (QList<qint64>{1500, 5000, 500})); // last created first
        auto page = m_service->publicProductPage({1, 20, u"books"_s, Sort::Default});
        QCOMPARE(data(*page).value(u"pagination"_s).toObject().value(u"total"_s).toInt(), 3);

        auto missing = m_service->publicProductPage({1, 20, u"no-such"_s, Sort::Default});
        QVERIFY(!missing);
        QCOMPARE(missing.error().kind(), Error::Kind::NotFound);
    }

    void publicJsonKeepsTheLabsFields()
    {
        auto cat = m_service->createCategory({u"electronics"_s, u"Electronics"_s, {}, 0}, m_actor);
        const Product p = create(u"Lab Laptop"_s, 99999, cat->id, 3, u"A laptop"_s);
        auto json = m_service->publicProduct(p.id);
        QVERIFY(json);
        // Exact decimal text from integer cents, no binary fraction.
        QVERIFY2(json->contains("\"price\":999.99,"), json->constData());
        const QJsonObject o = data(*json);
        for (const char *key : {"id", "name", "description", "price", "category", "stock", "image_url", "sku",
                                "price_cents", "currency", "active", "category_slug"})
            QVERIFY2(o.contains(QLatin1StringView(key)), key);
        QCOMPARE(o.value(u"category"_s).toString(), u"Electronics"_s);
        QCOMPARE(o.value(u"price_cents"_s).toInteger(), 99999);
        QCOMPARE(o.value(u"stock"_s).toInt(), 3);

        QVERIFY(m_service->setActive(p.id, p.version, false, m_actor));
        auto hidden = m_service->publicProduct(p.id);
        QVERIFY(!hidden);
        QCOMPARE(hidden.error().kind(), Error::Kind::NotFound);
    }

    void searchRanksNameMatchesFirst()
    {
        auto kitchen = m_service->createCategory({u"kitchen"_s, u"Kitchen"_s, {}, 0}, m_actor);
        const Product described = create(u"Countertop Mixer"_s, 100, kitchen->id, 1, u"Pairs well with a blender"_s);
        const Product named = create(u"Quantum Blender"_s, 100, std::nullopt, 1, u"Blends things"_s);
        const Product other = create(u"Garden Hose"_s, 100);
        create(u"Hidden Blender"_s, 100);
        exec(u"UPDATE products SET active = false WHERE name = 'Hidden Blender'"_s);

        const auto ids = [&](const QString &q) {
            auto json = m_service->publicSearch(q);
            if (!json)
                qFatal("search failed: %s", qPrintable(json.error().message()));
            QList<qint64> out;
            for (const auto &p : QJsonDocument::fromJson(*json).array())
                out.append(p.toObject().value(u"id"_s).toInteger());
            return out;
        };
        QCOMPARE(ids(u"blender"_s), (QList<qint64>{named.id, described.id}));
        QCOMPARE(ids(u"quant"_s), (QList<qint64>{named.id}));       // word prefix
        QCOMPARE(ids(u"qu"_s), (QList<qint64>{named.id}));          // short: name prefix
        QCOMPARE(ids(u"KITCHEN"_s), (QList<qint64>{described.id})); // the category's name
        QCOMPARE(ids(u"hose"_s), (QList<qint64>{other.id}));
        QVERIFY(ids(u"zzzz nothing"_s).isEmpty());
        // Metacharacters are data, not syntax.
        QVERIFY(ids(u"%"_s).isEmpty());
        QVERIFY(ids(u"_"_s).isEmpty());
        QVERIFY(ids(u"'; DROP TABLE products; --"_s).isEmpty());
        QVERIFY(ids(u"the"_s).isEmpty()); // only a stop word
        QCOMPARE(scalar(u"SELECT count(*) FROM products"_s), qint64(4));

        for (const QString &blank : {QString(), u"   "_s}) {
            auto none = m_service->publicSearch(blank);
            QVERIFY(!none);
            QCOMPARE(none.error().kind(), Error::Kind::InvalidRequest);
        }
    }

    void searchReturnsAtMostFifty()
    {
        for (int i = 0; i < 60; ++i)
            create(u"Widget %1"_s.arg(i), 100);
        auto json = m_service->publicSearch(u"widget"_s);
        QVERIFY(json);
        QCOMPARE(QJsonDocument::fromJson(*json).array().size(), 50);
    }

    void countsFollowEveryKindOfChange()
    {
        auto a = m_service->createCategory({u"alpha"_s, u"Alpha"_s, {}, 0}, m_actor);
        auto b = m_service->createCategory({u"beta"_s, u"Beta"_s, {}, 0}, m_actor);
        QVERIFY(a && b);
        Product p1 = create(u"One"_s, 1, a->id);
        create(u"Two"_s, 1, a->id);
        create(u"Three"_s, 1, b->id);
        create(u"Four"_s, 1);
        verifyCounts();
        // Move between categories, deactivate, reactivate, delete, bulk update.
        ProductInput in{p1.sku, p1.name, p1.description, p1.priceCents, p1.currency, b->id, {}, true, 0};
        auto moved = m_service->updateProduct(p1.id, p1.version, in, m_actor);
        QVERIFY(moved);
        verifyCounts();
        auto off = m_service->setActive(moved->id, moved->version, false, m_actor);
        QVERIFY(off);
        verifyCounts();
        QVERIFY(m_service->setActive(off->id, off->version, true, m_actor));
        verifyCounts();
        exec(u"UPDATE products SET active = NOT active"_s);
        verifyCounts();
        exec(u"UPDATE products SET stock = stock + 1"_s); // no count change, no upsert
        verifyCounts();
        QVERIFY(m_service->deleteCategory(a->id, a->version, m_actor));
        verifyCounts();
        exec(u"DELETE FROM products WHERE name = 'Two'"_s);
        verifyCounts();
        auto cats = m_service->categories();
        QVERIFY(cats);
        QCOMPARE(cats->size(), 1);
        QCOMPARE(cats->first().activeProducts, scalar(u"SELECT count(*) FROM products WHERE active AND category_id = %1"_s.arg(b->id)));
    }

    void optimisticLocking()
    {
        const Product p = create(u"Lamp"_s, 2500);
        QCOMPARE(p.version, 1);
        ProductInput in{p.sku, u"Desk Lamp"_s, p.description, 2600, p.currency, {}, {}, true, 0};
        auto first = m_service->updateProduct(p.id, 1, in, m_actor);
        QVERIFY(first);
        QCOMPARE(first->version, 2);
        QCOMPARE(first->name, u"Desk Lamp"_s);

        in.name = u"Stale write"_s;
        auto stale = m_service->updateProduct(p.id, 1, in, m_actor);
        QVERIFY(!stale);
        QCOMPARE(stale.error().kind(), Error::Kind::Conflict);
        auto stored = m_service->product(p.id);
        QCOMPARE(stored->name, u"Desk Lamp"_s);
        QCOMPARE(stored->version, 2);

        auto missing = m_service->updateProduct(p.id + 1000, 1, in, m_actor);
        QCOMPARE(missing.error().kind(), Error::Kind::NotFound);
        auto staleDelete = m_service->deleteProduct(p.id, 1, m_actor);
        QCOMPARE(staleDelete.error().kind(), Error::Kind::Conflict);
    }

    void concurrentEditsOneWins()
    {
        const Product p = create(u"Chair"_s, 4000);
        QList<QFuture<bool>> edits;
        for (int i = 0; i < 6; ++i) {
            edits.append(QtConcurrent::run([this, p, i] {
                ProductInput in{p.sku, u"Chair %1"_s.arg(i), {}, 4000, p.currency, {}, {}, true, 0};
                auto r = m_service->updateProduct(p.id, p.version, in, m_actor);
                if (!r && r.error().kind() != Error::Kind::Conflict)
                    qWarning() << "unexpected" << r.error().message();
                return r.has_value();
            }));
        }
        int winners = 0;
        for (auto &f : edits)
            winners += f.result() ? 1 : 0;
        QCOMPARE(winners, 1);
        QCOMPARE(m_service->product(p.id)->version, 2);
    }

    void stockLedger()
    {
        const Product p = create(u"Mug"_s, 900, std::nullopt, 5);
        auto up = m_service->adjustStock(p.id, 7, u"restock"_s, u"supplier delivery"_s, m_actor);
        QVERIFY(up);
        QCOMPARE(up->stock, 12);
        QCOMPARE(up->version, p.version); // stock moves do not collide with open edits
        auto down = m_service->adjustStock(p.id, -2, u"damage"_s, u"dropped"_s, m_actor);
        QCOMPARE(down->stock, 10);

        auto tooMany = m_service->adjustStock(p.id, -11, u"adjustment"_s, {}, m_actor);
        QVERIFY(!tooMany);
        QCOMPARE(tooMany.error().kind(), Error::Kind::Validation);
        QCOMPARE(tooMany.error().fields().first().field, u"delta"_s);
        QCOMPARE(m_service->product(p.id)->stock, 10);
        for (const auto &[delta, reason] : {std::pair{0, u"restock"_s}, {1, u"sale"_s}, {1, u"whim"_s}}) {
            auto bad = m_service->adjustStock(p.id, delta, reason, {}, m_actor);
            QVERIFY(!bad);
            QCOMPARE(bad.error().kind(), Error::Kind::Validation);
        }
        auto missing = m_service->adjustStock(p.id + 1000, 1, u"restock"_s, {}, m_actor);
        QCOMPARE(missing.error().kind(), Error::Kind::NotFound);

        auto ledger = m_service->movements(p.id);
        QVERIFY(ledger);
        QCOMPARE(ledger->size(), 3); // newest first
        QCOMPARE(ledger->at(0).delta, -2);
        QCOMPARE(ledger->at(0).stockAfter, 10);
        QCOMPARE(ledger->at(0).reason, u"damage"_s);
        QCOMPARE(ledger->at(0).note, u"dropped"_s);
        QCOMPARE(ledger->at(0).actor, u"tester"_s);
        QCOMPARE(ledger->at(1).delta, 7);
        QCOMPARE(ledger->at(1).stockAfter, 12);
        QCOMPARE(ledger->at(2).reason, u"initial"_s);
        QCOMPARE(ledger->at(2).delta, 5);
    }

    void concurrentRemovalsNeverGoBelowZero()
    {
        const Product p = create(u"Last units"_s, 100, std::nullopt, 10);
        QList<QFuture<bool>> takes;
        for (int i = 0; i < 24; ++i)
            takes.append(QtConcurrent::run([this, id = p.id] {
                return m_service->adjustStock(id, -1, u"adjustment"_s, {}, m_actor).has_value();
            }));
        int taken = 0;
        for (auto &f : takes)
            taken += f.result() ? 1 : 0;
        QCOMPARE(taken, 10);
        QCOMPARE(m_service->product(p.id)->stock, 0);
        QCOMPARE(scalar(u"SELECT count(*) FROM inventory_movements WHERE product_id = %1 AND delta = -1"_s.arg(p.id)),
                 qint64(10));
        QCOMPARE(scalar(u"SELECT min(stock_after) FROM inventory_movements WHERE product_id = %1"_s.arg(p.id)),
                 qint64(0));
    }

    void validationNamesTheFields()
    {
        ProductInput in;
        in.sku = u"bad sku"_s;
        in.name = QString(201, u'x');
        in.priceCents = -1;
        in.currency = u"usd"_s;
        in.imageUrl = u"javascript:alert(1)"_s;
        in.initialStock = -1;
        auto r = m_service->createProduct(in, m_actor);
        QVERIFY(!r);
        QCOMPARE(r.error().kind(), Error::Kind::Validation);
        QStringList fields;
        for (const auto &f : r.error().fields())
            fields.append(f.field);
        fields.sort();
        QCOMPARE(fields, (QStringList{u"currency"_s, u"image_url"_s, u"name"_s, u"price"_s, u"sku"_s, u"stock"_s}));

        const Product p = create(u"Original"_s, 100);
        ProductInput dup;
        dup.sku = p.sku;
        dup.name = u"Copy"_s;
        auto duplicate = m_service->createProduct(dup, m_actor);
        QVERIFY(!duplicate);
        QCOMPARE(duplicate.error().fields().first().field, u"sku"_s);
        dup.sku = nextSku();
        dup.categoryId = 987654;
        auto noCategory = m_service->createProduct(dup, m_actor);
        QVERIFY(!noCategory);
        QCOMPARE(noCategory.error().fields().first().field, u"category_id"_s);

        for (const QString &ok : {u"/assets/x.svg"_s, u"https://cdn.example.com/a.png"_s, QString()}) {
            in = ProductInput{nextSku(), u"Fine"_s, {}, 1, u"USD"_s, {}, ok, true, 0};
            QVERIFY2(CatalogService::validate(in), qPrintable(ok));
        }
        for (const QString &bad : {u"//evil.example/x.png"_s, u"data:image/png;base64,AA"_s, u"/a b.png"_s}) {
            in = ProductInput{nextSku(), u"Fine"_s, {}, 1, u"USD"_s, {}, bad, true, 0};
            QVERIFY2(!CatalogService::validate(in), qPrintable(bad));
        }
    }

    void deleteOnlyWithoutOrders()
    {
        const Product sold = create(u"Sold once"_s, 100);
        const Product unsold = create(u"Never sold"_s, 100);
        exec(u"INSERT INTO users (email, password_hash) VALUES ('buyer@example.com', 'x')"
             " ON CONFLICT DO NOTHING"_s);
        exec(u"WITH o AS (INSERT INTO orders (user_id, subtotal_cents, total_cents, email)"
             " SELECT id, 100, 100, email FROM users WHERE email = 'buyer@example.com' RETURNING id)"
             " INSERT INTO order_items (order_id, product_id, sku, name, unit_price_cents, quantity,"
             " line_total_cents) SELECT o.id, %1, 'X', 'Sold once', 100, 1, 100 FROM o"_s.arg(sold.id));
        auto refused = m_service->deleteProduct(sold.id, sold.version, m_actor);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind(), Error::Kind::Conflict);
        QCOMPARE(refused.error().code(), u"PRODUCT_HAS_ORDERS"_s);
        QVERIFY(m_service->product(sold.id));

        QVERIFY(m_service->deleteProduct(unsold.id, unsold.version, m_actor));
        QCOMPARE(m_service->product(unsold.id).error().kind(), Error::Kind::NotFound);
        verifyCounts();
    }

    void categoriesCrud()
    {
        auto c = m_service->createCategory({u"home-garden"_s, u"Home & Garden"_s, u"desc"_s, 3}, m_actor);
        QVERIFY(c);
        QCOMPARE(c->version, 1);
        auto dup = m_service->createCategory({u"home-garden"_s, u"Other"_s, {}, 0}, m_actor);
        QVERIFY(!dup);
        QCOMPARE(dup.error().fields().first().field, u"slug"_s);
        for (const QString &slug : {u"Home"_s, u"home_garden"_s, u"-home"_s, u"home--x"_s, QString()})
            QVERIFY2(!CatalogService::validate(CategoryInput{slug, u"X"_s, {}, 0}), qPrintable(slug));

        auto renamed = m_service->updateCategory(c->id, 1, {u"home"_s, u"Home"_s, {}, 1}, m_actor);
        QVERIFY(renamed);
        QCOMPARE(renamed->version, 2);
        auto stale = m_service->updateCategory(c->id, 1, {u"home"_s, u"Stale"_s, {}, 1}, m_actor);
        QCOMPARE(stale.error().kind(), Error::Kind::Conflict);

        const Product p = create(u"Pot"_s, 100, c->id);
        QVERIFY(m_service->deleteCategory(c->id, renamed->version, m_actor));
        QVERIFY(!m_service->product(p.id)->categoryId.has_value());
        QVERIFY(m_service->categories()->isEmpty());
    }

    void everyWriteIsAuditedAndSignalled()
    {
        const qint64 before = scalar(u"SELECT coalesce(max(id), 0) FROM audit_log"_s);
        const int changesBefore = m_changes;
        auto c = m_service->createCategory({u"audited"_s, u"Audited"_s, {}, 0}, m_actor);
        Product p = create(u"Audited product"_s, 100, c->id);
        ProductInput in{p.sku, u"Renamed"_s, {}, 200, p.currency, c->id, {}, true, 0};
        p = *m_service->updateProduct(p.id, p.version, in, m_actor);
        QVERIFY(m_service->adjustStock(p.id, 3, u"restock"_s, {}, m_actor));
        p = *m_service->setActive(p.id, p.version, false, m_actor);
        QVERIFY(m_service->deleteProduct(p.id, p.version, m_actor));
        QCOMPARE(m_changes - changesBefore, 6);

        auto conn = m_db->acquire();
        auto q = conn->query(u"SELECT action, actor_label, source, before IS NOT NULL, after IS NOT NULL"
                             " FROM audit_log WHERE id > :id ORDER BY id"_s);
        q.bind(u":id"_s, before);
        QVERIFY(q.exec());
        QStringList actions;
        while (q.next()) {
            actions.append(q.value(0).toString());
            QCOMPARE(q.value(1).toString(), u"tester"_s);
            QCOMPARE(q.value(2).toString(), u"test"_s);
        }
        QCOMPARE(actions, (QStringList{u"category.create"_s, u"product.create"_s, u"product.update"_s,
                                       u"product.stock_adjust"_s, u"product.deactivate"_s, u"product.delete"_s}));
        // The update's before/after hold the two names.
        auto diff = conn->query(u"SELECT before->>'name', after->>'name' FROM audit_log"
                                " WHERE id > :id AND action = 'product.update'"_s);
        diff.bind(u":id"_s, before);
        QVERIFY(diff.exec() && diff.next());
        QCOMPARE(diff.value(0).toString(), u"Audited product"_s);
        QCOMPARE(diff.value(1).toString(), u"Renamed"_s);
        // Append-only.
        QVERIFY(!conn->execute(u"DELETE FROM audit_log"_s));
    }

    void adminListingFiltersAndPages()
    {
        auto cat = m_service->createCategory({u"tools"_s, u"Tools"_s, {}, 0}, m_actor);
        for (int i = 0; i < 30; ++i)
            create(u"Hammer %1"_s.arg(i), 100 + i, i % 2 ? std::optional<qint64>(cat->id) : std::nullopt, i);
        const Product off = create(u"Retired saw"_s, 1, cat->id);
        QVERIFY(m_service->setActive(off.id, off.version, false, m_actor));

        ProductFilter f;
        f.limit = 10;
        auto first = m_service->products(f);
        QVERIFY(first);
        QCOMPARE(first->products.size(), 10);
        QCOMPARE(first->total, qint64(31));
        f.offset = 30;
        auto last = m_service->products(f);
        QCOMPARE(last->products.size(), 1);
        QCOMPARE(last->total, qint64(-1)); // later pages are not counted

        ProductFilter active;
        active.includeInactive = false;
        active.categoryId = cat->id;
        QCOMPARE(m_service->products(active)->total, qint64(15));
        ProductFilter none;
        none.uncategorised = true;
        QCOMPARE(m_service->products(none)->total, qint64(15));
        ProductFilter low;
        low.lowStockOnly = true;
        low.lowStockThreshold = 4;
        QCOMPARE(m_service->products(low)->total, qint64(5));
        ProductFilter search;
        search.search = u"saw"_s;
        QCOMPARE(m_service->products(search)->products.first().id, off.id);
        search.search = off.sku.left(4).toLower(); // SKU prefix, any case
        QCOMPARE(m_service->products(search)->total, qint64(31));
        search.search = u"100%"_s;
        QCOMPARE(m_service->products(search)->total, qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestCatalogService)
#include "tst_catalogservice.moc"
