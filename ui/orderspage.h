#pragma once

#include "core/actor.h"
#include "core/result.h"
#include "orders/order.h"

#include <QHash>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QWidget>

#include <optional>

class QAction;
class QDialog;
class QLabel;
class QLineEdit;
class QProgressBar;
class QScrollArea;
class QSplitter;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;
class QToolBar;
class QTreeWidget;

namespace shop::catalog {
class CatalogEvents;
}

namespace shop::orders {
class OrderService;
}

namespace shop {

class MessageBar;
class OrderTableModel;

// Orders in the admin console: a status list with counts ("All" first), a search by
// order number ("SD-000042", "42") or email, the list, and the selected order in full —
// lines and totals, payments and refunds, where it goes, the customer's note, the
// shipment, and its timeline. The actions on it (mark paid, pack, ship, deliver,
// cancel; refund) are enabled as OrderService::legalActions allows; each runs off the
// GUI thread and the service writes order_events and the audit log as the page's
// actor. The packing slip prints or goes to PDF. The page follows CatalogEvents'
// "orders" changes, so orders placed on the storefront or changed by another instance
// show up without a click.
class OrdersPage : public QWidget
{
    Q_OBJECT
public:
    // `events` may be null (no notification listener): the page then refreshes only
    // after its own actions and on Refresh.
    OrdersPage(orders::OrderService &service, catalog::CatalogEvents *events, QWidget *parent = nullptr);
    ~OrdersPage() override;

    // Orders listed at most; the status line says when there are more.
    static constexpr int ListLimit = 500;

    const Actor &actor() const { return m_actor; }
    void setActor(Actor actor) { m_actor = std::move(actor); }

    OrderTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    bool isBusy() const { return m_tasks > 0; }
    // "12 orders", for the status chosen.
    QString statusText() const;
    QString messageText() const;

    // The status list: "" is All. Counts as last loaded (the search applies).
    QString statusFilter() const;
    void setStatusFilter(const QString &status);
    qint64 statusCount(const QString &status) const;
    void setSearchText(const QString &text);

    // The order in the detail pane, as last loaded (lines, events, payments included).
    std::optional<orders::Order> currentOrder() const { return m_detail; }
    // Selects the order if listed; else as soon as a load brings it in.
    void selectOrder(qint64 id);
    // Lists every status and searches for the order's number, then selects it: where
    // the Inventory ledger's order link lands.
    void showOrder(qint64 id);
    // The detail pane's text, as an admin reads it (tests check what it shows).
    QString detailText() const;
    QString timelineText() const;
    QTreeWidget *linesView() const { return m_linesView; }
    QTreeWidget *paymentsView() const { return m_paymentsView; }

    // The open ship, cancel or refund dialog, if any (tests drive it by object name).
    QDialog *actionDialog() const { return m_dialog.data(); }
    QAction *action(orders::Action action) const;
    QAction *refundAction() const { return m_refundAction; }

public Q_SLOTS:
    void refresh();
    void markPaid();
    void pack();
    void ship();
    void deliver();
    void cancelOrder();
    void refund();
    void printPackingSlip();
    // Asks where when `path` is empty.
    void exportPackingSlip(const QString &path = QString());

Q_SIGNALS:
    void busyChanged(bool busy);
    // After every successful action (the Audit and Inventory pages have news).
    void orderChanged(qint64 orderId);

protected:
    void showEvent(QShowEvent *event) override;

private:
    template<typename Work, typename Done> void run(Work work, Done done);

    void createActions();
    QWidget *createDetailPane();
    void load();
    void loadDetail();
    void showDetail(const std::optional<orders::Order> &order);
    void selectionChanged();
    void ordersChanged(const QString &table, const QList<qint64> &ids);
    void reloadStale();
    void setCounts(const QList<std::pair<QString, qint64>> &counts, qint64 all);
    void transition(const orders::TransitionInput &input, const QString &done);
    void applyResult(const Result<orders::Order> &result, const QString &done);
    void updateActions();
    void updateBusy();
    std::optional<qint64> selectedOrderId() const;

    orders::OrderService &m_service;
    Actor m_actor;
    OrderTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;

    QToolBar *m_toolbar = nullptr;
    QHash<int, QAction *> m_actions; // by orders::Action
    QAction *m_refundAction = nullptr;
    QAction *m_printAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QTreeWidget *m_statusList = nullptr;
    QLineEdit *m_search = nullptr;
    QSplitter *m_splitter = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_busy = nullptr;
    MessageBar *m_message = nullptr;

    QStackedWidget *m_detailStack = nullptr;
    QScrollArea *m_detailScroll = nullptr;
    QLabel *m_detailNumber = nullptr;
    QLabel *m_detailBadges = nullptr;
    QLabel *m_detailMeta = nullptr;
    QTreeWidget *m_linesView = nullptr;
    QLabel *m_totals = nullptr;
    QLabel *m_paymentsTitle = nullptr;
    QTreeWidget *m_paymentsView = nullptr;
    QLabel *m_shipTo = nullptr;
    QLabel *m_shipment = nullptr;
    QLabel *m_noteTitle = nullptr;
    QLabel *m_note = nullptr;
    QLabel *m_timeline = nullptr;

    QTimer m_searchDelay;
    QTimer m_changeDelay;
    QHash<QString, qint64> m_counts; // "" is All
    std::optional<orders::Order> m_detail;
    std::optional<qint64> m_pendingSelection;
    QPointer<QDialog> m_dialog;
    int m_tasks = 0;
    bool m_wasBusy = false;
    bool m_started = false;
    bool m_loading = false;
    bool m_acting = false;
    bool m_applyingRows = false;
    bool m_stale = false;
    bool m_detailStale = false;
    quint64 m_generation = 0;
    quint64 m_detailGeneration = 0;
};

} // namespace shop
