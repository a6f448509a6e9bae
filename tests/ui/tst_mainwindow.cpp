// The admin window on a real Runtime (real database, real HTTP server): the Server
// page shows where the shop is and follows its counters.

#include "core/secretstore.h"
#include "db/database.h"
#include "http/server.h"
#include "mainwindow.h"
#include "rawhttp.h"
#include "serverpage.h"
#include "settingsdialog.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QAction>
#include <QLabel>
#include <QListWidget>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QRadioButton>
#include <QSettings>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QTemporaryDir m_dataDir;
    std::unique_ptr<Runtime> m_runtime;

    static QString text(const QWidget &window, const QString &objectName)
    {
        auto *label = window.findChild<QLabel *>(objectName);
        return label ? label->text() : u"<no label %1>"_s.arg(objectName);
    }
    static qint64 number(const QWidget &window, const QString &objectName)
    {
        bool ok = false;
        const qint64 value = QLocale().toLongLong(text(window, objectName), &ok);
        return ok ? value : -1;
    }
    quint16 port() const { return m_runtime->http()->port(); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dataDir.isValid());
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = m_dataDir.path();
        config.configFile = m_dataDir.filePath(u"shopdesk.ini"_s);
        config.databaseUrl = m_cluster.createDatabase(u"ui_mainwindow"_s).toUri();
        config.port = 0;
        config.ioThreads = 1;
        config.workerThreads = 1;
        config.accessLog = false;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    void cleanupTestCase() { m_runtime.reset(); }

    void opensOnTheServerPage()
    {
        MainWindow window(*m_runtime);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        auto *sidebar = window.findChild<QListWidget *>(u"sidebar"_s);
        QVERIFY(sidebar);
        // Server, then Products, Orders and Inventory (the runtime has a catalog), then the admin pages
        // (no one is signed in here, so all of them).
        QCOMPARE(sidebar->count(), 7);
        QCOMPARE(sidebar->item(1)->text(), u"Products"_s);
        QCOMPARE(sidebar->item(2)->text(), u"Orders"_s);
        QCOMPARE(sidebar->item(3)->text(), u"Inventory"_s);
        QCOMPARE(sidebar->item(4)->text(), u"Users"_s);
        QCOMPARE(sidebar->item(5)->text(), u"Audit log"_s);
        QCOMPARE(sidebar->item(6)->text(), u"Outbox"_s);
        QCOMPARE(sidebar->currentRow(), 0);
        auto *pages = window.findChild<QStackedWidget *>(u"pages"_s);
        QVERIFY(pages);
        QCOMPARE(pages->currentWidget(), window.serverPage());

        QVERIFY(!m_runtime->url().isEmpty());
        QVERIFY2(text(window, u"serverUrlLabel"_s).contains(m_runtime->url()), qPrintable(text(window, u"serverUrlLabel"_s)));
        const QString database = text(window, u"databaseLocationLabel"_s);
        QVERIFY2(database.contains(m_runtime->databaseLocation()), qPrintable(database));
        QVERIFY(!database.contains(u"password"_s));
        QVERIFY(!text(window, u"uptimeLabel"_s).isEmpty());
        QCOMPARE(number(window, u"poolSizeLabel"_s), qint64(m_runtime->database()->stats().size));
        QVERIFY(number(window, u"poolInUseLabel"_s) >= 0);
        QVERIFY(number(window, u"poolWaitingLabel"_s) >= 0);
    }

    void countersFollowRequests()
    {
        MainWindow window(*m_runtime);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        const qint64 requests = number(window, u"requestsLabel"_s);
        const qint64 clientErrors = number(window, u"clientErrorsLabel"_s);
        QVERIFY(requests >= 0);
        QVERIFY(clientErrors >= 0);
        QCOMPARE(number(window, u"inFlightLabel"_s), qint64(0));

        for (int i = 0; i < 3; ++i) {
            auto r = test::rawRequest(port(), "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            QVERIFY(r);
            QCOMPARE(r->status, 200);
        }
        auto missing = test::rawRequest(port(), "GET /api/no-such-route HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        QVERIFY(missing);
        QCOMPARE(missing->status, 404);

        // Nothing pokes the page: its own one-second timer must pick the change up.
        QTRY_COMPARE_WITH_TIMEOUT(number(window, u"requestsLabel"_s), requests + 4, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(number(window, u"clientErrorsLabel"_s), clientErrors + 1, 5000);
        QCOMPARE(number(window, u"serverErrorsLabel"_s), qint64(0));
    }

    void openConnectionsAreShown()
    {
        MainWindow window(*m_runtime);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE(number(window, u"connectionsLabel"_s), qint64(0));

        test::RawConnection idle(port());
        QVERIFY(idle.isConnected());
        QVERIFY(idle.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
        QVERIFY(idle.readResponse());
        // Kept alive after its answer: still an open connection.
        QTRY_COMPARE(number(window, u"connectionsLabel"_s), qint64(1));
        idle.close();
        QTRY_COMPARE(number(window, u"connectionsLabel"_s), qint64(0));
    }

    void settingsActionOpensTheDialog()
    {
        MainWindow window(*m_runtime);
        window.setSecretStore(std::make_unique<SecretStore>(m_dataDir.path(), SecretStore::Keyring::Disabled));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *action = window.findChild<QAction *>(u"settingsAction"_s);
        QVERIFY(action);
        QVERIFY(!window.settingsDialog());
        action->trigger();
        QVERIFY(window.settingsDialog());
        QTRY_VERIFY(window.settingsDialog()->isVisible());
        // A second trigger raises the same dialog.
        SettingsDialog *first = window.settingsDialog();
        action->trigger();
        QCOMPARE(window.settingsDialog(), first);
        first->reject();
        QTRY_VERIFY(!window.settingsDialog());
        QVERIFY(window.findChild<QAction *>(u"quitAction"_s));
    }

    void savingSettingsAsksForARestart()
    {
        MainWindow window(*m_runtime);
        window.setSecretStore(std::make_unique<SecretStore>(m_dataDir.path(), SecretStore::Keyring::Disabled));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *notice = window.findChild<QLabel *>(u"restartNotice"_s);
        QVERIFY(notice);
        QVERIFY(!notice->isVisible());

        window.openSettings();
        SettingsDialog *dialog = window.settingsDialog();
        QVERIFY(dialog);
        dialog->findChild<QRadioButton *>(u"serverRadio"_s)->setChecked(true);
        dialog->findChild<QLineEdit *>(u"hostEdit"_s)->setText(u"db.example.com"_s);
        dialog->findChild<QLineEdit *>(u"databaseEdit"_s)->setText(u"shop"_s);
        dialog->findChild<QLineEdit *>(u"userEdit"_s)->setText(u"shop"_s);
        dialog->accept();

        QTRY_VERIFY(notice->isVisible());
        QVERIFY(notice->text().contains(u"restart"_s));
        QMessageBox *box = window.findChild<QMessageBox *>();
        QVERIFY(box);
        QTRY_VERIFY(box->isVisible());
        QVERIFY(box->text().contains(u"next time"_s));
        box->accept();
        QVERIFY(QSettings(m_runtime->config().configFile, QSettings::IniFormat).contains(u"database/url"_s));
        // The running shop keeps its database until the restart.
        QCOMPARE(m_runtime->database()->options().connection.host, m_cluster.connectionOptions().host);

        QSettings(m_runtime->config().configFile, QSettings::IniFormat).remove(u"database/url"_s);
    }

    void durations_data()
    {
        QTest::addColumn<qint64>("seconds");
        QTest::addColumn<QString>("text");
        QTest::addRow("zero") << qint64(0) << u"0 s"_s;
        QTest::addRow("seconds") << qint64(42) << u"42 s"_s;
        QTest::addRow("minutes") << qint64(12 * 60 + 5) << u"12 min 05 s"_s;
        QTest::addRow("hours") << qint64(3600 + 2 * 60 + 59) << u"1 h 02 min"_s;
        QTest::addRow("days") << qint64(3 * 86400 + 4 * 3600 + 10) << u"3 d 4 h"_s;
        QTest::addRow("clock skew") << qint64(-5) << u"0 s"_s;
    }

    void durations()
    {
        QFETCH(qint64, seconds);
        QFETCH(QString, text);
        QCOMPARE(ServerPage::formatDuration(seconds), text);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
