// Signing in to the console on a real Runtime: the first-run wizard, the login dialog's
// errors, customers refused, two-factor, and who gets through.

#include "auth/authservice.h"
#include "auth/totp.h"
#include "auth/useradmin.h"
#include "firstrundialog.h"
#include "logindialog.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;

class TestLoginDialog : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    QTemporaryDir m_dataDir;
    std::unique_ptr<Runtime> m_runtime;
    const QString m_password = u"correct horse battery"_s;

    auth::AuthService &auth() { return *m_runtime->auth(); }

    static void type(QWidget &dialog, const QString &field, const QString &text)
    {
        auto *edit = dialog.findChild<QLineEdit *>(field);
        QVERIFY2(edit, qPrintable(field));
        edit->setText(text);
    }

    // Fills the dialog, presses Sign in and waits for the answer.
    static void signIn(LoginDialog &dialog, const QString &email, const QString &password, const QString &code = {})
    {
        type(dialog, u"loginEmail"_s, email);
        type(dialog, u"loginPassword"_s, password);
        if (!code.isNull())
            type(dialog, u"loginCode"_s, code);
        auto *button = dialog.findChild<QPushButton *>(u"signInButton"_s);
        QVERIFY(button);
        button->click();
        QVERIFY(dialog.isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 10000);
    }

    auth::User makeUser(const QString &email, const QString &role)
    {
        auto user = auth().createUser(email, m_password, role, Actor{std::nullopt, u"tst_logindialog"_s, u"test"_s});
        if (!user)
            qFatal("cannot create %s: %s", qPrintable(email), qPrintable(user.error().message()));
        return *user;
    }

    static void screenshot(QWidget &widget, const QString &name)
    {
        const QString dir = qEnvironmentVariable("SHOPDESK_SCREENSHOT_DIR");
        if (!dir.isEmpty())
            QVERIFY(widget.grab().save(QDir(dir).filePath(name)));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dataDir.isValid());
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = m_dataDir.path();
        config.configFile = m_dataDir.filePath(u"shopdesk.ini"_s);
        config.databaseUrl = m_cluster.createDatabase(u"ui_logindialog"_s).toUri();
        config.port = 0;
        config.ioThreads = 1;
        config.workerThreads = 1;
        config.accessLog = false;
        config.bcryptCost = 10; // the policy's minimum: keeps the suite quick
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    void cleanupTestCase() { m_runtime.reset(); }

    // Runs first: the database has no admin yet.
    void firstRunCreatesTheAdmin()
    {
        auto hasAdmin = auth().hasAdmin();
        QVERIFY(hasAdmin);
        QVERIFY(!*hasAdmin);

        FirstRunDialog wizard(auth());
        wizard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&wizard));
        auto *create = wizard.findChild<QPushButton *>(u"createAdminButton"_s);
        QVERIFY(create);

        // The two passwords differ: caught before any query.
        type(wizard, u"firstRunEmail"_s, u"Owner@Shop.test"_s);
        type(wizard, u"firstRunPassword"_s, m_password);
        type(wizard, u"firstRunRepeat"_s, u"something else"_s);
        create->click();
        QVERIFY(!wizard.isBusy());
        QCOMPARE(wizard.fieldError(u"repeat"_s), u"The two passwords differ."_s);

        // Too short: the service's policy message, next to the password field.
        type(wizard, u"firstRunPassword"_s, u"short"_s);
        type(wizard, u"firstRunRepeat"_s, u"short"_s);
        create->click();
        QTRY_VERIFY(!wizard.isBusy());
        QVERIFY2(wizard.fieldError(u"password"_s).contains(u"at least 8 characters"_s, Qt::CaseInsensitive),
                 qPrintable(wizard.fieldError(u"password"_s)));
        QVERIFY(wizard.fieldError(u"repeat"_s).isEmpty());
        QCOMPARE(wizard.result(), int(QDialog::Rejected));
        QVERIFY(!*auth().hasAdmin());
        screenshot(wizard, u"firstrun.png"_s);

        // Too common.
        type(wizard, u"firstRunPassword"_s, u"password"_s);
        type(wizard, u"firstRunRepeat"_s, u"password"_s);
        create->click();
        QTRY_VERIFY(!wizard.isBusy());
        QVERIFY2(!wizard.fieldError(u"password"_s).isEmpty(), "a common password is refused");

        // A bad address.
        type(wizard, u"firstRunEmail"_s, u"not an address"_s);
        type(wizard, u"firstRunPassword"_s, m_password);
        type(wizard, u"firstRunRepeat"_s, m_password);
        create->click();
        QTRY_VERIFY(!wizard.isBusy());
        QVERIFY(!wizard.fieldError(u"email"_s).isEmpty());
        QVERIFY(wizard.fieldError(u"password"_s).isEmpty());

        type(wizard, u"firstRunEmail"_s, u"Owner@Shop.test"_s);
        create->click();
        QTRY_VERIFY_WITH_TIMEOUT(!wizard.isBusy(), 10000);
        QCOMPARE(wizard.result(), int(QDialog::Accepted));
        QVERIFY(wizard.user());
        QCOMPARE(wizard.user()->email, u"owner@shop.test"_s);
        QCOMPARE(wizard.user()->role, u"admin"_s);
        QVERIFY(*auth().hasAdmin());

        // Recorded as made by the first-run wizard.
        auth::AuditFilter filter;
        filter.action = u"user.create"_s;
        auto entries = m_runtime->userAdmin()->audit(filter);
        QVERIFY(entries);
        QVERIFY(!entries->isEmpty());
        QCOMPARE(entries->first().actor, u"first-run"_s);
        QCOMPARE(entries->first().source, u"desktop"_s);
    }

    void wrongPasswordShowsTheError()
    {
        LoginDialog dialog(auth());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        signIn(dialog, u"owner@shop.test"_s, u"not the password"_s);
        QVERIFY2(dialog.errorText().contains(u"not right"_s), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.user());
        QVERIFY(dialog.isVisible());
        QVERIFY(!dialog.isCodeRequested());
        QVERIFY(dialog.findChild<QLineEdit *>(u"loginPassword"_s)->text().isEmpty());
        screenshot(dialog, u"login-error.png"_s);

        // Unknown address: the same words (no account enumeration).
        signIn(dialog, u"nobody@shop.test"_s, u"whatever it is"_s);
        QVERIFY2(dialog.errorText().contains(u"not right"_s), qPrintable(dialog.errorText()));
    }

    void emptyFieldsAskFirst()
    {
        LoginDialog dialog(auth());
        dialog.findChild<QPushButton *>(u"signInButton"_s)->click();
        QVERIFY(!dialog.isBusy()); // nothing sent
        QVERIFY(!dialog.errorText().isEmpty());
    }

    void customerIsRefused()
    {
        auto session = auth().registerCustomer(u"ann@shop.test"_s, m_password, u"Ann"_s, u"Buyer"_s,
                                               auth::ClientInfo{u"127.0.0.1"_s, u"test"_s});
        QVERIFY2(session, session ? "" : qPrintable(session.error().message()));

        LoginDialog dialog(auth());
        dialog.show();
        signIn(dialog, u"ann@shop.test"_s, m_password);
        QVERIFY2(dialog.errorText().contains(u"customer"_s), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.user());
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(dialog.isVisible());
    }

    void adminGetsThrough()
    {
        LoginDialog dialog(auth());
        dialog.show();
        signIn(dialog, u"  OWNER@shop.test "_s, m_password);
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QVERIFY(dialog.user());
        QCOMPARE(dialog.user()->email, u"owner@shop.test"_s);
        QCOMPARE(dialog.user()->role, u"admin"_s);

        // Recorded in the login history as the desktop client.
        auto history = m_runtime->userAdmin()->loginHistory(dialog.user()->id, 1);
        QVERIFY(history);
        QVERIFY(!history->isEmpty());
        QVERIFY(history->first().success);
        QCOMPARE(history->first().address, u"desktop"_s);
        QCOMPARE(history->first().userAgent, u"ShopDesk desktop"_s);
    }

    void staffGetsThrough()
    {
        makeUser(u"sam@shop.test"_s, u"staff"_s);
        LoginDialog dialog(auth());
        dialog.setEmail(u"sam@shop.test"_s);
        signIn(dialog, u"sam@shop.test"_s, m_password);
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.user()->role, u"staff"_s);
    }

    void disabledAccountIsTold()
    {
        const auth::User user = makeUser(u"gone@shop.test"_s, u"staff"_s);
        auto disabled = m_runtime->userAdmin()->setDisabled(user.id, true, Actor{std::nullopt, u"test"_s, u"test"_s});
        QVERIFY(disabled);
        LoginDialog dialog(auth());
        signIn(dialog, u"gone@shop.test"_s, m_password);
        QVERIFY2(dialog.errorText().contains(u"disabled"_s), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.user());
    }

    void passwordResetRequiredIsTold()
    {
        const auth::User user = makeUser(u"reset@shop.test"_s, u"staff"_s);
        QVERIFY(m_runtime->userAdmin()->forcePasswordReset(user.id, Actor{std::nullopt, u"test"_s, u"test"_s}));
        LoginDialog dialog(auth());
        signIn(dialog, u"reset@shop.test"_s, m_password);
        QVERIFY2(dialog.errorText().contains(u"new password"_s), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.user());
    }

    void twoFactorAsksForTheCode()
    {
        const auth::User user = makeUser(u"totp@shop.test"_s, u"admin"_s);
        auto enrolment = auth().beginTotp(user.id);
        QVERIFY2(enrolment, enrolment ? "" : qPrintable(enrolment.error().message()));
        const auto secret = auth::totp::fromBase32(enrolment->secretBase32);
        QVERIFY(secret);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        auto recovery = auth().confirmTotp(user.id, auth::totp::code(*secret, now));
        QVERIFY2(recovery, recovery ? "" : qPrintable(recovery.error().message()));

        LoginDialog dialog(auth());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(!dialog.isCodeRequested());
        auto *code = dialog.findChild<QLineEdit *>(u"loginCode"_s);
        QVERIFY(code && !code->isVisible());

        // The right password: the code field appears, no error yet.
        signIn(dialog, u"totp@shop.test"_s, m_password);
        QVERIFY(dialog.isCodeRequested());
        QVERIFY(code->isVisible());
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
        QVERIFY(!dialog.user());
        screenshot(dialog, u"login-totp.png"_s);

        // A wrong code is refused and the field cleared.
        signIn(dialog, u"totp@shop.test"_s, m_password, u"000000"_s == auth::totp::code(*secret, now)
                                                                ? u"111111"_s
                                                                : u"000000"_s);
        QVERIFY2(dialog.errorText().contains(u"not valid"_s), qPrintable(dialog.errorText()));
        QVERIFY(code->text().isEmpty());
        QVERIFY(!dialog.user());

        // The next step's code (the current one was spent confirming; RFC 6238 5.2).
        signIn(dialog, u"totp@shop.test"_s, m_password, auth::totp::code(*secret, now.addSecs(30)));
        QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.user()->email, u"totp@shop.test"_s);
    }
};

QTEST_MAIN(TestLoginDialog)
#include "tst_logindialog.moc"
