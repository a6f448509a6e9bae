#include "mainwindow.h"

#include "auditpage.h"
#include "core/secretstore.h"
#include "inventorypage.h"
#include "orderspage.h"
#include "outboxpage.h"
#include "productspage.h"
#include "serverpage.h"
#include "settingsdialog.h"
#include "shop/runtime.h"
#include "userspage.h"

#include <QAction>
#include <QApplication>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// Named icons from the desktop's theme. Sessions without one (a bare X server, some
// window managers) fall back to Adwaita when it is installed, then to Qt's own few
// pixmaps.
QIcon themedIcon(const QString &name, QStyle::StandardPixmap fallback, const QStyle *style)
{
    if (QIcon::themeName().isEmpty() || QIcon::themeName() == "hicolor"_L1)
        QIcon::setFallbackThemeName(u"Adwaita"_s);
    return QIcon::fromTheme(name, style->standardIcon(fallback));
}

} // namespace

MainWindow::MainWindow(Runtime &runtime, QWidget *parent)
    : QMainWindow(parent), m_runtime(runtime),
      m_secrets(std::make_unique<SecretStore>(runtime.config().dataDir))
{
    setWindowTitle(tr("ShopDesk"));
    resize(1040, 700);

    auto *central = new QWidget;
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    m_sidebar = new QListWidget;
    m_sidebar->setObjectName(u"sidebar"_s);
    m_sidebar->setIconSize(QSize(22, 22));
    m_sidebar->setFixedWidth(190);
    m_sidebar->setFrameShape(QFrame::NoFrame);
    m_sidebar->setFocusPolicy(Qt::NoFocus);
    m_sidebar->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_sidebar->setStyleSheet(u"QListWidget#sidebar { background: palette(window); border-right: 1px solid palette(mid);"
                             " padding-top: 8px; }"
                             "QListWidget#sidebar::item { padding: 8px 10px; margin: 1px 6px; border-radius: 4px; }"
                             "QListWidget#sidebar::item:selected { background: palette(highlight);"
                             " color: palette(highlighted-text); }"_s);
    layout->addWidget(m_sidebar);

    m_pages = new QStackedWidget;
    m_pages->setObjectName(u"pages"_s);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);

    connect(m_sidebar, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);

    m_serverPage = new ServerPage(m_runtime);
    m_serverPage->setObjectName(u"serverPage"_s);
    addPage(themedIcon(u"network-server"_s, QStyle::SP_ComputerIcon, style()), tr("Server"), m_serverPage);
    if (catalog::CatalogService *catalog = m_runtime.catalog()) {
        m_productsPage = new ProductsPage(*catalog, m_runtime.catalogEvents());
        m_productsPage->setObjectName(u"productsPage"_s);
        addPage(themedIcon(u"package-x-generic"_s, QStyle::SP_DirIcon, style()), tr("Products"), m_productsPage);
    }
    if (orders::OrderService *orders = m_runtime.orders()) {
        m_ordersPage = new OrdersPage(*orders, m_runtime.catalogEvents());
        m_ordersPage->setObjectName(u"ordersPage"_s);
        addPage(themedIcon(u"view-list-details"_s, QStyle::SP_FileDialogListView, style()), tr("Orders"),
                m_ordersPage);
    }
    if (m_runtime.database() && m_runtime.catalog()) {
        m_inventoryPage = new InventoryPage(*m_runtime.database(), *m_runtime.catalog(), m_runtime.catalogEvents());
        m_inventoryPage->setObjectName(u"inventoryPage"_s);
        addPage(themedIcon(u"view-sort-ascending"_s, QStyle::SP_FileDialogContentsView, style()), tr("Inventory"),
                m_inventoryPage);
        // The ledger's order link: the Orders page, showing that order.
        if (m_ordersPage) {
            connect(m_inventoryPage, &InventoryPage::orderRequested, this, [this](qint64 orderId) {
                m_ordersPage->showOrder(orderId);
                m_sidebar->setCurrentRow(m_pages->indexOf(m_ordersPage));
            });
        }
    }
    // Admin pages; setSignedInUser() takes them away again for staff.
    if (auth::UserAdmin *admin = m_runtime.userAdmin()) {
        m_usersPage = new UsersPage(*admin);
        m_usersPage->setObjectName(u"usersPage"_s);
        addPage(themedIcon(u"system-users"_s, QStyle::SP_DirHomeIcon, style()), tr("Users"), m_usersPage);
        m_auditPage = new AuditPage(*admin);
        m_auditPage->setObjectName(u"auditPage"_s);
        addPage(themedIcon(u"document-open-recent"_s, QStyle::SP_FileDialogInfoView, style()), tr("Audit log"),
                m_auditPage);
    }
    if (db::Database *database = m_runtime.database()) {
        m_outboxPage = new OutboxPage(*database);
        m_outboxPage->setObjectName(u"outboxPage"_s);
        addPage(themedIcon(u"mail-send"_s, QStyle::SP_FileDialogListView, style()), tr("Outbox"), m_outboxPage);
    }
    showPage(0);

    createActions();

    m_restartNotice = new QLabel;
    m_restartNotice->setObjectName(u"restartNotice"_s);
    m_restartNotice->hide();
    statusBar()->addWidget(m_restartNotice);
    m_signedIn = new QLabel;
    m_signedIn->setObjectName(u"signedInStatus"_s);
    m_signedIn->hide();
    statusBar()->addPermanentWidget(m_signedIn);
    auto *serving = new QLabel(tr("Serving %1").arg(m_runtime.url()));
    serving->setObjectName(u"servingStatus"_s);
    statusBar()->addPermanentWidget(serving);
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    auto *settings = new QAction(themedIcon(u"preferences-system"_s, QStyle::SP_FileDialogDetailedView, style()),
                                 tr("&Settings\u2026"), this);
    settings->setObjectName(u"settingsAction"_s);
    settings->setShortcut(QKeySequence::Preferences);
    settings->setStatusTip(tr("Choose the database ShopDesk uses"));
    connect(settings, &QAction::triggered, this, &MainWindow::openSettings);

    auto *storefront = new QAction(themedIcon(u"internet-web-browser"_s, QStyle::SP_DirLinkIcon, style()),
                                   tr("Open &Storefront"), this);
    storefront->setObjectName(u"openStorefrontAction"_s);
    storefront->setStatusTip(tr("Open the shop's web pages in your browser"));
    connect(storefront, &QAction::triggered, this, &MainWindow::openStorefront);

    auto *quit = new QAction(themedIcon(u"application-exit"_s, QStyle::SP_DialogCloseButton, style()), tr("&Quit"), this);
    quit->setObjectName(u"quitAction"_s);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);
    // Quitting the loop lets main() stop the runtime: drain HTTP, stop the cluster.
    connect(quit, &QAction::triggered, qApp, &QApplication::closeAllWindows);
    connect(quit, &QAction::triggered, qApp, &QCoreApplication::quit, Qt::QueuedConnection);

    auto *about = new QAction(tr("&About ShopDesk"), this);
    about->setMenuRole(QAction::AboutRole);
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About ShopDesk"),
                           tr("<h3>ShopDesk %1</h3><p>A small shop's whole e-commerce system: the admin "
                              "console, the shop's HTTP API and its storefront in one program.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });

    m_signOutAction = new QAction(themedIcon(u"system-log-out"_s, QStyle::SP_DialogResetButton, style()),
                                  tr("Sign &Out"), this);
    m_signOutAction->setObjectName(u"signOutAction"_s);
    m_signOutAction->setStatusTip(tr("Close the console and sign in as someone else"));
    m_signOutAction->setVisible(false); // there is someone to sign out only after setSignedInUser()
    connect(m_signOutAction, &QAction::triggered, this, &MainWindow::signOut);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(storefront);
    file->addSeparator();
    file->addAction(settings);
    file->addSeparator();
    file->addAction(m_signOutAction);
    file->addAction(quit);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(about);

    QToolBar *toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(u"mainToolBar"_s);
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(storefront);
    toolbar->addAction(settings);
}

