#pragma once

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace shop {

class ProductsPage;
class Runtime;
class SecretStore;
class ServerPage;
class SettingsDialog;

// The admin console: a sidebar of pages (Server now; the catalog, orders and the
// rest as their issues land) over the shop running in this process.
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
    // The open settings dialog, if any (tests drive it).
    SettingsDialog *settingsDialog() const;

public Q_SLOTS:
    void openSettings();
    void openStorefront();

private:
    void createActions();
    void settingsSaved(bool changed);

    Runtime &m_runtime;
    std::unique_ptr<SecretStore> m_secrets;
    QListWidget *m_sidebar = nullptr;
    QStackedWidget *m_pages = nullptr;
    ServerPage *m_serverPage = nullptr;
    ProductsPage *m_productsPage = nullptr;
    QLabel *m_restartNotice = nullptr;
    QPointer<SettingsDialog> m_settings;
};

} // namespace shop
