#pragma once

#include "auth/authservice.h"
#include "core/actor.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <optional>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace shop {

class AuditPage;
class InventoryPage;
class OrdersPage;
class OutboxPage;
class ProductsPage;
class Runtime;
class SecretStore;
class ServerPage;
class SettingsDialog;
class UsersPage;

// The admin console: a sidebar of pages (Server, Products, Orders, Inventory, and for
// admins Users, Audit log and Outbox) over the shop running in this process. main() signs someone
// in first and passes them to setSignedInUser(); without a signed-in user (tests) the
// window shows every page and records changes as "desktop".
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(Runtime &runtime, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Appends a page to the sidebar; returns its index.
    int addPage(const QIcon &icon, const QString &title, QWidget *page);
    void showPage(int index);

    // Where the settings dialog keeps the database password; by default the system
    // keyring with the file fallback. Tests pass a file-only store.
    void setSecretStore(std::unique_ptr<SecretStore> secrets);

    ServerPage *serverPage() const { return m_serverPage; }
    // Null when the runtime has no catalog (no database opened).
    ProductsPage *productsPage() const { return m_productsPage; }
    // Null when the runtime has no order service (no database opened).
    OrdersPage *ordersPage() const { return m_ordersPage; }
    InventoryPage *inventoryPage() const { return m_inventoryPage; }
    // Null without a database, and for a signed-in user who is not an admin.
    UsersPage *usersPage() const { return m_usersPage; }
    AuditPage *auditPage() const { return m_auditPage; }
    OutboxPage *outboxPage() const { return m_outboxPage; }

    // Who uses the console: their changes are recorded as them, and the admin-only
    // pages go away for staff.
    void setSignedInUser(const auth::User &user);
    const std::optional<auth::User> &signedInUser() const { return m_user; }
    // The signed-in user, or "desktop" with no user id.
    Actor actor() const;
    // The open settings dialog, if any (tests drive it).
    SettingsDialog *settingsDialog() const;

public Q_SLOTS:
    void openSettings();
    void openStorefront();
    // Hides the window and asks main() for the login dialog again.
    void signOut();

Q_SIGNALS:
    void signOutRequested();

private:
    void createActions();
    void settingsSaved(bool changed);
    void removePage(QWidget *page);

    Runtime &m_runtime;
    std::unique_ptr<SecretStore> m_secrets;
    QListWidget *m_sidebar = nullptr;
    QStackedWidget *m_pages = nullptr;
    ServerPage *m_serverPage = nullptr;
    ProductsPage *m_productsPage = nullptr;
    OrdersPage *m_ordersPage = nullptr;
    InventoryPage *m_inventoryPage = nullptr;
    UsersPage *m_usersPage = nullptr;
    AuditPage *m_auditPage = nullptr;
    OutboxPage *m_outboxPage = nullptr;
    QLabel *m_restartNotice = nullptr;
    QLabel *m_signedIn = nullptr;
    QAction *m_signOutAction = nullptr;
    std::optional<auth::User> m_user;
    QPointer<SettingsDialog> m_settings;
};

} // namespace shop
