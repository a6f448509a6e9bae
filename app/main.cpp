// shopdesk: the admin app with the shop's server inside, or the server alone.
//
// Wiring only: config -> database -> services -> HTTP -> GUI. Everything else lives
// in backend/ (headless) and ui/ (widgets).

#include "auth/authservice.h"
#include "catalog/demoseed.h"
#include "core/config.h"
#include "core/logging.h"
#include "firstrundialog.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "shop/runtime.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDialog>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QScopeGuard>
#include <QSocketNotifier>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

int g_signalPipe[2] = {-1, -1};
shop::Runtime *g_runtime = nullptr;

// Qt's xcb plugin calls exit() when the X server goes away (a session logout), which
// skips main()'s orderly stop; the embedded PostgreSQL must not be left running.
void stopClusterAtExit()
{
    if (g_runtime)
        g_runtime->stopClusterOnExit();
}

void onSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const auto written = ::write(g_signalPipe[1], &byte, 1);
}

// SIGTERM and SIGINT become an orderly quit of the event loop: the runtime then
// drains HTTP and stops the embedded cluster.
void installSignalHandlers(QCoreApplication &app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [&app] {
        char byte = 0;
        [[maybe_unused]] const auto got = ::read(g_signalPipe[0], &byte, 1);
        qCInfo(shop::lcApp) << "signal" << int(byte) << "received; stopping";
        // The sign-in dialogs run before the main loop, where quit() does nothing:
        // rejecting them ends the sign-in, and main() then stops the runtime.
        if (qobject_cast<QApplication *>(&app)) {
            const auto windows = QApplication::topLevelWidgets();
            for (QWidget *window : windows) {
                if (auto *dialog = qobject_cast<QDialog *>(window); dialog && dialog->isVisible())
                    dialog->reject();
            }
        }
        app.quit();
    });
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

bool hasDisplay()
{
    if (!qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        return true;
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

int fatal(const QString &message)
{
    QTextStream(stderr) << "shopdesk: " << message << '\n';
    return 1;
}

int runMigrate(shop::Config config)
{
    shop::Runtime runtime(std::move(config));
    if (auto ok = runtime.openDatabase(); !ok)
        return fatal(ok.error().message());
    QTextStream(stdout) << "migrations applied: " << runtime.appliedMigrations().size() << '\n';
    return 0;
}

int runSeedDemo(shop::Config config)
{
    shop::Runtime runtime(std::move(config));
    if (auto ok = runtime.openDatabase(); !ok)
        return fatal(ok.error().message());
    auto report = shop::catalog::seedDemo(*runtime.database(), runtime.config().seedProducts);
    if (!report)
        return fatal(report.error().message());
    QTextStream(stdout) << "seed-demo: " << report->categoriesAdded << " categories and " << report->productsAdded
                        << " products added; the catalog holds " << report->productsTotal << " products ("
                        << QString::number(report->seconds, 'f', 2) << " s)\n";
    return 0;
}

// The password never appears on the command line (it would show in `ps` and shell
// history): it is typed at the terminal with echo off, twice, or read as one line
// from stdin when that is not a terminal (scripts, containers).
std::optional<QString> readPassword()
{
    QTextStream in(stdin);
    if (!::isatty(STDIN_FILENO))
        return in.readLine();
    termios saved{};
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    const auto restore = qScopeGuard([&saved] { ::tcsetattr(STDIN_FILENO, TCSANOW, &saved); });
    QTextStream out(stderr);
    out << "Password: " << Qt::flush;
    const QString first = in.readLine();
    out << "\nRepeat it: " << Qt::flush;
    const QString second = in.readLine();
    out << '\n' << Qt::flush;
    if (first != second)
        return std::nullopt;
    return first;
}

int runCreateAdmin(shop::Config config)
{
    if (config.adminEmail.isEmpty())
        return fatal(u"create-admin needs --email"_s);
    shop::Runtime runtime(std::move(config));
    if (auto ok = runtime.openDatabase(); !ok)
        return fatal(ok.error().message());
    const auto password = readPassword();
    if (!password)
        return fatal(u"the two passwords differ"_s);
    const shop::Actor actor{std::nullopt, u"create-admin"_s, u"command line"_s};
    auto user = runtime.auth()->createUser(runtime.config().adminEmail, *password, u"admin"_s, actor);
    if (!user) {
        QString message = user.error().message();
        for (const auto &field : user.error().fields())
            message += u"; "_s + field.field + u": "_s + field.message;
        return fatal(message);
    }
    QTextStream(stdout) << "administrator " << user->email << " created (id " << user->id << ")\n";
    return 0;
}

// Who uses the console this time: the first-run wizard when the shop has no admin
// yet, then the login dialog. nullopt when the person cancels (main() then stops the
// runtime and exits).
std::optional<shop::auth::User> signIn(shop::Runtime &runtime, const QString &notice = {})
{
    shop::auth::AuthService &auth = *runtime.auth();
    QString email;
    // Nothing is on screen yet, so this one query may block.
    auto hasAdmin = auth.hasAdmin();
    if (!hasAdmin) {
        QMessageBox::critical(nullptr, u"ShopDesk"_s, hasAdmin.error().message());
        return std::nullopt;
    }
    if (!*hasAdmin) {
        shop::FirstRunDialog wizard(auth);
        if (wizard.exec() != QDialog::Accepted)
            return std::nullopt;
        if (wizard.user())
            return wizard.user();
        email = wizard.createdEmail();
    }
    shop::LoginDialog login(auth);
    if (!email.isEmpty())
        login.setEmail(email);
    login.setNotice(notice);
    if (login.exec() != QDialog::Accepted)
        return std::nullopt;
    return login.user();
}

int runHealthCheck(int argc, char **argv, const shop::Config &config)
{
    QCoreApplication app(argc, argv);
    QString host = config.bindAddress.toString();
    if (config.bindAddress == QHostAddress(QHostAddress::AnyIPv4))
        host = u"127.0.0.1"_s;
    QNetworkAccessManager network;
    const bool tls = config.tlsEnabled();
    QNetworkRequest request(QUrl(u"%1://%2:%3/readyz"_s.arg(tls ? u"https"_s : u"http"_s, host).arg(config.port)));
    request.setTransferTimeout(5000);
    // Over HTTPS the server must present the configured certificate (the self-signed
    // one, or the operator's, whose name need not be the loopback address asked here).
    QSslCertificate expected;
    if (tls) {
        const QString file = config.tlsSelfSigned ? config.dataDir + u"/tls/cert.pem"_s : config.tlsCertFile;
        const auto chain = QSslCertificate::fromPath(file, QSsl::Pem);
        if (chain.isEmpty()) {
            QTextStream(stderr) << "shopdesk health: cannot read the certificate " << file << '\n';
            return 1;
        }
        expected = chain.first();
    }
    QNetworkReply *reply = network.get(request);
    QObject::connect(reply, &QNetworkReply::sslErrors, &app, [reply, expected](const QList<QSslError> &) {
        if (!expected.isNull() && reply->sslConfiguration().peerCertificate() == expected)
            reply->ignoreSslErrors();
    });
    int code = 1;
    QObject::connect(reply, &QNetworkReply::finished, &app, [&] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        QTextStream(stdout) << (status == 200 ? "ready" : "not ready") << " (" << status << ") "
                            << reply->readAll() << '\n';
        code = status == 200 ? 0 : 1;
        app.quit();
    });
    app.exec();
    return code;
}

} // namespace

