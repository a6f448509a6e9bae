// The Inventory page on a real Runtime, offscreen: available, reserved and on-hand
// figures against orders in several states, low-stock highlighting and its filter,
// a stock adjustment through the page writing the ledger, and the ledger's order link
// landing on the Orders page.

#include "catalog/catalogservice.h"
#include "db/database.h"
#include "inventorymodel.h"
#include "inventorypage.h"
#include "mainwindow.h"
#include "orders/cartservice.h"
#include "orders/inventory.h"
#include "orders/orderservice.h"
#include "orderspage.h"
#include "shop/runtime.h"
#include "stockadjustdialog.h"
#include "testcluster.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;

// Where screenshots go: SHOPDESK_SCREENSHOT_DIR for people to look at, else a
// temporary directory (the grabs and the PDF are still made and checked).
static QString screenshotDir()
{
    static QTemporaryDir fallback;
    const QString dir = qEnvironmentVariable("SHOPDESK_SCREENSHOT_DIR");
    return dir.isEmpty() ? fallback.path() : dir;
}

class TestInventoryPage : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QTemporaryDir m_dataDir;
    std::unique_ptr<Runtime> m_runtime;
    const Actor m_setup {std::nullopt, u"tst_inventorypage"_s, u"test"_s};
    auth::User m_admin;
    qint64 m_customer = 0;
    qint64 m_lamp = 0; // 20 in stock, then one unpaid order of 4 and a paid one of 2
    qint64 m_candle = 0; // 3 in stock: low
    qint64 m_vase = 0; // none left
    qint64 m_unpaid = 0;
    qint64 m_paid = 0;
    int m_keys = 0;

    qint64 product(const QString &sku, const QString &name, int stock)
    {
        catalog::ProductInput in;
        in.sku = sku;
        in.name = name;
        in.priceCents = 1500;
        in.initialStock = stock;
        auto p = m_runtime->catalog()->createProduct(in, m_setup);
        if (!p)
            qFatal("cannot create %s: %s", qPrintable(sku), qPrintable(p.error().message()));
        return p->id;
    }

    qint64 placeOrder(qint64 productId, int quantity)
    {
        auto cart = m_runtime->carts()->add(orders::CartOwner {m_customer, {}}, productId, quantity);
        if (!cart)
            qFatal("cart: %s", qPrintable(cart.error().message()));
        orders::CheckoutInput in;
        in.address = orders::Address {
            u"Dana Scully"_s, u"2 Elm Row"_s, {}, u"Annapolis"_s, {}, u"21401"_s, u"US"_s, {}};
        auto order = m_runtime->orders()->checkout(m_customer, in, u"inv-%1"_s.arg(++m_keys));
        if (!order)
            qFatal("checkout: %s", qPrintable(order.error().message()));
        return order->id;
    }

    QVariant scalar(const QString &sql, const QVariantMap &binds = {})
    {
        auto conn = m_runtime->database()->acquire();
        if (!conn)
            qFatal("no connection: %s", qPrintable(conn.error().message()));
        auto q = conn->query(sql);
        for (auto it = binds.cbegin(); it != binds.cend(); ++it)
            q.bind(it.key(), it.value());
        if (auto ok = q.exec(); !ok)
            qFatal("%s: %s", qPrintable(sql), qPrintable(ok.error().message()));
        return q.next() ? q.value(0) : QVariant();
    }

    std::unique_ptr<InventoryPage> openPage()
    {
        auto page = std::make_unique<InventoryPage>(
            *m_runtime->database(), *m_runtime->catalog(), m_runtime->catalogEvents());
        page->setActor(Actor {m_admin.id, m_admin.email, u"desktop"_s});
        page->resize(1200, 800);
        page->show();
        if (!QTest::qWaitForWindowExposed(page.get()))
            qWarning("page not exposed");
        return page;
    }

    static QString cell(const InventoryPage &page, qint64 productId, int column, int role = Qt::DisplayRole)
    {
        const int row = page.model()->rowOfProduct(productId);
        return row < 0 ? u"<not listed>"_s : page.model()->index(row, column).data(role).toString();
    }

    static bool waitLoaded(InventoryPage &page)
    {
        return QTest::qWaitFor([&] { return page.model()->rowCount() > 0 && !page.isBusy(); }, 10'000);
    }

private slots:
    void initTestCase()
    {
        // The threshold lives in QSettings: keep the tests' out of the user's.
        QStandardPaths::setTestModeEnabled(true);
        QSettings().remove(u"inventory"_s);
        QVERIFY(m_dataDir.isValid());
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = m_dataDir.path();
        config.configFile = m_dataDir.filePath(u"shopdesk.ini"_s);
        config.databaseUrl = m_cluster.createDatabase(u"ui_inventorypage"_s).toUri();
        config.port = 0;
        config.ioThreads = 1;
        config.workerThreads = 1;
        config.accessLog = false;
        config.bcryptCost = 10;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));

        auto admin = m_runtime->auth()->createUser(
            u"admin@shop.test"_s, u"correct horse battery"_s, u"admin"_s, m_setup);
        QVERIFY(admin);
        m_admin = *admin;
        auto customer = m_runtime->auth()->createUser(
            u"dana@example.org"_s, u"correct horse battery"_s, u"customer"_s, m_setup);
        QVERIFY(customer);
        m_customer = customer->id;

        m_lamp = product(u"LAMP-1"_s, u"Desk lamp"_s, 20);
        m_candle = product(u"CANDLE-3"_s, u"Beeswax candle"_s, 3);
        m_vase = product(u"VASE-0"_s, u"Glass vase"_s, 0);
        m_unpaid = placeOrder(m_lamp, 4);
        m_paid = placeOrder(m_lamp, 2);
        orders::TransitionInput paid;
        paid.action = orders::Action::MarkPaid;
        QVERIFY(m_runtime->orders()->transition(m_paid, paid, m_setup));
    }

    void cleanupTestCase()
    {
        QSettings().remove(u"inventory"_s);
        m_runtime.reset();
    }

    void serviceCountsReservedInUnpaidOrders()
    {
        orders::InventoryService service(*m_runtime->database());
        auto levels = service.levels({});
        QVERIFY2(levels, levels ? "" : qPrintable(levels.error().message()));
        QCOMPARE(levels->size(), 3);
        QCOMPARE(levels->at(0).sku, u"CANDLE-3"_s); // by SKU
        const orders::StockLevel lamp = levels->at(1);
        QCOMPARE(lamp.productId, m_lamp);
        QCOMPARE(lamp.available, 14); // 20 - 4 - 2
        QCOMPARE(lamp.reserved, 4); // only the unpaid order; the paid one ships
        QCOMPARE(lamp.reservingOrders, 1);
        QCOMPARE(lamp.onHand(), 18);

        orders::InventoryFilter low;
        low.lowStockOnly = true;
        low.lowStockThreshold = 3;
        levels = service.levels(low);
        QVERIFY(levels);
        QCOMPARE(levels->size(), 2); // the candle (3) and the vase (0)
        orders::InventoryFilter search;
        search.search = u"lamp"_s;
        levels = service.levels(search);
        QVERIFY(levels);
        QCOMPARE(levels->size(), 1);
        search.search = u"cand"_s; // SKU prefix, any case
        levels = service.levels(search);
        QVERIFY(levels);
        QCOMPARE(levels->size(), 1);
        search.search = u"50%_"_s; // LIKE wildcards are literal
        levels = service.levels(search);
        QVERIFY(levels);
        QCOMPARE(levels->size(), 0);
    }

    void pageShowsAvailableReservedOnHand()
    {
        auto page = openPage();
        QAbstractItemModelTester tester(
            page->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(
            page->view()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester ledgerTester(
            page->ledgerModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(waitLoaded(*page));
        QCOMPARE(page->model()->rowCount(), 3);
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::SkuColumn), u"LAMP-1"_s);
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::AvailableColumn), u"14"_s);
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::ReservedColumn), u"4"_s);
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::OnHandColumn), u"18"_s);
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::StatusColumn), u"In stock"_s);
        QCOMPARE(cell(*page, m_candle, InventoryTableModel::ReservedColumn), u"\u2014"_s);
        QCOMPARE(cell(*page, m_vase, InventoryTableModel::StatusColumn), u"Out of stock"_s);
        QVERIFY2(
            page->statusText().startsWith(u"3 products, 2 at or below 5"_s), qPrintable(page->statusText()));

        page->selectProduct(m_lamp);
        QVERIFY2(page->ledgerTitle().contains(u"14 available + 4 reserved = 18 on hand"_s),
            qPrintable(page->ledgerTitle()));

        // Sorting by a number sorts numbers (through the proxy).
        page->view()->sortByColumn(InventoryTableModel::AvailableColumn, Qt::DescendingOrder);
        QCOMPARE(page->view()->model()->index(0, 0).data().toString(), u"LAMP-1"_s);
        QCOMPARE(page->view()->model()->index(2, 0).data().toString(), u"VASE-0"_s);
    }

    void lowStockIsHighlighted()
    {
        auto page = openPage();
        QVERIFY(waitLoaded(*page));
        QCOMPARE(page->lowStockThreshold(), 5);
        const auto low = [&](qint64 id) {
            const int row = page->model()->rowOfProduct(id);
            return page->model()->index(row, 0).data(InventoryTableModel::LowStockRole).toBool();
        };
        QVERIFY(low(m_candle));
        QVERIFY(low(m_vase));
        QVERIFY(!low(m_lamp));
        // Highlighted: a tinted row and a coloured number.
        QVERIFY(page->model()
                    ->index(page->model()->rowOfProduct(m_candle), 1)
                    .data(Qt::BackgroundRole)
                    .isValid());
        QVERIFY(
            !page->model()->index(page->model()->rowOfProduct(m_lamp), 1).data(Qt::BackgroundRole).isValid());
        QVERIFY(page->model()
                    ->index(page->model()->rowOfProduct(m_candle), InventoryTableModel::AvailableColumn)
                    .data(Qt::ForegroundRole)
                    .isValid());

        // The threshold: the highlight follows at once, and it is remembered.
        QSignalSpy changed(page->model(), &QAbstractItemModel::dataChanged);
        page->findChild<QSpinBox *>(u"lowStockThreshold"_s)->setValue(2);
        QVERIFY(changed.count() >= 1);
        QVERIFY(!low(m_candle));
        QVERIFY(low(m_vase));
        QCOMPARE(QSettings().value(u"inventory/lowStockThreshold"_s).toInt(), 2);
        page->setLowStockThreshold(15);
        QVERIFY(low(m_lamp));

        // Low stock only: the server filters.
        page->findChild<QCheckBox *>(u"lowStockOnly"_s)->setChecked(true);
        QTRY_COMPARE(page->model()->rowCount(), 3);
        page->setLowStockThreshold(3);
        QTRY_COMPARE(page->model()->rowCount(), 2);
        QCOMPARE(page->model()->rowOfProduct(m_lamp), -1);
        page->findChild<QCheckBox *>(u"lowStockOnly"_s)->setChecked(false);
        QTRY_COMPARE(page->model()->rowCount(), 3);

        // A new page starts from the remembered threshold.
        auto again = openPage();
        QCOMPARE(again->lowStockThreshold(), 3);
        page->setLowStockThreshold(5);
    }

    void searchNarrowsTheList()
    {
        auto page = openPage();
        QVERIFY(waitLoaded(*page));
        page->findChild<QLineEdit *>(u"inventorySearch"_s)->setText(u"candle"_s);
        QTRY_COMPARE(page->model()->rowCount(), 1);
        QCOMPARE(page->model()->level(0).productId, m_candle);
        page->findChild<QLineEdit *>(u"inventorySearch"_s)->clear();
        QTRY_COMPARE(page->model()->rowCount(), 3);
    }

    void adjustingWritesTheLedger()
    {
        auto page = openPage();
        QVERIFY(waitLoaded(*page));
        auto *adjust = page->findChild<QAction *>(u"adjustInventoryAction"_s);
        QVERIFY(!adjust->isEnabled());
        page->selectProduct(m_candle);
        QVERIFY(adjust->isEnabled());
        QTRY_VERIFY(page->ledgerModel()->rowCount() == 1 && !page->isBusy()); // the initial count
        QCOMPARE(page->ledgerModel()->index(0, StockLedgerModel::ReasonColumn).data().toString(),
            u"Initial count"_s);

        adjust->trigger();
        StockAdjustDialog *dialog = page->stockDialog();
        QVERIFY(dialog);
        QTRY_VERIFY(!dialog->isLoading());
        QCOMPARE(dialog->currentStock(), 3);
        dialog->findChild<QSpinBox *>(u"deltaSpin"_s)->setValue(12);
        auto *reason = dialog->findChild<QComboBox *>(u"reasonCombo"_s);
        reason->setCurrentIndex(reason->findData(u"restock"_s));
        dialog->findChild<QLineEdit *>(u"noteEdit"_s)->setText(u"Delivery note 4711"_s);
        dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        QTRY_VERIFY(!page->stockDialog());
        QTRY_COMPARE(cell(*page, m_candle, InventoryTableModel::AvailableColumn), u"15"_s);
        QVERIFY2(page->messageText().contains(u"is now 15"_s), qPrintable(page->messageText()));

        // The ledger row, in the database and on the page.
        QCOMPARE(scalar(u"SELECT count(*) FROM inventory_movements WHERE product_id = :id AND delta = 12"
                        " AND stock_after = 15 AND reason = 'restock' AND note = 'Delivery note 4711'"
                        " AND actor_id = :actor"_s,
                     {{u":id"_s, m_candle}, {u":actor"_s, m_admin.id}})
                     .toLongLong(),
            1);
        QTRY_COMPARE(page->ledgerModel()->rowCount(), 2);
        const auto ledger
            = [&](int column) { return page->ledgerModel()->index(0, column).data().toString(); };
        QCOMPARE(ledger(StockLedgerModel::DeltaColumn), u"+12"_s);
        QCOMPARE(ledger(StockLedgerModel::StockAfterColumn), u"15"_s);
        QCOMPARE(ledger(StockLedgerModel::ReasonColumn), u"Restock (received)"_s);
        QCOMPARE(ledger(StockLedgerModel::NoteColumn), u"Delivery note 4711"_s);
        QCOMPARE(ledger(StockLedgerModel::ActorColumn), u"admin@shop.test"_s);
        QCOMPARE(ledger(StockLedgerModel::OrderColumn), QString());
        QVERIFY(!page->ledgerModel()->index(0, 0).data(StockLedgerModel::OrderIdRole).isValid());
    }

    void ledgerLinksTheOrderOfASale()
    {
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        window.resize(1300, 860);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *sidebar = window.findChild<QListWidget *>(u"sidebar"_s);
        QCOMPARE(sidebar->item(3)->text(), u"Inventory"_s);
        window.showPage(3);
        InventoryPage *page = window.inventoryPage();
        QVERIFY(page);
        QCOMPARE(page->actor().label, u"admin@shop.test"_s);
        QVERIFY(waitLoaded(*page));
        page->selectProduct(m_lamp);
        QTRY_COMPARE(page->ledgerModel()->rowCount(), 3); // initial, two sales
        QTRY_VERIFY(!page->isBusy());
        // Newest first: the paid order's sale, then the unpaid one's.
        const QModelIndex sale = page->ledgerModel()->index(1, StockLedgerModel::OrderColumn);
        QCOMPARE(page->ledgerModel()->index(1, StockLedgerModel::ReasonColumn).data().toString(), u"Sale"_s);
        QCOMPARE(page->ledgerModel()->index(1, StockLedgerModel::DeltaColumn).data().toString(), u"-4"_s);
        QCOMPARE(sale.data(StockLedgerModel::OrderIdRole).toLongLong(), m_unpaid);
        QCOMPARE(sale.data().toString(), u"SD-%1"_s.arg(m_unpaid, 6, 10, QLatin1Char('0')));
        QCOMPARE(page->ledgerModel()->index(1, StockLedgerModel::ActorColumn).data().toString(),
            u"dana@example.org"_s);
        QVERIFY(sale.data(Qt::FontRole).value<QFont>().underline());

        // Clicking the order number opens it on the Orders page.
        QSignalSpy requested(page, &InventoryPage::orderRequested);
        QTableView *ledger = page->ledgerView();
        const QRect cellRect = ledger->visualRect(sale);
        QVERIFY(!cellRect.isEmpty());
        QTest::mouseClick(ledger->viewport(), Qt::LeftButton, {}, cellRect.center());
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.first().first().toLongLong(), m_unpaid);
        OrdersPage *orders = window.ordersPage();
        QTRY_VERIFY(orders->isVisible());
        QTRY_VERIFY(orders->currentOrder() && orders->currentOrder()->id == m_unpaid);
        QCOMPARE(orders->currentOrder()->status, u"pending_payment"_s);

        // Or with the "Open order" action on the selected movement.
        window.showPage(3);
        auto *open = page->findChild<QAction *>(u"openLedgerOrderAction"_s);
        ledger->selectRow(2); // the initial count: no order
        QVERIFY(!open->isEnabled());
        ledger->selectRow(0);
        QVERIFY(open->isEnabled());
        open->trigger();
        QCOMPARE(requested.count(), 2);
        QCOMPARE(requested.last().first().toLongLong(), m_paid);
        QTRY_VERIFY(orders->currentOrder() && orders->currentOrder()->id == m_paid);
    }

    void followsOrdersAndStockChangesElsewhere()
    {
        auto page = openPage();
        QVERIFY(waitLoaded(*page));
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::ReservedColumn), u"4"_s);
        // The unpaid order is cancelled elsewhere: its lamps are available again.
        orders::TransitionInput cancel;
        cancel.action = orders::Action::Cancel;
        QVERIFY(m_runtime->orders()->transition(m_unpaid, cancel, m_setup));
        QTRY_COMPARE_WITH_TIMEOUT(cell(*page, m_lamp, InventoryTableModel::AvailableColumn), u"18"_s, 10'000);
        QTRY_COMPARE(cell(*page, m_lamp, InventoryTableModel::ReservedColumn), u"\u2014"_s);
        QCOMPARE(cell(*page, m_lamp, InventoryTableModel::OnHandColumn), u"18"_s);
        // A stock change from the catalog (another admin, the API).
        QVERIFY(m_runtime->catalog()->adjustStock(m_vase, 7, u"restock"_s, {}, m_setup));
        QTRY_COMPARE_WITH_TIMEOUT(cell(*page, m_vase, InventoryTableModel::AvailableColumn), u"7"_s, 10'000);
    }

    void screenshots()
    {
        const QString dir = screenshotDir();
        // A few more products and an unpaid order, for a list that looks like a shop's.
        const qint64 mug = product(u"MUG-BLUE"_s, u"Blue mug"_s, 40);
        product(u"TEE-RED-XL"_s, u"Red T-shirt XL"_s, 4);
        product(u"POSTER-A2"_s, u"Poster A2, matte"_s, 120);
        placeOrder(mug, 5);
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(3);
        InventoryPage *page = window.inventoryPage();
        QVERIFY(waitLoaded(*page));
        QTRY_COMPARE(page->model()->rowCount(), 6);
        page->selectProduct(m_lamp);
        QTRY_VERIFY(page->ledgerModel()->rowCount() >= 3);
        QTRY_VERIFY(!page->isBusy());
        QTest::qWait(100);
        QVERIFY(window.grab().save(QDir(dir).filePath(u"inventory-page.png"_s)));
    }
};

QTEST_MAIN(TestInventoryPage)
#include "tst_inventorypage.moc"
