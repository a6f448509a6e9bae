// The Products view's model on a real catalog (PostgreSQL, migrations, CatalogService):
// lazy pages that load only when asked, filters, refresh keeping the selection, stale
// replies dropped, server and client sorting, roles; QAbstractItemModelTester in Fatal
// mode watches throughout.

#include "catalog/catalogservice.h"
#include "db/database.h"
#include "db/migrator.h"
#include "productmodel.h"
#include "testcluster.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QHeaderView>
#include <QPalette>
#include <QScrollBar>
#include <QSet>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QThreadPool>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace shop;

namespace {

constexpr int kBulk = 1000;
// The bulk rows plus MUG-BLUE, HOSE-25 and LAMP-OLD.
constexpr int kTotal = kBulk + 3;

} // namespace

class TestProductModel : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<catalog::CatalogService> m_service;
    const Actor m_actor{std::nullopt, u"tst_productmodel"_s, u"test"_s};
    qint64 m_kitchen = 0;
    qint64 m_garden = 0;
    qint64 m_mug = 0;
    qint64 m_lamp = 0;

    catalog::Product create(const QString &sku, const QString &name, qint64 cents,
        std::optional<qint64> category, int stock, bool active = true)
    {
        catalog::ProductInput in;
        in.sku = sku;
        in.name = name;
        in.priceCents = cents;
        in.categoryId = category;
        in.initialStock = stock;
        in.active = active;
        auto product = m_service->createProduct(in, m_actor);
        if (!product)
            qFatal("cannot create %s: %s", qPrintable(sku), qPrintable(product.error().message()));
        return *product;
    }

    // Loads every page the way a view scrolling to the end would.
    static void loadAll(ProductTableModel &model)
    {
        while (model.canFetchMore({})) {
            model.fetchMore({});
            QTRY_VERIFY_WITH_TIMEOUT(!model.loading(), 10000);
        }
    }

    static QList<qint64> ids(const ProductTableModel &model)
    {
        QList<qint64> out;
        for (int row = 0; row < model.rowCount(); ++row)
            out.append(model.product(row).id);
        return out;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        db::Database::Options options;
        options.connection = m_cluster.createDatabase(u"ui_productmodel"_s);
        options.poolSize = 4;
        m_database = std::make_unique<db::Database>(options);
        auto applied = db::Migrator(*m_database).migrate();
        QVERIFY2(applied, applied ? "" : qPrintable(applied.error().message()));
        m_service = std::make_unique<catalog::CatalogService>(*m_database);

        auto kitchen = m_service->createCategory({u"kitchen"_s, u"Kitchen"_s, {}, 0}, m_actor);
        QVERIFY2(kitchen, kitchen ? "" : qPrintable(kitchen.error().message()));
        m_kitchen = kitchen->id;
        auto garden = m_service->createCategory({u"garden"_s, u"Garden"_s, {}, 1}, m_actor);
        QVERIFY(garden);
        m_garden = garden->id;

        // A thousand rows in one statement: what an import leaves behind. Even ones in
        // Kitchen, odd ones uncategorised; stock cycles 0..19.
        {
            auto conn = m_database->acquire();
            QVERIFY(conn);
            auto bulk = conn->query(
                u"INSERT INTO products (sku, name, price_cents, category_id, stock)"
                " SELECT 'BULK-' || lpad(i::text, 4, '0'), 'Bulk item ' || lpad(i::text, 4, '0'),"
                " 100 + i, CASE WHEN i % 2 = 0 THEN :kitchen::bigint END, i % 20"
                " FROM generate_series(1, :n) AS i"_s);
            bulk.bind(u":kitchen"_s, m_kitchen);
            bulk.bind(u":n"_s, kBulk);
            auto ok = bulk.exec();
            QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        }
        m_mug = create(u"MUG-BLUE"_s, u"Blue mug"_s, 1250, m_kitchen, 3).id;
        create(u"HOSE-25"_s, u"Garden hose 25 m"_s, 3999, m_garden, 40);
        m_lamp = create(u"LAMP-OLD"_s, u"Old lamp"_s, 2000, std::nullopt, 0, false).id;
    }

    void cleanupTestCase()
    {
        QThreadPool::globalInstance()->waitForDone();
        m_service.reset();
        m_database.reset();
    }

    void nothingLoadsUntilAsked()
    {
        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.sort(ProductTableModel::PriceColumn, Qt::DescendingOrder); // a view enabling sorting
        QCoreApplication::processEvents();
        QVERIFY(!model.loading());
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.canFetchMore({}));
    }

    void pagesLoadOnDemand()
    {
        ProductTableModel model(*m_service);
        QSignalSpy loading(&model, &ProductTableModel::loadingChanged);
        model.refresh();
        QVERIFY(model.loading()); // the query runs on a worker; the GUI thread goes on
        QTRY_VERIFY(!model.loading());
        QCOMPARE(loading.count(), 2);
        QCOMPARE(model.rowCount(), model.pageSize());
        QCOMPARE(model.totalCount(), qint64(kTotal));
        QVERIFY(model.canFetchMore({}));

        // Nobody asks: nothing more is loaded.
        QThreadPool::globalInstance()->waitForDone();
        QCoreApplication::processEvents();
        QCOMPARE(model.rowCount(), model.pageSize());
        QVERIFY(!model.loading());

        model.fetchMore({});
        QVERIFY(model.loading());
        QVERIFY(!model.canFetchMore({})); // one page at a time
        QTRY_COMPARE(model.rowCount(), 2 * model.pageSize());

        loadAll(model);
        QCOMPARE(model.rowCount(), kTotal);
        QVERIFY(!model.canFetchMore({}));
        const QList<qint64> all = ids(model);
        QCOMPARE(QSet<qint64>(all.cbegin(), all.cend()).size(), kTotal);
        // The service's default order (by id) survives the paging.
        QVERIFY(std::is_sorted(all.cbegin(), all.cend()));
    }

    void viewFetchesWhenScrolledToTheEnd()
    {
        ProductTableModel model(*m_service);
        model.setPageSize(50);
        QTableView view;
        view.resize(600, 300);
        view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
        view.setModel(&model);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        model.refresh();
        QTRY_COMPARE(model.rowCount(), 50);
        QTRY_VERIFY(!model.loading());
        // A viewport full of rows: the view asks for no more.
        QThreadPool::globalInstance()->waitForDone();
        QCoreApplication::processEvents();
        QCOMPARE(model.rowCount(), 50);

        view.scrollToBottom();
        QTRY_COMPARE(model.rowCount(), 100);
        view.scrollToBottom();
        QTRY_COMPARE(model.rowCount(), 150);
        QVERIFY(model.rowCount() < kTotal);
    }

    void testerWatchesPagingAndRefresh()
    {
        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.refresh();
        QTRY_VERIFY(!model.loading());
        loadAll(model);
        QCOMPARE(model.rowCount(), kTotal);
        model.refresh();
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.rowCount(), kTotal);
    }

    void filters_data()
    {
        QTest::addColumn<QString>("search");
        QTest::addColumn<int>("category"); // 0 none, 1 kitchen, 2 garden, -1 uncategorised
        QTest::addColumn<bool>("includeInactive");
        QTest::addColumn<bool>("lowStockOnly");
        QTest::addColumn<int>("expected");

        QTest::addRow("everything") << QString() << 0 << true << false << kTotal;
        QTest::addRow("active only") << QString() << 0 << false << false << kTotal - 1;
        QTest::addRow("sku prefix") << u"bulk-00"_s << 0 << true << false << 99;
        QTest::addRow("name words") << u"blue mug"_s << 0 << true << false << 1;
        QTest::addRow("kitchen") << QString() << 1 << true << false << kBulk / 2 + 1;
        QTest::addRow("garden") << QString() << 2 << true << false << 1;
        QTest::addRow("uncategorised") << QString() << -1 << true << false << kBulk / 2 + 1;
        QTest::addRow("uncategorised, active") << QString() << -1 << false << false << kBulk / 2;
        // Stock 0..5 of every 20 bulk rows, the mug (3) and the lamp (0).
        QTest::addRow("low stock") << QString() << 0 << true << true << kBulk / 20 * 6 + 2;
        QTest::addRow("nothing") << u"no such thing"_s << 0 << true << false << 0;
    }

    void filters()
    {
        QFETCH(QString, search);
        QFETCH(int, category);
        QFETCH(bool, includeInactive);
        QFETCH(bool, lowStockOnly);
        QFETCH(int, expected);

        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        catalog::ProductFilter filter;
        filter.search = search;
        if (category == 1)
            filter.categoryId = m_kitchen;
        else if (category == 2)
            filter.categoryId = m_garden;
        filter.uncategorised = category == -1;
        filter.includeInactive = includeInactive;
        filter.lowStockOnly = lowStockOnly;
        model.setFilter(filter);
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.totalCount(), qint64(expected));
        loadAll(model);
        QCOMPARE(model.rowCount(), expected);
        for (int row = 0; row < model.rowCount(); ++row) {
            const catalog::Product &p = model.product(row);
            if (category == 1)
                QCOMPARE(p.categoryId, std::optional(m_kitchen));
            if (category == -1)
                QVERIFY(!p.categoryId);
            if (!includeInactive)
                QVERIFY(p.active);
            if (lowStockOnly)
                QVERIFY(p.stock <= 5);
        }
    }

    void staleRepliesAreDropped()
    {
        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        QSignalSpy loaded(&model, &ProductTableModel::loaded);
        catalog::ProductFilter everything;
        model.setFilter(everything);
        catalog::ProductFilter mug;
        mug.search = u"MUG-BLUE"_s;
        model.setFilter(mug); // before the first answer is in
        QTRY_VERIFY(!model.loading());
        // Both queries have finished and every queued reply has been delivered: only
        // the second was applied, whichever came back first.
        QThreadPool::globalInstance()->waitForDone();
        QCoreApplication::processEvents();
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.product(0).sku, u"MUG-BLUE"_s);
        QCOMPARE(model.totalCount(), qint64(1));
    }

    void refreshKeepsFilterAndSelection()
    {
        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        catalog::ProductFilter kitchen;
        kitchen.categoryId = m_kitchen;
        model.setFilter(kitchen);
        QTRY_VERIFY(!model.loading());
        QVERIFY(model.rowCount() > 10);
        const QPersistentModelIndex selected = model.index(5, ProductTableModel::NameColumn);
        const qint64 selectedId = model.data(selected, ProductTableModel::ProductIdRole).toLongLong();
        const catalog::Product renamed = model.product(0);
        const catalog::Product removed = model.product(2);
        const qint64 total = model.totalCount();

        catalog::ProductInput in;
        in.sku = renamed.sku;
        in.name = u"Renamed bulk item"_s;
        in.priceCents = renamed.priceCents;
        in.categoryId = renamed.categoryId;
        QVERIFY(m_service->updateProduct(renamed.id, renamed.version, in, m_actor));
        QVERIFY(m_service->deleteProduct(removed.id, removed.version, m_actor));
        const qint64 added = create(u"KETTLE-1"_s, u"Kettle"_s, 1500, m_kitchen, 8).id;

        model.refresh();
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.filter().categoryId, std::optional(m_kitchen));
        QCOMPARE(model.totalCount(), total); // one gone, one new
        QCOMPARE(
            model.data(model.index(0, ProductTableModel::NameColumn)).toString(), u"Renamed bulk item"_s);
        QCOMPARE(model.rowOfProduct(removed.id), -1);
        // The selection followed its product up one row.
        QVERIFY(selected.isValid());
        QCOMPARE(selected.row(), 4);
        QCOMPARE(model.data(selected, ProductTableModel::ProductIdRole).toLongLong(), selectedId);
        // The new product sorts last by id: not among the first page.
        QCOMPARE(model.rowOfProduct(added), -1);
        loadAll(model);
        QVERIFY(model.rowOfProduct(added) >= 0);
    }

    void priceSortsOnTheServer()
    {
        QCOMPARE(ProductTableModel::serverSort(ProductTableModel::PriceColumn, Qt::DescendingOrder),
                 std::optional(catalog::Sort::PriceDesc));
        QVERIFY(!ProductTableModel::serverSort(ProductTableModel::StockColumn, Qt::AscendingOrder));
        QVERIFY(!ProductTableModel::serverSort(ProductTableModel::UpdatedColumn, Qt::DescendingOrder));

        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.refresh();
        QTRY_VERIFY(!model.loading());
        model.sort(ProductTableModel::PriceColumn, Qt::DescendingOrder);
        QTRY_VERIFY(!model.loading());
        // The most expensive of all products, not of the first page.
        QCOMPARE(model.product(0).sku, u"HOSE-25"_s);
        loadAll(model);
        QCOMPARE(model.rowCount(), int(model.totalCount()));
        for (int row = 1; row < model.rowCount(); ++row)
            QVERIFY(model.product(row - 1).priceCents >= model.product(row).priceCents);
    }

    void otherColumnsSortOverAllRows()
    {
        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.refresh();
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.rowCount(), model.pageSize());
        const QPersistentModelIndex first = model.index(0, 0);
        const qint64 firstId = model.product(0).id;

        model.sort(ProductTableModel::StockColumn, Qt::DescendingOrder);
        QTRY_VERIFY(!model.loading());
        // Sorting 200 of 1,000 rows would be a lie: all of them are loaded.
        QCOMPARE(model.rowCount(), int(model.totalCount()));
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(model.product(0).stock, 40);
        for (int row = 1; row < model.rowCount(); ++row)
            QVERIFY(model.product(row - 1).stock >= model.product(row).stock);
        QCOMPARE(model.data(first, ProductTableModel::ProductIdRole).toLongLong(), firstId);

        model.sort(ProductTableModel::SkuColumn, Qt::AscendingOrder);
        QTRY_VERIFY(!model.loading());
        for (int row = 1; row < model.rowCount(); ++row)
            QVERIFY(model.product(row - 1).sku < model.product(row).sku);

        // Back to the service's order: lazy again.
        model.sort(-1, Qt::AscendingOrder);
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.rowCount(), model.pageSize());
        QVERIFY(model.canFetchMore({}));
    }

    void rolesAndFormatting()
    {
        ProductTableModel model(*m_service);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        catalog::ProductFilter filter;
        filter.search = u"MUG-BLUE"_s;
        model.setFilter(filter);
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.rowCount(), 1);

        const auto at
            = [&](int column, int role = Qt::DisplayRole) { return model.index(0, column).data(role); };
        QCOMPARE(at(ProductTableModel::SkuColumn).toString(), u"MUG-BLUE"_s);
        QCOMPARE(at(ProductTableModel::NameColumn).toString(), u"Blue mug"_s);
        QCOMPARE(at(ProductTableModel::CategoryColumn).toString(), u"Kitchen"_s);
        QCOMPARE(at(ProductTableModel::PriceColumn).toString(), u"12.50 USD"_s);
        QCOMPARE(at(ProductTableModel::PriceColumn, Qt::EditRole).toLongLong(), qint64(1250));
        QCOMPARE(at(ProductTableModel::PriceColumn, Qt::EditRole).typeId(), QMetaType::LongLong);
        QCOMPARE(at(ProductTableModel::StockColumn, Qt::EditRole).toInt(), 3);
        QCOMPARE(at(ProductTableModel::StatusColumn).toString(), u"Active"_s);
        QVERIFY(at(ProductTableModel::UpdatedColumn, Qt::EditRole).toDateTime().isValid());
        QCOMPARE(at(ProductTableModel::SkuColumn, ProductTableModel::ProductIdRole).toLongLong(), m_mug);
        QCOMPARE(at(ProductTableModel::StockColumn, ProductTableModel::ProductIdRole).toLongLong(), m_mug);

        const auto alignment = [&](int column) {
            return at(column, Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignHorizontal_Mask;
        };
        QCOMPARE(alignment(ProductTableModel::PriceColumn), Qt::AlignRight);
        QCOMPARE(alignment(ProductTableModel::StockColumn), Qt::AlignRight);
        QCOMPARE(alignment(ProductTableModel::NameColumn), Qt::AlignLeft);

        // Three left: low stock is marked on the stock cell.
        QVERIFY(at(ProductTableModel::StockColumn, ProductTableModel::LowStockRole).toBool());
        QVERIFY(at(ProductTableModel::StockColumn, Qt::ForegroundRole).value<QColor>().isValid());
        QVERIFY(!at(ProductTableModel::StockColumn, Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY(!at(ProductTableModel::NameColumn, Qt::ForegroundRole).isValid());

        // Inactive: the whole row greyed.
        filter.search = u"LAMP-OLD"_s;
        model.setFilter(filter);
        QTRY_VERIFY(!model.loading());
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(at(ProductTableModel::StatusColumn).toString(), u"Inactive"_s);
        QCOMPARE(at(ProductTableModel::CategoryColumn, Qt::EditRole).toString(), QString());
        QVERIFY(!at(ProductTableModel::StatusColumn, ProductTableModel::ActiveRole).toBool());
        QCOMPARE(at(ProductTableModel::NameColumn, Qt::ForegroundRole).value<QColor>(),
                 QApplication::palette().color(QPalette::Disabled, QPalette::Text));

        QCOMPARE(model.headerData(ProductTableModel::PriceColumn, Qt::Horizontal).toString(), u"Price"_s);
        QCOMPARE(model.columnCount(), int(ProductTableModel::ColumnCount));
    }

    void failuresAreReported()
    {
        db::Database::Options options;
        options.connection = m_cluster.connectionOptions(u"no_such_database"_s);
        options.acquireTimeoutMs = 500;
        db::Database missing(options);
        catalog::CatalogService service(missing);
        {
            ProductTableModel model(service);
            QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
            QSignalSpy errors(&model, &ProductTableModel::errorOccurred);
            model.refresh();
            QTRY_COMPARE(errors.count(), 1);
            QVERIFY(!errors.first().first().toString().isEmpty());
            QVERIFY(!model.loading());
            QCOMPARE(model.rowCount(), 0);
            QVERIFY(!model.canFetchMore({}));
        }
        // The worker threads' connections to the missing database go with the pool.
        QThreadPool::globalInstance()->waitForDone();
    }
};

QTEST_MAIN(TestProductModel)
#include "tst_productmodel.moc"