int main(int argc, char **argv)
{
    // Qt's GLib event loop polls every socket on every iteration and costs 3.4x in
    // throughput at 10,000 connections (bench/results: 10k req/s with GLib, 34k
    // without, /api/health on 2 cores); Qt's own Unix dispatcher serves the HTTP
    // threads and the widgets alike. Set before the first event loop exists.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    shop::installLogFormat();
    QCoreApplication::setApplicationName(u"ShopDesk"_s);
    QCoreApplication::setOrganizationName(u"ShopDesk"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);

    QStringList arguments;
    for (int i = 1; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    if (arguments.contains(u"--help"_s) || arguments.contains(u"-h"_s)) {
        QTextStream(stdout) << shop::ConfigLoader::usage();
        return 0;
    }
    auto config = shop::ConfigLoader::load(arguments, QProcessEnvironment::systemEnvironment(),
                                           shop::ConfigLoader::standardConfigFile(),
                                           shop::ConfigLoader::standardDataDir());
    if (!config)
        return fatal(config.error().message());

    if (config->command == "migrate"_L1)
        return runMigrate(*config);
    if (config->command == "create-admin"_L1)
        return runCreateAdmin(*config);
    if (config->command == "seed-demo"_L1)
        return runSeedDemo(*config);
    if (config->command == "health"_L1)
        return runHealthCheck(argc, argv, *config);

    if (!config->headless && !hasDisplay()) {
        QTextStream(stderr) << "shopdesk: no display found (DISPLAY and WAYLAND_DISPLAY are unset); "
                               "running headless\n";
        config->headless = true;
    }

    std::unique_ptr<QCoreApplication> app;
    if (config->headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    installSignalHandlers(*app);

    shop::Runtime runtime(*config);
    g_runtime = &runtime;
    std::atexit(stopClusterAtExit);
    // Cleared before `runtime` is destroyed on every way out of main().
    const auto forget = qScopeGuard([] { g_runtime = nullptr; });
    if (auto ok = runtime.start(); !ok) {
        if (!config->headless)
            QMessageBox::critical(nullptr, u"ShopDesk"_s, ok.error().message());
        return fatal(ok.error().message());
    }
    qCInfo(shop::lcApp).noquote() << "ShopDesk is serving" << runtime.url() << "database" << runtime.databaseLocation();

    int code = 0;
    if (config->headless) {
        code = app->exec();
    } else {
        // Sign in, run the console; Sign out comes back here for the next person.
        QString notice;
        while (const auto user = signIn(runtime, notice)) {
            shop::MainWindow window(runtime);
            window.setSignedInUser(*user);
            bool signedOut = false;
            QObject::connect(&window, &shop::MainWindow::signOutRequested, app.get(), [&signedOut, &app] {
                signedOut = true;
                app->quit();
            });
            window.show();
            code = app->exec();
            if (!signedOut)
                break;
            notice = QCoreApplication::translate("main", "%1 signed out.").arg(user->email);
        }
    }
    runtime.stop();
    qCInfo(shop::lcApp) << "stopped";
    return code;
}
