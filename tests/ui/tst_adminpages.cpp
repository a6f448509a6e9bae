// The admin pages on a real Runtime: Users (list, role, lock, disable, history), the
// Audit log following those changes, and the Outbox showing mail the shop queued.

#include "auditmodel.h"
#include "auditpage.h"
#include "auth/authservice.h"
#include "auth/useradmin.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "outboxmodel.h"
#include "outboxpage.h"
#include "productspage.h"
#include "shop/runtime.h"
#include "testcluster.h"
#include "usermodel.h"
#include "userspage.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;

class TestAdminPages : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QTemporaryDir m_dataDir;
    std::unique_ptr<Runtime> m_runtime;
    const QString m_password = u"correct horse battery"_s;
    auth::User m_admin;
    auth::User m_staff;
    auth::User m_customer;

    auth::User makeUser(const QString &email, const QString &role)
    {
        auto user = m_runtime->auth()->createUser(email, m_password, role,
                                                  Actor{std::nullopt, u"tst_adminpages"_s, u"test"_s});
        if (!user)
            qFatal("cannot create %s: %s", qPrintable(email), qPrintable(user.error().message()));
        return *user;
    }

    static int sidebarRow(const MainWindow &window, const QString &title)
    {
        auto *sidebar = window.findChild<QListWidget *>(u"sidebar"_s);
        for (int row = 0; sidebar && row < sidebar->count(); ++row) {
            if (sidebar->item(row)->text() == title)
                return row;
        }
        return -1;
    }

    static QStringList sidebarTitles(const MainWindow &window)
    {
        QStringList titles;
        auto *sidebar = window.findChild<QListWidget *>(u"sidebar"_s);
        for (int row = 0; sidebar && row < sidebar->count(); ++row)
            titles.append(sidebar->item(row)->text());
        return titles;
    }

    static QAction *action(const QWidget &page, const QString &name)
    {
        auto *found = page.findChild<QAction *>(name);
        if (!found)
            qFatal("no action %s", qPrintable(name));
        return found;
    }

    static void screenshot(QWidget &widget, const QString &name)
    {
        const QString dir = qEnvironmentVariable("SHOPDESK_SCREENSHOT_DIR");
        if (!dir.isEmpty())
            QVERIFY(widget.grab().save(QDir(dir).filePath(name)));
    }

    // The rows of the audit page whose action is `action`.
    static QList<auth::AuditEntry> auditRows(const AuditPage &page, const QString &action)
    {
        QList<auth::AuditEntry> rows;
        for (int row = 0; row < page.model()->rowCount(); ++row) {
            if (page.model()->entry(row).action == action)
                rows.append(page.model()->entry(row));
        }
        return rows;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dataDir.isValid());
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = m_dataDir.path();
        config.configFile = m_dataDir.filePath(u"shopdesk.ini"_s);
        config.databaseUrl = m_cluster.createDatabase(u"ui_adminpages"_s).toUri();
        config.port = 0;
        config.ioThreads = 1;
        config.workerThreads = 1;
        config.accessLog = false;
        config.bcryptCost = 10;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));

        m_admin = makeUser(u"admin@shop.test"_s, u"admin"_s);
        m_staff = makeUser(u"sam@shop.test"_s, u"staff"_s);
        auto customer = m_runtime->auth()->registerCustomer(u"ann@shop.test"_s, m_password, u"Ann"_s, u"Buyer"_s,
                                                            auth::ClientInfo{u"192.0.2.7"_s, u"Firefox"_s});
        QVERIFY(customer);
        m_customer = customer->user;
        // One failed and one good sign-in for the history panel.
        QVERIFY(!m_runtime->auth()->login(u"ann@shop.test"_s, u"wrong password!"_s, desktopClient()));
        QVERIFY(m_runtime->auth()->login(u"ann@shop.test"_s, m_password, desktopClient()));
    }

    void cleanupTestCase()
    {
        ProductsPage::clearQueuedAnswers();
        m_runtime.reset();
    }

    void withoutSignInEveryPageShows()
    {
        MainWindow window(*m_runtime);
        QCOMPARE(sidebarTitles(window),
                 QStringList({u"Server"_s, u"Products"_s, u"Orders"_s, u"Inventory"_s, u"Users"_s, u"Audit log"_s,
                             u"Outbox"_s}));
        QVERIFY(window.usersPage());
        QCOMPARE(window.actor().label, u"desktop"_s);
        QVERIFY(!window.actor().userId);
        QVERIFY(!action(window, u"signOutAction"_s)->isVisible());
    }

    void staffDoNotGetAdminPages()
    {
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_staff);
        QCOMPARE(sidebarTitles(window), QStringList({u"Server"_s, u"Products"_s, u"Orders"_s, u"Inventory"_s}));
        QVERIFY(!window.usersPage());
        QVERIFY(!window.auditPage());
        QVERIFY(!window.outboxPage());
        QCOMPARE(window.productsPage()->actor().label, u"sam@shop.test"_s);
        QCOMPARE(window.productsPage()->actor().userId, std::optional<qint64>(m_staff.id));
        auto *signedIn = window.findChild<QLabel *>(u"signedInStatus"_s);
        QVERIFY(signedIn);
        QVERIFY2(signedIn->text().contains(u"Signed in as sam@shop.test"_s), qPrintable(signedIn->text()));
        QVERIFY(action(window, u"signOutAction"_s)->isVisible());
    }

    void signOutAsksForTheLoginAgain()
    {
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        bool asked = false;
        connect(&window, &MainWindow::signOutRequested, this, [&asked] { asked = true; });
        action(window, u"signOutAction"_s)->trigger();
        QVERIFY(asked);
        QVERIFY(!window.isVisible());
    }

    void usersPageListsAndChangesAccounts()
    {
        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        QCOMPARE(sidebarTitles(window).size(), 7);
        UsersPage *page = window.usersPage();
        QVERIFY(page);
        QCOMPARE(page->actor().label, u"admin@shop.test"_s);
        QAbstractItemModelTester usersTester(page->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester historyTester(page->historyModel(),
                                               QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(page->view()->model(),
                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.resize(1200, 760);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(sidebarRow(window, u"Users"_s));

        QTRY_COMPARE(page->model()->rowCount(), 3);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(page->statusText(), u"3 accounts"_s);
        const int annRow = page->model()->rowOfUser(m_customer.id);
        QVERIFY(annRow >= 0);
        const auto cell = [&](int column) {
            return page->model()->data(page->model()->index(page->model()->rowOfUser(m_customer.id), column)).toString();
        };
        QCOMPARE(cell(UserTableModel::EmailColumn), u"ann@shop.test"_s);
        QCOMPARE(cell(UserTableModel::NameColumn), u"Ann Buyer"_s);
        QCOMPARE(cell(UserTableModel::RoleColumn), u"customer"_s);
        QCOMPARE(cell(UserTableModel::StatusColumn), u"Active"_s);
        QCOMPARE(cell(UserTableModel::TwoFactorColumn), u"Off"_s);
        QVERIFY(cell(UserTableModel::LastSignInColumn) != u"Never"_s);

        // Search.
        page->findChild<QLineEdit *>(u"userSearch"_s)->setText(u"ann"_s);
        QTRY_COMPARE(page->model()->rowCount(), 1);
        page->findChild<QLineEdit *>(u"userSearch"_s)->clear();
        QTRY_COMPARE(page->model()->rowCount(), 3);

        // Nothing selected: nothing to act on.
        QVERIFY(!action(*page, u"changeRoleAction"_s)->isEnabled());
        // One's own account cannot be demoted, locked or disabled from here.
        page->selectUser(m_admin.id);
        QCOMPARE(page->currentUser()->id, m_admin.id);
        QVERIFY(!action(*page, u"changeRoleAction"_s)->isEnabled());
        QVERIFY(!action(*page, u"lockAction"_s)->isEnabled());
        QVERIFY(!action(*page, u"disableAction"_s)->isEnabled());
        QVERIFY(action(*page, u"revokeSessionsAction"_s)->isEnabled());

        // The selected account's sign-in history: one failure, then successes.
        page->selectUser(m_customer.id);
        QVERIFY(action(*page, u"changeRoleAction"_s)->isEnabled());
        QTRY_VERIFY(page->historyModel()->rowCount() >= 2);
        bool refused = false;
        for (int row = 0; row < page->historyModel()->rowCount(); ++row)
            refused |= !page->historyModel()->event(row).success;
        QVERIFY(refused);
        QTRY_VERIFY(!page->isBusy());
        screenshot(window, u"users-page.png"_s);

        // Change role through the dialog.
        action(*page, u"changeRoleAction"_s)->trigger();
        QDialog *dialog = page->roleDialog();
        QVERIFY(dialog);
        auto *combo = dialog->findChild<QComboBox *>(u"roleCombo"_s);
        QVERIFY(combo);
        QCOMPARE(combo->currentData().toString(), u"customer"_s);
        combo->setCurrentIndex(combo->findData(u"staff"_s));
        dialog->accept();
        QTRY_COMPARE(cell(UserTableModel::RoleColumn), u"staff"_s);
        QVERIFY2(page->messageText().contains(u"now staff"_s), qPrintable(page->messageText()));
        auto stored = m_runtime->auth()->user(m_customer.id);
        QVERIFY(stored);
        QCOMPARE(stored->role, u"staff"_s);

        // Lock, then unlock.
        QCOMPARE(action(*page, u"lockAction"_s)->text(), u"&Lock"_s);
        action(*page, u"lockAction"_s)->trigger();
        QTRY_VERIFY2(cell(UserTableModel::StatusColumn).startsWith(u"Locked until"_s),
                     qPrintable(cell(UserTableModel::StatusColumn)));
        QCOMPARE(action(*page, u"lockAction"_s)->text(), u"Un&lock"_s);
        action(*page, u"lockAction"_s)->trigger();
        QTRY_COMPARE(cell(UserTableModel::StatusColumn), u"Active"_s);

        // Disable: a question first; Cancel changes nothing.
        ProductsPage::setNextAnswer(QMessageBox::Cancel);
        action(*page, u"disableAction"_s)->trigger();
        QCOMPARE(ProductsPage::queuedAnswers(), 0);
        QVERIFY(ProductsPage::lastQuestion().contains(u"ann@shop.test"_s));
        QVERIFY(!page->isBusy());
        ProductsPage::setNextAnswer(QMessageBox::Yes);
        action(*page, u"disableAction"_s)->trigger();
        QTRY_COMPARE(cell(UserTableModel::StatusColumn), u"Disabled"_s);
        QCOMPARE(action(*page, u"disableAction"_s)->text(), u"&Enable"_s);
        action(*page, u"disableAction"_s)->trigger(); // enabling asks nothing
        QTRY_COMPARE(cell(UserTableModel::StatusColumn), u"Active"_s);

        // Forced reset and revoking sessions, both confirmed.
        ProductsPage::setNextAnswer(QMessageBox::Yes);
        action(*page, u"forceResetAction"_s)->trigger();
        QTRY_VERIFY2(cell(UserTableModel::StatusColumn).contains(u"new password due"_s),
                     qPrintable(cell(UserTableModel::StatusColumn)));
        ProductsPage::setNextAnswer(QMessageBox::Yes);
        action(*page, u"revokeSessionsAction"_s)->trigger();
        QTRY_VERIFY2(page->messageText().contains(u"signed out on every device"_s), qPrintable(page->messageText()));
        QTRY_VERIFY(!page->isBusy());

        // Every change is in the audit log, as the signed-in admin, and the Audit page
        // shows it.
        AuditPage *audit = window.auditPage();
        QVERIFY(audit);
        QAbstractItemModelTester auditTester(audit->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.showPage(sidebarRow(window, u"Audit log"_s));
        QTRY_VERIFY(!auditRows(*audit, u"user.role"_s).isEmpty());
        QTRY_VERIFY(!audit->isBusy());
        for (const QString &name : {u"user.role"_s, u"user.lock"_s, u"user.unlock"_s, u"user.disable"_s,
                                    u"user.enable"_s, u"user.force_password_reset"_s, u"user.revoke_sessions"_s}) {
            const auto rows = auditRows(*audit, name);
            QVERIFY2(!rows.isEmpty(), qPrintable(name));
            QCOMPARE(rows.first().actor, u"admin@shop.test"_s);
            QCOMPARE(rows.first().source, u"desktop"_s);
        }
        // Newest first.
        QCOMPARE(audit->model()->entry(0).action, u"user.revoke_sessions"_s);
        for (int row = 1; row < audit->model()->rowCount(); ++row)
            QVERIFY(audit->model()->entry(row - 1).at >= audit->model()->entry(row).at);

        // The detail pane: before and after of the role change, pretty-printed.
        int roleRow = -1;
        for (int row = 0; row < audit->model()->rowCount() && roleRow < 0; ++row)
            roleRow = audit->model()->entry(row).action == "user.role"_L1 ? row : -1;
        audit->selectRow(roleRow);
        QVERIFY2(audit->beforeText().contains(u"\"customer\""_s), qPrintable(audit->beforeText()));
        QVERIFY2(audit->afterText().contains(u"\"staff\""_s), qPrintable(audit->afterText()));
        QVERIFY(audit->afterText().contains(u'\n')); // indented, not one line
        screenshot(window, u"audit-page.png"_s);

        // Filters: action prefix, target type, actor.
        audit->findChild<QLineEdit *>(u"auditActionFilter"_s)->setText(u"user.lo"_s);
        QTRY_COMPARE(audit->model()->rowCount(), 1);
        QCOMPARE(audit->model()->entry(0).action, u"user.lock"_s);
        audit->findChild<QLineEdit *>(u"auditActionFilter"_s)->clear();
        auto *target = audit->findChild<QComboBox *>(u"auditTargetFilter"_s);
        target->setCurrentIndex(target->findData(u"product"_s));
        QTRY_COMPARE(audit->model()->rowCount(), 0);
        target->setCurrentIndex(target->findData(u"user"_s));
        QTRY_VERIFY(audit->model()->rowCount() >= 7);
        audit->findChild<QLineEdit *>(u"auditActorFilter"_s)->setText(u"tst_adminpages"_s);
        QTRY_COMPARE(audit->model()->rowCount(), 2); // the two accounts this test created
        QVERIFY(auditRows(*audit, u"user.create"_s).size() == 2);

        // Read-only: nothing on the page edits or deletes.
        QCOMPARE(audit->view()->editTriggers(), QAbstractItemView::NoEditTriggers);
        const auto actions = audit->findChildren<QAction *>();
        for (const QAction *found : actions) // only the line edits' own (clear buttons)
            QVERIFY2(qobject_cast<QLineEdit *>(found->parent()), qPrintable(found->text()));
        QTRY_VERIFY(!audit->isBusy());
    }

    void outboxShowsQueuedMail()
    {
        QVERIFY(m_runtime->auth()->forgotPassword(u"sam@shop.test"_s, auth::ClientInfo{u"192.0.2.8"_s, u"t"_s}));

        MainWindow window(*m_runtime);
        window.setSignedInUser(m_admin);
        OutboxPage *page = window.outboxPage();
        QVERIFY(page);
        QAbstractItemModelTester tester(page->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.resize(1200, 760);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(sidebarRow(window, u"Outbox"_s));

        const auto rowFor = [page]() {
            for (int row = 0; row < page->model()->rowCount(); ++row) {
                const mail::OutboxEntry &e = page->model()->entry(row);
                if (e.to == "sam@shop.test"_L1 && e.kind == "reset_password"_L1)
                    return row;
            }
            return -1;
        };
        QTRY_VERIFY(rowFor() >= 0);
        QTRY_VERIFY(!page->isBusy());
        const int row = rowFor();
        QCOMPARE(page->model()->data(page->model()->index(row, OutboxModel::ToColumn)).toString(),
                 u"sam@shop.test"_s);
        page->selectRow(row);
        const QString body = page->bodyText();
        QVERIFY2(body.contains(u"http"_s), qPrintable(body));
        QVERIFY2(body.contains(u"token"_s) || body.contains(u"reset"_s, Qt::CaseInsensitive), qPrintable(body));
        // The link is a link (clickable and selectable in the pane).
        auto *browser = page->findChild<QWidget *>(u"outboxBody"_s);
        QVERIFY(browser);
        screenshot(window, u"outbox-page.png"_s);

        // Retry: only for what is not sent yet; it answers one way or the other.
        auto *retry = action(*page, u"retryMailAction"_s);
        QCOMPARE(retry->isEnabled(), page->model()->entry(row).status != "sent"_L1);
        if (retry->isEnabled()) {
            retry->trigger();
            QTRY_VERIFY(!page->messageText().isEmpty());
        }
        QTRY_VERIFY(!page->isBusy());
    }
};

QTEST_MAIN(TestAdminPages)
#include "tst_adminpages.moc"