int MainWindow::addPage(const QIcon &icon, const QString &title, QWidget *page)
{
    const int index = m_pages->addWidget(page);
    auto *item = new QListWidgetItem(icon, title, m_sidebar);
    item->setSizeHint(QSize(0, 38));
    return index;
}

void MainWindow::removePage(QWidget *page)
{
    const int index = m_pages->indexOf(page);
    if (index < 0)
        return;
    delete m_sidebar->takeItem(index);
    m_pages->removeWidget(page);
    delete page;
}

void MainWindow::setSignedInUser(const auth::User &user)
{
    m_user = user;
    const Actor who = actor();
    if (m_productsPage)
        m_productsPage->setActor(who);
    if (m_ordersPage)
        m_ordersPage->setActor(who);
    if (m_inventoryPage)
        m_inventoryPage->setActor(who);
    if (user.role != "admin"_L1) {
        // Accounts, the audit log and the outbox (whose bodies hold password-reset
        // links) are for admins only.
        removePage(m_usersPage);
        removePage(m_auditPage);
        removePage(m_outboxPage);
        m_usersPage = nullptr;
        m_auditPage = nullptr;
        m_outboxPage = nullptr;
    } else if (m_usersPage) {
        m_usersPage->setActor(who);
    }
    m_signedIn->setText(tr("Signed in as %1 (%2)").arg(user.email, user.role));
    m_signedIn->show();
    m_signOutAction->setVisible(true);
    setWindowTitle(tr("ShopDesk — %1").arg(user.email));
}

Actor MainWindow::actor() const
{
    if (m_user)
        return Actor{m_user->id, m_user->email, u"desktop"_s};
    return Actor{std::nullopt, u"desktop"_s, u"desktop"_s};
}

void MainWindow::signOut()
{
    // Hidden, not closed: closing the last window would quit the application, and
    // main() wants the login dialog next.
    hide();
    Q_EMIT signOutRequested();
}

void MainWindow::showPage(int index)
{
    m_sidebar->setCurrentRow(index);
}

void MainWindow::openStorefront()
{
    QDesktopServices::openUrl(QUrl(m_runtime.url()));
}

void MainWindow::setSecretStore(std::unique_ptr<SecretStore> secrets)
{
    delete m_settings.data(); // it holds a reference to the old store
    m_secrets = std::move(secrets);
}

SettingsDialog *MainWindow::settingsDialog() const
{
    return m_settings.data();
}

void MainWindow::openSettings()
{
    if (m_settings) {
        m_settings->raise();
        m_settings->activateWindow();
        return;
    }
    m_settings = new SettingsDialog(m_runtime.config().configFile, m_runtime.config().dataDir, *m_secrets, this);
    m_settings->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_settings, &SettingsDialog::saved, this, &MainWindow::settingsSaved);
    m_settings->open();
}

void MainWindow::settingsSaved(bool changed)
{
    if (!changed)
        return;
    m_restartNotice->setText(tr("Database setting saved \u2014 restart ShopDesk to use it."));
    m_restartNotice->show();
    // Non-blocking, so the counters keep running and tests are not stopped by it.
    auto *box = new QMessageBox(QMessageBox::Information, tr("Settings saved"),
                                tr("The database setting is saved. ShopDesk uses it the next time it starts; "
                                   "until then this session keeps its current database."),
                                QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace shop
