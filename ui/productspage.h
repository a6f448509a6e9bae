#pragma once

#include "catalog/catalog.h"
#include "core/result.h"

#include <QMessageBox>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <optional>

class QAction;
class QCheckBox;
class QComboBox;
class QFrame;
class QLabel;
class QLineEdit;
class QProgressBar;
class QTableView;
class QToolBar;

namespace shop::catalog {
class CatalogEvents;
class CatalogService;
} // namespace shop::catalog

namespace shop {

class CategoriesDialog;
class ProductEditDialog;
class ProductTableModel;
class StockAdjustDialog;

// The catalog in the admin console: the product list with search and filters, and
// the actions on a product (edit, activate, delete, stock) and on categories. Every
// service call runs off the GUI thread; a busy bar shows while one does. The list
// follows CatalogEvents, so edits made elsewhere (another instance, the HTTP admin
// API, psql) show up here too.
class ProductsPage : public QWidget
{
    Q_OBJECT
public:
    // `events` may be null (no notification listener): the page then refreshes only
    // after its own writes and on Refresh.
    ProductsPage(catalog::CatalogService &service, catalog::CatalogEvents *events, QWidget *parent = nullptr);
    ~ProductsPage() override;

    ProductTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    bool isBusy() const;
    // What the status line says, e.g. "1,234 products".
    QString statusText() const;
    // The last message shown above the list (errors and confirmations of writes).
    QString messageText() const;

    // Who the page's writes are recorded as; "desktop (<login name>)" by default.
    const Actor &actor() const { return m_actor; }
    void setActor(Actor actor) { m_actor = std::move(actor); }

    // The categories as last loaded (filter combo, edit dialog).
    const QList<catalog::Category> &categories() const { return m_categories; }

    std::optional<catalog::Product> currentProduct() const;
    // Selects the product if it is among the loaded rows; else it is selected as soon
    // as a load brings it in.
    void selectProduct(qint64 id);

    // The open dialogs, if any (tests drive them).
    ProductEditDialog *editDialog() const;
    StockAdjustDialog *stockDialog() const;
    CategoriesDialog *categoriesDialog() const;

    // Every question the catalog views ask (deactivate, delete, ...) goes through
    // ask(). A test queues the answers with setNextAnswer(), and each question then
    // takes the next one instead of opening a modal box.
    static QMessageBox::StandardButton ask(QWidget *parent, const QString &title, const QString &text,
                                           const QString &acceptText);
    static void setNextAnswer(QMessageBox::StandardButton answer);
    static qsizetype queuedAnswers();
    static void clearQueuedAnswers();
    // The text of the last question asked (tests check what was asked).
    static QString lastQuestion();

public Q_SLOTS:
    void refresh();
    void newProduct();
    void editProduct();
    void toggleActive();
    void deleteProduct();
    void adjustStock();
    void editCategories();

Q_SIGNALS:
    void busyChanged(bool busy);

protected:
    void showEvent(QShowEvent *event) override;

private:
    template<typename Work, typename Done>
    void run(Work work, Done done);

    void createActions();
    void applyFilter();
    catalog::ProductFilter filterFromControls() const;
    void loadCategories();
    void setCategories(QList<catalog::Category> categories);
    void catalogChanged(const QString &table);
    void reloadStale();
    void updateActions();
    void updateStatus();
    void updateBusy();
    void modelLoaded();
    void showError(const QString &text);
    void showInfo(const QString &text);
    void showMessage(const QString &text, bool error);
    void setActive(const catalog::Product &product, bool active);
    void productSaved(const catalog::Product &product);

    catalog::CatalogService &m_service;
    Actor m_actor;
    ProductTableModel *m_model = nullptr;

    QToolBar *m_toolbar = nullptr;
    QAction *m_newAction = nullptr;
    QAction *m_editAction = nullptr;
    QAction *m_toggleAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_stockAction = nullptr;
    QAction *m_categoriesAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QLineEdit *m_search = nullptr;
    QComboBox *m_category = nullptr;
    QCheckBox *m_showInactive = nullptr;
    QCheckBox *m_lowStock = nullptr;
    QTableView *m_view = nullptr;
    QProgressBar *m_busy = nullptr;
    QLabel *m_status = nullptr;
    QFrame *m_messageBar = nullptr;
    QLabel *m_message = nullptr;

    QTimer m_searchDelay;
    QTimer m_changeDelay;
    QList<catalog::Category> m_categories;
    int m_tasks = 0;
    bool m_wasBusy = false;
    bool m_started = false;
    bool m_productsStale = false;
    bool m_categoriesStale = false;
    std::optional<qint64> m_pendingSelection;

    QPointer<ProductEditDialog> m_editDialog;
    QPointer<StockAdjustDialog> m_stockDialog;
    QPointer<CategoriesDialog> m_categoriesDialog;
};

} // namespace shop
