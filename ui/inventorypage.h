#pragma once

#include "core/actor.h"
#include "orders/inventory.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <optional>

class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QToolBar;

namespace shop::catalog {
class CatalogEvents;
class CatalogService;
} // namespace shop::catalog

namespace shop::db {
class Database;
}

namespace shop {

class InventoryTableModel;
class MessageBar;
class StockAdjustDialog;
class StockLedgerModel;

// Stock in the admin console: every product's available, reserved (in unpaid orders)
// and on-hand units, with the ones at or below a low-stock threshold highlighted (the
// threshold is the admin's, kept in QSettings); search and a low-stock-only filter;
// "Adjust…" records a change through the stock dialog; and the selected product's
// ledger — who changed its stock, when, why, and for which order (a link to it). Reads
// run off the GUI thread; the page follows CatalogEvents ("products" and "orders"
// changes from any instance).
class InventoryPage : public QWidget
{
    Q_OBJECT
public:
    // `events` may be null: the page then refreshes only after its own writes and on
    // Refresh.
    InventoryPage(db::Database &database, catalog::CatalogService &catalog, catalog::CatalogEvents *events,
        QWidget *parent = nullptr);
    ~InventoryPage() override;

    static constexpr int ListLimit = 2000;
    static constexpr int LedgerLimit = 200;

    const Actor &actor() const { return m_actor; }
    void setActor(Actor actor) { m_actor = std::move(actor); }

    InventoryTableModel *model() const { return m_model; }
    StockLedgerModel *ledgerModel() const { return m_ledger; }
    QTableView *view() const { return m_view; }
    QTableView *ledgerView() const { return m_ledgerView; }
    bool isBusy() const { return m_tasks > 0; }
    QString statusText() const;
    QString messageText() const;
    QString ledgerTitle() const;

    int lowStockThreshold() const;
    void setLowStockThreshold(int threshold);

    std::optional<orders::StockLevel> currentLevel() const;
    // Selects the product if listed; else as soon as a load brings it in.
    void selectProduct(qint64 id);
    // The open stock dialog, if any (tests drive it).
    StockAdjustDialog *stockDialog() const;

public Q_SLOTS:
    void refresh();
    void adjustStock();
    // Asks for the Orders page with the selected ledger row's order.
    void openLedgerOrder();

Q_SIGNALS:
    void busyChanged(bool busy);
    // The ledger's order link: MainWindow shows the Orders page with this order.
    void orderRequested(qint64 orderId);
    void stockAdjusted(qint64 productId);

protected:
    void showEvent(QShowEvent *event) override;

private:
    template<typename Work, typename Done> void run(Work work, Done done);

    void createActions();
    void load();
    void loadLedger();
    void catalogChanged(const QString &table);
    void reloadStale();
    void thresholdChanged(int threshold);
    void updateActions();
    void updateLedgerTitle();
    void updateStatus();
    void updateBusy();

    orders::InventoryService m_inventory;
    catalog::CatalogService &m_catalog;
    Actor m_actor;
    InventoryTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    StockLedgerModel *m_ledger = nullptr;

    QToolBar *m_toolbar = nullptr;
    QAction *m_adjustAction = nullptr;
    QAction *m_openOrderAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QLineEdit *m_search = nullptr;
    QCheckBox *m_lowOnly = nullptr;
    QSpinBox *m_threshold = nullptr;
    QTableView *m_view = nullptr;
    QTableView *m_ledgerView = nullptr;
    QLabel *m_ledgerTitle = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_busy = nullptr;
    MessageBar *m_message = nullptr;
    QPointer<StockAdjustDialog> m_stockDialog;

    QTimer m_searchDelay;
    QTimer m_changeDelay;
    std::optional<qint64> m_pendingSelection;
    qint64 m_ledgerProduct = 0;
    int m_tasks = 0;
    bool m_wasBusy = false;
    bool m_started = false;
    bool m_loading = false;
    bool m_stale = false;
    quint64 m_generation = 0;
    quint64 m_ledgerGeneration = 0;
};

} // namespace shop
