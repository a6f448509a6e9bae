// The Orders page on a real Runtime, offscreen: status counts and search against the
// data, the detail pane, the fulfilment actions driven through the page's buttons and
// dialogs (each checked in orders, order_events and audit_log), refunds, a cancel that
// puts stock back, the packing slip as PDF, and orders placed elsewhere showing up.

#include "catalog/catalogservice.h"
#include "db/database.h"
#include "mainwindow.h"
#include "ordermodel.h"
#include "orders/cartservice.h"
#include "orders/orderservice.h"
#include "orderspage.h"
#include "packingslip.h"
#include "productspage.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

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

class TestOrdersPage : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QTemporaryDir m_dataDir;
    std::unique_ptr<Runtime> m_runtime;
    const Actor m_setup {std::nullopt, u"tst_orderspage"_s, u"test"_s};
    Actor m_adminActor;
    auth::User m_admin;
    qint64 m_ann = 0;
    qint64 m_bob = 0;
    qint64 m_cat = 0;
    qint64 m_mug = 0;
    qint64 m_tee = 0;
    // The initial orders, one per state.
    qint64 m_pending = 0;
    qint64 m_paid = 0;
    qint64 m_shipped = 0;
    qint64 m_cancelled = 0;
    int m_keys = 0;

    qint64 userId(const QString &email, const QString &role = u"customer"_s)
    {
        auto user = m_runtime->auth()->createUser(email, u"correct horse battery"_s, role, m_setup);
        if (!user)
            qFatal("cannot create %s: %s", qPrintable(email), qPrintable(user.error().message()));
        if (role == "admin"_L1)
            m_admin = *user;
        return user->id;
    }

    qint64 product(const QString &sku, const QString &name, qint64 cents, int stock)
    {
        catalog::ProductInput in;
        in.sku = sku;
        in.name = name;
        in.priceCents = cents;
        in.initialStock = stock;
        auto p = m_runtime->catalog()->createProduct(in, m_setup);
        if (!p)
            qFatal("cannot create %s: %s", qPrintable(sku), qPrintable(p.error().message()));
        return p->id;
    }

    // Checks out `lines` (product, quantity) for `user`; returns the order.
    orders::Order placeOrder(qint64 user, const QList<std::pair<qint64, int>> &lines, const QString &name,
        const QString &note = QString())
    {
        for (const auto &[productId, quantity] : lines) {
            auto cart = m_runtime->carts()->add(orders::CartOwner {user, {}}, productId, quantity);
            if (!cart)
                qFatal("cart: %s", qPrintable(cart.error().message()));
        }
        orders::CheckoutInput in;
        in.address = orders::Address {name, u"1 Main Street"_s, u"Flat 2"_s, u"Springfield"_s, u"OR"_s,
            u"97403"_s, u"US"_s, u"+1 555 0100"_s};
        in.customerNote = note;
        auto order = m_runtime->orders()->checkout(user, in, u"key-%1"_s.arg(++m_keys));
        if (!order)
            qFatal("checkout: %s", qPrintable(order.error().message()));
        return *order;
    }

    void act(qint64 orderId, orders::Action action)
    {
        orders::TransitionInput in;
        in.action = action;
        if (action == orders::Action::Ship) {
            in.carrier = u"UPS"_s;
            in.trackingNumber = u"1Z0001"_s;
        }
        auto ok = m_runtime->orders()->transition(orderId, in, m_setup);
        if (!ok)
            qFatal("transition: %s", qPrintable(ok.error().message()));
    }

    // One value from the database.
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

    QString orderStatus(qint64 id)
    {
        return scalar(u"SELECT status FROM orders WHERE id = :id"_s, {{u":id"_s, id}}).toString();
    }

    int stockOf(qint64 productId)
    {
        return scalar(u"SELECT stock FROM products WHERE id = :id"_s, {{u":id"_s, productId}}).toInt();
    }

    // audit_log rows for the order with this action, written by the page's actor.
    qint64 auditRows(qint64 orderId, const QString &action)
    {
        return scalar(u"SELECT count(*) FROM audit_log WHERE target_type = 'order' AND target_id = :id"
                      " AND action = :action AND actor_id = :actor AND actor_label = 'admin@shop.test'"_s,
            {{u":id"_s, QString::number(orderId)}, {u":action"_s, action}, {u":actor"_s, m_admin.id}})
            .toLongLong();
    }

    qint64 eventRows(qint64 orderId, const QString &toStatus)
    {
        return scalar(u"SELECT count(*) FROM order_events WHERE order_id = :id AND to_status = :to"
                      " AND actor_id = :actor"_s,
            {{u":id"_s, orderId}, {u":to"_s, toStatus}, {u":actor"_s, m_admin.id}})
            .toLongLong();
    }

    std::unique_ptr<OrdersPage> openPage()
    {
        auto page = std::make_unique<OrdersPage>(*m_runtime->orders(), m_runtime->catalogEvents());
        page->setActor(m_adminActor);
        page->resize(1300, 860);
        page->show();
        if (!QTest::qWaitForWindowExposed(page.get()))
            qWarning("page not exposed");
        return page;
    }

    // Shows `id` in the detail pane and waits for it.
    static bool showOrder(OrdersPage &page, qint64 id)
    {
        page.showOrder(id);
        return QTest::qWaitFor(
            [&] { return !page.isBusy() && page.currentOrder() && page.currentOrder()->id == id; }, 10'000);
    }

    static bool enabled(const OrdersPage &page, orders::Action action)
    {
        return page.action(action)->isEnabled();
    }

    static QPushButton *okButton(QDialog *dialog)
    {
        auto *buttons = dialog->findChild<QDialogButtonBox *>();
        return buttons ? buttons->button(QDialogButtonBox::Ok) : nullptr;
    }

    static void screenshot(QWidget &widget, const QString &name)
    {
        QVERIFY(widget.grab().save(QDir(screenshotDir()).filePath(name)));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dataDir.isValid());
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = m_dataDir.path();
        config.configFile = m_dataDir.filePath(u"shopdesk.ini"_s);
        config.databaseUrl = m_cluster.createDatabase(u"ui_orderspage"_s).toUri();
        config.port = 0;
        config.ioThreads = 1;
        config.workerThreads = 1;
        config.accessLog = false;
        config.bcryptCost = 10;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));

        userId(u"admin@shop.test"_s, u"admin"_s);
        m_adminActor = Actor {m_admin.id, m_admin.email, u"desktop"_s};
        m_ann = userId(u"ann@shop.test"_s);
        m_bob = userId(u"bob@example.org"_s);
        m_cat = userId(u"cat@example.org"_s);
        m_mug = product(u"MUG-BLUE"_s, u"Blue mug"_s, 1250, 40);
        m_tee = product(u"TEE-RED"_s, u"Red T-shirt <XL> & co"_s, 2000, 20);

        m_pending = placeOrder(m_ann, {{m_mug, 2}}, u"Ann Buyer"_s, u"Please gift wrap"_s).id;
        m_paid = placeOrder(m_bob, {{m_tee, 1}, {m_mug, 1}}, u"Bob Stone"_s).id;
        act(m_paid, orders::Action::MarkPaid);
        m_shipped = placeOrder(m_cat, {{m_tee, 1}}, u"Cat Miller"_s).id;
        act(m_shipped, orders::Action::MarkPaid);
        act(m_shipped, orders::Action::Pack);
        act(m_shipped, orders::Action::Ship);
        m_cancelled = placeOrder(m_ann, {{m_mug, 1}}, u"Ann Buyer"_s).id;
        act(m_cancelled, orders::Action::Cancel);
    }

    void cleanupTestCase()
    {
        ProductsPage::clearQueuedAnswers();
        m_runtime.reset();
    }

    void moneyIsExactAndLocalised()
    {
        struct Restore
        {
            ~Restore() { QLocale::setDefault(QLocale::c()); }
        } restore;
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        QCOMPARE(formatMoney(123450, u"USD"_s), u"$1,234.50"_s);
        QCOMPARE(formatMoney(5, u"USD"_s), u"$0.05"_s);
        QCOMPARE(formatMoney(-1999, u"USD"_s), u"-$19.99"_s);
        QCOMPARE(formatMoney(1999, u"EUR"_s), u"EUR 19.99"_s);
        // 2^53 + 1 cents: a double would lose the last cent.
        QCOMPARE(formatMoney(9007199254740993, u"USD"_s), u"$90,071,992,547,409.93"_s);
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(formatMoney(123450, u"EUR"_s), u"1.234,50\u00a0\u20ac"_s);
        QCOMPARE(formatMoney(-123450, u"EUR"_s), u"-1.234,50\u00a0\u20ac"_s);
        QCOMPARE(formatMoney(2500, u"USD"_s), u"USD 25,00"_s);
        QLocale::setDefault(QLocale::c());
        QCOMPARE(formatMoney(2500, u"USD"_s), u"USD 25.00"_s);
    }

    void statusCountsMatchTheData()
    {
        auto page = openPage();
        QAbstractItemModelTester tester(
            page->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(
            page->view()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE(page->model()->rowCount(), 4);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(page->statusText(), u"4 orders"_s);
        QCOMPARE(page->statusCount(QString()), 4);
        for (const QString &status : orders::allStatuses()) {
            const qint64 stored = scalar(u"SELECT count(*) FROM orders WHERE status = :s"_s,
                {{u":s"_s, status}}).toLongLong();
            QCOMPARE(page->statusCount(status), stored);
        }
        QCOMPARE(page->statusCount(u"pending_payment"_s), 1);
        QCOMPARE(page->statusCount(u"shipped"_s), 1);
        QCOMPARE(page->statusCount(u"packed"_s), 0);
        // The list shows them with their counts.
        auto *statusList = page->findChild<QTreeWidget *>(u"statusList"_s);
        QVERIFY(statusList);
        QCOMPARE(statusList->topLevelItem(0)->text(1), u"4"_s);

        // Newest first; the row says what the list needs.
        const OrderTableModel *model = page->model();
        QCOMPARE(model->order(0).id, m_cancelled);
        const int row = model->rowOfOrder(m_paid);
        const auto cell = [&](int column) { return model->index(row, column).data().toString(); };
        QCOMPARE(cell(OrderTableModel::NumberColumn), u"SD-%1"_s.arg(m_paid, 6, 10, QLatin1Char('0')));
        QCOMPARE(cell(OrderTableModel::CustomerColumn), u"Bob Stone"_s);
        QCOMPARE(cell(OrderTableModel::EmailColumn), u"bob@example.org"_s);
        QCOMPARE(cell(OrderTableModel::ItemsColumn), u"2"_s);
        QVERIFY2(cell(OrderTableModel::TotalColumn).contains(u"32.50"_s),
            qPrintable(cell(OrderTableModel::TotalColumn)));
        QCOMPARE(cell(OrderTableModel::StatusColumn), u"Paid"_s);
        QCOMPARE(cell(OrderTableModel::PaymentColumn), u"Paid"_s);
        QCOMPARE(model->index(row, 0).data(OrderTableModel::StatusRole).toString(), u"paid"_s);

        // One status.
        page->setStatusFilter(u"shipped"_s);
        QTRY_COMPARE(page->model()->rowCount(), 1);
        QCOMPARE(page->model()->order(0).id, m_shipped);
        QTRY_COMPARE(page->statusText(), u"1 order"_s);
        QCOMPARE(page->statusCount(QString()), 4); // the other counts stay
        page->setStatusFilter(QString());
        QTRY_COMPARE(page->model()->rowCount(), 4);

        // Sorting by total through the header (the proxy), cheapest first.
        page->view()->sortByColumn(OrderTableModel::TotalColumn, Qt::AscendingOrder);
        const QAbstractItemModel *shown = page->view()->model();
        QCOMPARE(shown->index(0, 0).data(OrderTableModel::OrderIdRole).toLongLong(), m_cancelled);
        QCOMPARE(shown->index(3, 0).data(OrderTableModel::OrderIdRole).toLongLong(), m_paid);
    }

    void searchByNumberAndEmail()
    {
        auto page = openPage();
        QTRY_COMPARE(page->model()->rowCount(), 4);
        page->setSearchText(u"SD-%1"_s.arg(m_shipped, 6, 10, QLatin1Char('0')));
        QTRY_COMPARE(page->model()->rowCount(), 1);
        QCOMPARE(page->model()->order(0).id, m_shipped);
        QTRY_COMPARE(page->statusCount(QString()), 1);
        QCOMPARE(page->statusCount(u"shipped"_s), 1);
        QCOMPARE(page->statusCount(u"paid"_s), 0);

        page->setSearchText(QString::number(m_paid));
        QTRY_VERIFY(page->model()->rowCount() >= 1 && page->model()->rowOfOrder(m_paid) >= 0);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(page->model()->rowOfOrder(m_pending), -1);

        // Part of the email; typing goes through the search box (debounced).
        page->findChild<QLineEdit *>(u"orderSearch"_s)->setText(u"ANN@shop"_s);
        QTRY_COMPARE(page->model()->rowCount(), 2);
        QVERIFY(page->model()->rowOfOrder(m_pending) >= 0);
        QVERIFY(page->model()->rowOfOrder(m_cancelled) >= 0);
        QTRY_COMPARE(page->statusCount(QString()), 2);
        QCOMPARE(page->statusCount(u"cancelled"_s), 1);

        page->findChild<QLineEdit *>(u"orderSearch"_s)->setText(u"nobody@"_s);
        QTRY_COMPARE(page->model()->rowCount(), 0);
        QTRY_COMPARE(page->statusText(), u"0 orders"_s);
    }

    void selectingAnOrderShowsItsDetail()
    {
        auto page = openPage();
        QTRY_COMPARE(page->model()->rowCount(), 4);
        QVERIFY(!page->currentOrder());
        QVERIFY(!page->findChild<QAction *>(u"exportSlipAction"_s)->isEnabled());
        page->selectOrder(m_paid);
        QTRY_VERIFY(page->currentOrder() && page->currentOrder()->id == m_paid);

        QTreeWidget *lines = page->linesView();
        QCOMPARE(lines->topLevelItemCount(), 2);
        QCOMPARE(lines->topLevelItem(0)->text(0), u"MUG-BLUE"_s); // by line id: the checkout's product order
        QCOMPARE(lines->topLevelItem(1)->text(1), u"Red T-shirt <XL> & co"_s);
        QCOMPARE(lines->topLevelItem(1)->text(2), u"1"_s);
        QVERIFY(lines->topLevelItem(1)->text(4).contains(u"20.00"_s));

        const QString detail = page->detailText();
        QVERIFY2(detail.contains(u"SD-%1"_s.arg(m_paid, 6, 10, QLatin1Char('0'))), qPrintable(detail));
        QVERIFY2(detail.contains(u"Subtotal"_s) && detail.contains(u"32.50"_s), qPrintable(detail));
        QVERIFY2(detail.contains(u"Bob Stone\n1 Main Street\nFlat 2\n97403 Springfield\nOR\n"_s),
            qPrintable(detail));
        QVERIFY2(detail.contains(u"Not shipped yet"_s), qPrintable(detail));
        QCOMPARE(page->paymentsView()->topLevelItemCount(), 1);
        QCOMPARE(page->paymentsView()->topLevelItem(0)->text(1), u"Payment (manual)"_s);
        QVERIFY(page->paymentsView()->topLevelItem(0)->text(2).contains(u"32.50"_s));

        const QString timeline = page->timelineText();
        QVERIFY2(timeline.contains(u"Placed"_s) && timeline.contains(u"Pending payment \u2192 Paid"_s),
            qPrintable(timeline));
        QVERIFY2(timeline.contains(u"Payment of USD 32.50 received"_s), qPrintable(timeline));
        QVERIFY2(timeline.contains(u"bob@example.org"_s), qPrintable(timeline)); // who placed it

        // The customer's note and the shipment of another order.
        page->selectOrder(m_pending);
        QTRY_VERIFY(page->currentOrder() && page->currentOrder()->id == m_pending);
        QVERIFY2(page->detailText().contains(u"Please gift wrap"_s), qPrintable(page->detailText()));
        page->selectOrder(m_shipped);
        QTRY_VERIFY(page->currentOrder() && page->currentOrder()->id == m_shipped);
        QVERIFY2(
            page->detailText().contains(u"UPS, tracking number 1Z0001"_s), qPrintable(page->detailText()));
        QVERIFY(page->findChild<QAction *>(u"exportSlipAction"_s)->isEnabled());
    }

    void illegalActionsAreDisabled_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QStringList>("enabledActions");
        QTest::addRow("pending") << u"pending"_s << QStringList {u"markPaidAction"_s, u"cancelOrderAction"_s};
        QTest::addRow("paid") << u"paid"_s
                              << QStringList {u"packAction"_s, u"cancelOrderAction"_s, u"refundAction"_s};
        QTest::addRow("shipped") << u"shipped"_s << QStringList {u"deliverAction"_s, u"refundAction"_s};
        QTest::addRow("cancelled") << u"cancelled"_s << QStringList {};
    }

    void illegalActionsAreDisabled()
    {
        QFETCH(QString, which);
        QFETCH(QStringList, enabledActions);
        const qint64 id = which == "pending"_L1 ? m_pending
            : which == "paid"_L1                ? m_paid
            : which == "shipped"_L1             ? m_shipped
                                                : m_cancelled;
        auto page = openPage();
        QVERIFY(showOrder(*page, id));
        for (const QString &name : {u"markPaidAction"_s, u"packAction"_s, u"shipAction"_s, u"deliverAction"_s,
                 u"cancelOrderAction"_s, u"refundAction"_s}) {
            auto *action = page->findChild<QAction *>(name);
            QVERIFY2(action, qPrintable(name));
            QVERIFY2(action->isEnabled() == enabledActions.contains(name), qPrintable(name));
        }
        // A disabled action does nothing even when triggered (e.g. by its shortcut).
        if (which == "cancelled"_L1) {
            page->markPaid();
            page->pack();
            QVERIFY(!page->isBusy());
            QCOMPARE(orderStatus(id), u"cancelled"_s);
        }
    }

    void fulfilmentThroughTheButtons()
    {
        const orders::Order order = placeOrder(m_bob, {{m_tee, 2}}, u"Bob Stone"_s);
        auto page = openPage();
        QVERIFY(showOrder(*page, order.id));
        // showOrder searched for it.
        QCOMPARE(page->model()->rowCount(), 1);
        QCOMPARE(page->statusFilter(), QString());

        // Mark paid: asks first; "no" changes nothing.
        ProductsPage::setNextAnswer(QMessageBox::Cancel);
        page->action(orders::Action::MarkPaid)->trigger();
        QCOMPARE(ProductsPage::queuedAnswers(), 0);
        QVERIFY(ProductsPage::lastQuestion().contains(order.number()));
        QVERIFY(!page->isBusy());
        QCOMPARE(orderStatus(order.id), u"pending_payment"_s);
        ProductsPage::setNextAnswer(QMessageBox::Yes);
        page->action(orders::Action::MarkPaid)->trigger();
        QTRY_COMPARE(page->currentOrder()->status, u"paid"_s);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(orderStatus(order.id), u"paid"_s);
        QCOMPARE(eventRows(order.id, u"paid"_s), 1);
        QCOMPARE(auditRows(order.id, u"order.mark_paid"_s), 1);
        QCOMPARE(page->messageText(), u"%1 is paid."_s.arg(order.number()));
        QVERIFY(!enabled(*page, orders::Action::MarkPaid));
        QVERIFY(enabled(*page, orders::Action::Pack));
        QCOMPARE(page->model()->order(0).status, u"paid"_s); // the row follows

        page->action(orders::Action::Pack)->trigger();
        QTRY_COMPARE(page->currentOrder()->status, u"packed"_s);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(orderStatus(order.id), u"packed"_s);
        QCOMPARE(eventRows(order.id, u"packed"_s), 1);
        QCOMPARE(auditRows(order.id, u"order.pack"_s), 1);

        // Ship: the dialog wants a carrier and a tracking number.
        QVERIFY(enabled(*page, orders::Action::Ship));
        page->action(orders::Action::Ship)->trigger();
        QDialog *dialog = page->actionDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->objectName(), u"shipDialog"_s);
        auto *carrier = dialog->findChild<QComboBox *>(u"carrierCombo"_s);
        auto *tracking = dialog->findChild<QLineEdit *>(u"trackingEdit"_s);
        QVERIFY(carrier && tracking);
        QVERIFY(!okButton(dialog)->isEnabled());
        carrier->setEditText(u"DHL Express"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        tracking->setText(u"JD014600006281230704"_s);
        QVERIFY(okButton(dialog)->isEnabled());
        okButton(dialog)->click();
        QTRY_COMPARE(page->currentOrder()->status, u"shipped"_s);
        QTRY_VERIFY(!page->isBusy());
        QTRY_VERIFY(!page->actionDialog());
        QCOMPARE(orderStatus(order.id), u"shipped"_s);
        QCOMPARE(scalar(u"SELECT carrier || ' ' || tracking_number FROM orders WHERE id = :id"_s,
                     {{u":id"_s, order.id}})
                     .toString(),
            u"DHL Express JD014600006281230704"_s);
        QCOMPARE(eventRows(order.id, u"shipped"_s), 1);
        QCOMPARE(auditRows(order.id, u"order.ship"_s), 1);
        QVERIFY2(page->detailText().contains(u"DHL Express, tracking number JD014600006281230704"_s),
            qPrintable(page->detailText()));
        QVERIFY(page->timelineText().contains(u"Packed \u2192 Shipped"_s));
        QVERIFY(!enabled(*page, orders::Action::Cancel)); // too late to cancel

        page->action(orders::Action::Deliver)->trigger();
        QTRY_COMPARE(page->currentOrder()->status, u"delivered"_s);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(orderStatus(order.id), u"delivered"_s);
        QCOMPARE(eventRows(order.id, u"delivered"_s), 1);
        QCOMPARE(auditRows(order.id, u"order.deliver"_s), 1);
        for (orders::Action a : {orders::Action::MarkPaid, orders::Action::Pack, orders::Action::Ship,
                 orders::Action::Deliver, orders::Action::Cancel})
            QVERIFY(!enabled(*page, a));
        QVERIFY(page->refundAction()->isEnabled());

        // The whole story, oldest first.
        const QString timeline = page->timelineText();
        const qsizetype placed = timeline.indexOf(u"Placed"_s);
        const qsizetype paid = timeline.indexOf(u"Pending payment \u2192 Paid"_s);
        const qsizetype delivered = timeline.indexOf(u"Shipped \u2192 Delivered"_s);
        QVERIFY2(placed >= 0 && placed < paid && paid < delivered, qPrintable(timeline));
        QVERIFY(timeline.contains(u"admin@shop.test"_s));
    }

    void refundPartThenTheRest()
    {
        const orders::Order order = placeOrder(m_cat, {{m_mug, 2}}, u"Cat Miller"_s); // 25.00
        act(order.id, orders::Action::MarkPaid);
        auto page = openPage();
        QVERIFY(showOrder(*page, order.id));
        QVERIFY(page->refundAction()->isEnabled());

        page->refundAction()->trigger();
        QDialog *dialog = page->actionDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->objectName(), u"refundDialog"_s);
        auto *amount = dialog->findChild<QLineEdit *>(u"refundAmountEdit"_s);
        auto *reason = dialog->findChild<QLineEdit *>(u"refundReasonEdit"_s);
        auto *error = dialog->findChild<QLabel *>(u"refundError"_s);
        QVERIFY(amount && reason && error);
        QCOMPARE(amount->text(), u"25.00"_s); // what is left to refund
        QVERIFY(!okButton(dialog)->isEnabled()); // no reason yet
        reason->setText(u"Scratched handle"_s);
        QVERIFY(okButton(dialog)->isEnabled());
        amount->setText(u"25.01"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        QVERIFY(error->isVisibleTo(dialog));
        QVERIFY2(error->text().contains(u"25.00"_s), qPrintable(error->text()));
        amount->setText(u"0"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        amount->setText(u"abc"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        amount->setText(u"5.5"_s);
        QVERIFY(okButton(dialog)->isEnabled());
        QVERIFY(!error->isVisibleTo(dialog));
        okButton(dialog)->click();
        QTRY_COMPARE(page->currentOrder()->refundedCents, 550);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(page->currentOrder()->paymentStatus, u"partially_refunded"_s);
        QCOMPARE(page->currentOrder()->status, u"paid"_s);
        QCOMPARE(scalar(u"SELECT refunded_cents FROM orders WHERE id = :id"_s, {{u":id"_s, order.id}})
                     .toLongLong(),
            550);
        QCOMPARE(auditRows(order.id, u"order.refund"_s), 1);
        QCOMPARE(page->paymentsView()->topLevelItemCount(), 2);
        QCOMPARE(page->paymentsView()->topLevelItem(1)->text(1), u"Refund (manual)"_s);
        QCOMPARE(page->paymentsView()->topLevelItem(1)->text(3), u"admin@shop.test: Scratched handle"_s);
        QVERIFY2(page->detailText().contains(u"Refunded"_s), qPrintable(page->detailText()));
        QVERIFY(page->refundAction()->isEnabled());
        const int stockBefore = stockOf(m_mug);

        // The rest: the default is what is left.
        page->refundAction()->trigger();
        dialog = page->actionDialog();
        QVERIFY(dialog);
        amount = dialog->findChild<QLineEdit *>(u"refundAmountEdit"_s);
        QCOMPARE(amount->text(), u"19.50"_s);
        dialog->findChild<QLineEdit *>(u"refundReasonEdit"_s)->setText(u"Customer withdrew"_s);
        okButton(dialog)->click();
        QTRY_COMPARE(page->currentOrder()->status, u"refunded"_s);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(page->currentOrder()->paymentStatus, u"refunded"_s);
        QCOMPARE(page->currentOrder()->refundedCents, 2500);
        QCOMPARE(orderStatus(order.id), u"refunded"_s);
        QCOMPARE(auditRows(order.id, u"order.refund"_s), 2);
        QVERIFY(!page->refundAction()->isEnabled());
        for (orders::Action a : {orders::Action::Pack, orders::Action::Cancel})
            QVERIFY(!enabled(*page, a));
        // Refunded in full before it shipped: the mugs are back on the shelf.
        QCOMPARE(stockOf(m_mug), stockBefore + 2);
    }

    void cancelPutsTheStockBack()
    {
        const int before = stockOf(m_mug);
        const orders::Order order = placeOrder(m_ann, {{m_mug, 3}}, u"Ann Buyer"_s);
        QCOMPARE(stockOf(m_mug), before - 3);
        auto page = openPage();
        QVERIFY(showOrder(*page, order.id));

        page->action(orders::Action::Cancel)->trigger();
        QDialog *dialog = page->actionDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->objectName(), u"cancelDialog"_s);
        QVERIFY2(
            dialog->findChild<QLabel *>(u"cancelExplanation"_s)->text().contains(u"Its 3 items go back"_s),
            qPrintable(dialog->findChild<QLabel *>(u"cancelExplanation"_s)->text()));
        QVERIFY(!okButton(dialog)->isEnabled()); // a reason first
        // "Keep order" changes nothing.
        dialog->reject();
        QTRY_VERIFY(!page->actionDialog());
        QCOMPARE(orderStatus(order.id), u"pending_payment"_s);

        page->action(orders::Action::Cancel)->trigger();
        dialog = page->actionDialog();
        QVERIFY(dialog);
        dialog->findChild<QLineEdit *>(u"cancelReasonEdit"_s)->setText(u"Ordered twice by mistake"_s);
        QVERIFY(okButton(dialog)->isEnabled());
        okButton(dialog)->click();
        QTRY_COMPARE(page->currentOrder()->status, u"cancelled"_s);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(orderStatus(order.id), u"cancelled"_s);
        QCOMPARE(stockOf(m_mug), before);
        QCOMPARE(
            scalar(
                u"SELECT count(*) FROM inventory_movements WHERE order_id = :id AND reason = 'cancellation'"
                " AND delta = 3 AND actor_id = :actor"_s,
                {{u":id"_s, order.id}, {u":actor"_s, m_admin.id}})
                .toLongLong(),
            1);
        QCOMPARE(scalar(u"SELECT note FROM order_events WHERE order_id = :id AND to_status = 'cancelled'"_s,
                     {{u":id"_s, order.id}})
                     .toString(),
            u"Ordered twice by mistake"_s);
        QCOMPARE(auditRows(order.id, u"order.cancel"_s), 1);
        QVERIFY(page->timelineText().contains(u"Ordered twice by mistake"_s));
    }

    void packingSlipPdf()
    {
        auto order = m_runtime->orders()->order(m_paid);
        QVERIFY(order);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"slip.pdf"_s);
        auto ok = writePackingSlipPdf(*order, path);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray pdf = file.readAll();
        QVERIFY(pdf.startsWith("%PDF"));
        QVERIFY2(pdf.size() > 5000, QByteArray::number(pdf.size()).constData());

        // What it says: the number, where, what, how many; escaped; no prices.
        const QString html = packingSlipHtml(*order, u"Corner Shop"_s);
        QVERIFY(html.contains(u"Corner Shop"_s));
        QVERIFY(html.contains(order->number()));
        QVERIFY(html.contains(u"TEE-RED"_s));
        QVERIFY(html.contains(u"Red T-shirt &lt;XL&gt; &amp; co"_s));
        QVERIFY(html.contains(u"97403 Springfield"_s));
        QVERIFY(!html.contains(u"20.00"_s));
        QVERIFY(!html.contains(u"<XL>"_s));

        // A long order runs over several pages.
        orders::Order big = *order;
        for (int i = 0; i < 80; ++i)
            big.lines.append(
                orders::OrderLine {0, std::nullopt, u"SKU-%1"_s.arg(i), u"Item %1"_s.arg(i), 100, 1, 100});
        QVERIFY(writePackingSlipPdf(big, dir.filePath(u"big.pdf"_s)));
        QFile bigFile(dir.filePath(u"big.pdf"_s));
        QVERIFY(bigFile.open(QIODevice::ReadOnly));
        const QByteArray bigPdf = bigFile.readAll();
        QVERIFY2(
            bigPdf.count("/Type /Page") - bigPdf.count("/Type /Pages") >= 2, "expected two or more pages");

        // An unwritable place is an error, not a crash or a stray file.
        QVERIFY(!writePackingSlipPdf(*order, dir.filePath(u"missing/dir/slip.pdf"_s)));

        // From the page.
        auto page = openPage();
        QVERIFY(showOrder(*page, m_paid));
        const QString fromPage = dir.filePath(u"page.pdf"_s);
        page->exportPackingSlip(fromPage);
        QVERIFY2(page->messageText().contains(u"saved"_s), qPrintable(page->messageText()));
        QFile pageFile(fromPage);
        QVERIFY(pageFile.open(QIODevice::ReadOnly));
        QVERIFY(pageFile.read(4) == "%PDF");
    }

    void ordersPlacedElsewhereShowUp()
    {
        auto page = openPage();
        QTRY_VERIFY(page->model()->rowCount() > 0);
        QTRY_VERIFY(!page->isBusy());
        const qint64 pending = page->statusCount(u"pending_payment"_s);
        const int rows = page->model()->rowCount();
        // A storefront checkout: NOTIFY -> CatalogEvents -> the page reloads.
        const orders::Order order = placeOrder(m_bob, {{m_mug, 1}}, u"Bob Stone"_s);
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), rows + 1, 10'000);
        QTRY_COMPARE(page->statusCount(u"pending_payment"_s), pending + 1);
        QCOMPARE(page->model()->order(0).id, order.id);

        // A change to the order shown refreshes its detail too.
        QVERIFY(showOrder(*page, order.id));
        act(order.id, orders::Action::MarkPaid);
        QTRY_COMPARE_WITH_TIMEOUT(page->currentOrder()->status, u"paid"_s, 10'000);
        QTRY_VERIFY(page->action(orders::Action::Pack)->isEnabled());
    }

    void mainWindowHasOrdersAfterProducts()
    {
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        auto *sidebar = window.findChild<QListWidget *>(u"sidebar"_s);
        QVERIFY(sidebar);
        QCOMPARE(sidebar->item(1)->text(), u"Products"_s);
        QCOMPARE(sidebar->item(2)->text(), u"Orders"_s);
        QCOMPARE(sidebar->item(3)->text(), u"Inventory"_s);
        QVERIFY(window.ordersPage());
        QCOMPARE(window.ordersPage()->actor().label, u"admin@shop.test"_s);
        QCOMPARE(window.ordersPage()->actor().userId, std::optional<qint64>(m_admin.id));
    }

    // Screenshots for people (SHOPDESK_SCREENSHOT_DIR): the page with orders in several
    // states and the detail pane filled.
    void screenshots()
    {
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(2);
        OrdersPage *page = window.ordersPage();
        QTRY_VERIFY(page->model()->rowCount() > 0);
        page->selectOrder(m_shipped);
        QTRY_VERIFY(page->currentOrder() && page->currentOrder()->id == m_shipped);
        QTRY_VERIFY(!page->isBusy());
        QTest::qWait(100);
        screenshot(window, u"orders-page.png"_s);
        page->selectOrder(m_pending);
        QTRY_VERIFY(page->currentOrder() && page->currentOrder()->id == m_pending);
        QTest::qWait(100);
        screenshot(window, u"orders-page-pending.png"_s);
        // The dialogs, on an order that is packed and paid.
        const orders::Order packed = placeOrder(m_cat, {{m_tee, 1}, {m_mug, 3}}, u"Cat Miller"_s);
        act(packed.id, orders::Action::MarkPaid);
        act(packed.id, orders::Action::Pack);
        page->selectOrder(packed.id);
        QTRY_VERIFY(page->currentOrder() && page->currentOrder()->id == packed.id);
        QTRY_VERIFY(!page->isBusy());
        page->ship();
        QVERIFY(page->actionDialog());
        QTest::qWait(50);
        screenshot(*page->actionDialog(), u"orders-ship-dialog.png"_s);
        page->actionDialog()->reject();
        QTRY_VERIFY(!page->actionDialog());
        page->refund();
        QVERIFY(page->actionDialog());
        QTest::qWait(50);
        screenshot(*page->actionDialog(), u"orders-refund-dialog.png"_s);
        page->actionDialog()->reject();
        QTRY_VERIFY(!page->actionDialog());
        page->cancelOrder();
        QVERIFY(page->actionDialog());
        QTest::qWait(50);
        screenshot(*page->actionDialog(), u"orders-cancel-dialog.png"_s);
        page->actionDialog()->reject();
        QTRY_VERIFY(!page->actionDialog());
        // A partial refund and a shipment: the payments and the timeline filled.
        QVERIFY(m_runtime->orders()->refund(packed.id, 500, u"Box dented in transit"_s, m_adminActor));
        act(packed.id, orders::Action::Ship);
        QTRY_VERIFY(page->currentOrder()->status == u"shipped"_s);
        QTRY_VERIFY(!page->isBusy());
        QTest::qWait(100);
        screenshot(window, u"orders-page-refunded.png"_s);
        auto order = m_runtime->orders()->order(m_shipped);
        QVERIFY(order);
        QVERIFY(writePackingSlipPdf(
            *order, QDir(screenshotDir()).filePath(u"packing-slip.pdf"_s)));
    }
};

QTEST_MAIN(TestOrdersPage)
#include "tst_orderspage.moc"
