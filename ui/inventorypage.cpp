#include "inventorypage.h"

#include "catalog/catalogevents.h"
#include "catalog/catalogservice.h"
#include "inventorymodel.h"
#include "pagekit.h"
#include "productmodel.h"
#include "stockadjustdialog.h"
#include "widgetstyle.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QSettings>
#include <QShowEvent>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

constexpr int kSearchDelayMs = 250;
// A burst of notifications (an import, a busy checkout hour) becomes one reload.
constexpr int kChangeDelayMs = 200;
constexpr int kDefaultThreshold = 5;
constexpr auto kThresholdKey = "inventory/lowStockThreshold";

QTableView *makeTable(const QString &name, QWidget *owner)
{
    auto *view = new QTableView;
    view->setObjectName(name);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setShowGrid(false);
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideRight);
    view->verticalHeader()->hide();
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(owner->fontMetrics().height() + 10);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setStretchLastSection(false);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    return view;
}

QString quoted(const QString &text)
{
    return QString(u'\u201c' + text + u'\u201d');
}

} // namespace

template<typename Work, typename Done> void InventoryPage::run(Work work, Done done)
{
    ++m_tasks;
    updateBusy();
    runInBackground(this, std::move(work), [this, done = std::move(done)](auto result) mutable {
        --m_tasks;
        updateBusy();
        done(std::move(result));
    });
}

InventoryPage::InventoryPage(
    db::Database &database, catalog::CatalogService &catalog, catalog::CatalogEvents *events, QWidget *parent)
    : QWidget(parent)
    , m_inventory(database)
    , m_catalog(catalog)
    , m_actor {std::nullopt, u"desktop"_s, u"desktop"_s}
{
    m_model = new InventoryTableModel(this);
    m_model->setLowStockThreshold(
        qBound(0, QSettings().value(QLatin1StringView(kThresholdKey), kDefaultThreshold).toInt(), 1'000'000));
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(InventoryTableModel::SortRole);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_ledger = new StockLedgerModel(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 12);
    layout->setSpacing(10);
    const PageHeader header = makePageHeader(tr("Inventory"), u"inventory"_s);
    m_status = header.status;
    m_busy = header.busy;
    layout->addLayout(header.layout);

    createActions();
    layout->addWidget(m_toolbar);

    auto *filters = new QHBoxLayout;
    filters->setSpacing(10);
    m_search = new QLineEdit;
    m_search->setObjectName(u"inventorySearch"_s);
    m_search->setPlaceholderText(tr("Search SKU or name\u2026"));
    m_search->setClearButtonEnabled(true);
    m_search->addAction(
        themedIcon(u"edit-find"_s, QStyle::SP_FileDialogContentsView, style()), QLineEdit::LeadingPosition);
    filters->addWidget(m_search, 1);
    m_lowOnly = new QCheckBox(tr("&Low stock only"));
    m_lowOnly->setObjectName(u"lowStockOnly"_s);
    filters->addWidget(m_lowOnly);
    filters->addSpacing(8);
    auto *thresholdLabel = new QLabel(tr("Low-stock &threshold:"));
    filters->addWidget(thresholdLabel);
    m_threshold = new QSpinBox;
    m_threshold->setObjectName(u"lowStockThreshold"_s);
    m_threshold->setRange(0, 1'000'000);
    m_threshold->setGroupSeparatorShown(true);
    m_threshold->setValue(m_model->lowStockThreshold());
    m_threshold->setToolTip(tr("Products with this many or fewer available are highlighted"));
    m_threshold->setMinimumWidth(fontMetrics().horizontalAdvance(u'0') * 9);
    thresholdLabel->setBuddy(m_threshold);
    filters->addWidget(m_threshold);
    layout->addLayout(filters);

    m_message = new MessageBar(u"inventoryMessageBar"_s);
    layout->addWidget(m_message);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setChildrenCollapsible(false);
    m_view = makeTable(u"inventoryView"_s, this);
    m_view->setModel(m_proxy);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->addAction(m_adjustAction);
    const int digit = fontMetrics().horizontalAdvance(u'0');
    QHeaderView *columns = m_view->horizontalHeader();
    columns->setSectionResizeMode(InventoryTableModel::NameColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(InventoryTableModel::SkuColumn, digit * 16);
    m_view->setColumnWidth(InventoryTableModel::AvailableColumn, digit * 12);
    m_view->setColumnWidth(InventoryTableModel::ReservedColumn, digit * 12);
    m_view->setColumnWidth(InventoryTableModel::OnHandColumn, digit * 12);
    m_view->setColumnWidth(InventoryTableModel::StatusColumn, digit * 17);
    columns->setSortIndicator(-1, Qt::AscendingOrder); // the service's order: by SKU
    columns->setSortIndicatorClearable(true);
    m_view->setSortingEnabled(true);
    splitter->addWidget(m_view);

    auto *ledgerPane = new QWidget;
    auto *ledgerLayout = new QVBoxLayout(ledgerPane);
    ledgerLayout->setContentsMargins(0, 6, 0, 0);
    m_ledgerTitle = new QLabel;
    m_ledgerTitle->setObjectName(u"ledgerTitle"_s);
    m_ledgerTitle->setTextFormat(Qt::PlainText);
    QFont bold = m_ledgerTitle->font();
    bold.setBold(true);
    m_ledgerTitle->setFont(bold);
    ledgerLayout->addWidget(m_ledgerTitle);
    m_ledgerView = makeTable(u"ledgerView"_s, this);
    m_ledgerView->setModel(m_ledger);
    m_ledgerView->setMouseTracking(true);
    m_ledgerView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_ledgerView->addAction(m_openOrderAction);
    m_ledgerView->horizontalHeader()->setSectionResizeMode(
        StockLedgerModel::NoteColumn, QHeaderView::Stretch);
    m_ledgerView->setColumnWidth(StockLedgerModel::WhenColumn, digit * 18);
    m_ledgerView->setColumnWidth(StockLedgerModel::DeltaColumn, digit * 9);
    m_ledgerView->setColumnWidth(StockLedgerModel::StockAfterColumn, digit * 11);
    m_ledgerView->setColumnWidth(StockLedgerModel::ReasonColumn, digit * 24);
    m_ledgerView->setColumnWidth(StockLedgerModel::ActorColumn, digit * 22);
    m_ledgerView->setColumnWidth(StockLedgerModel::OrderColumn, digit * 12);
    ledgerLayout->addWidget(m_ledgerView);
    splitter->addWidget(ledgerPane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    // Wiring.
    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(kSearchDelayMs);
    connect(&m_searchDelay, &QTimer::timeout, this, &InventoryPage::load);
    connect(m_search, &QLineEdit::textChanged, &m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, &InventoryPage::load);
    connect(m_lowOnly, &QCheckBox::toggled, this, [this] {
        if (m_started)
            load();
    });
    connect(m_threshold, &QSpinBox::valueChanged, this, &InventoryPage::thresholdChanged);
    connect(m_view, &QTableView::doubleClicked, this, &InventoryPage::adjustStock);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        loadLedger();
    });
    connect(m_ledgerView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        &InventoryPage::updateActions);
    connect(m_ledgerView, &QTableView::clicked, this, [this](const QModelIndex &index) {
        const QVariant order = index.data(StockLedgerModel::OrderIdRole);
        if (index.column() == StockLedgerModel::OrderColumn && order.isValid())
            Q_EMIT orderRequested(order.toLongLong());
    });
    connect(m_ledgerView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const QVariant order = index.data(StockLedgerModel::OrderIdRole);
        if (index.column() != StockLedgerModel::OrderColumn && order.isValid())
            Q_EMIT orderRequested(order.toLongLong());
    });
    // The order cell behaves as a link: a pointing hand over it.
    connect(m_ledgerView, &QTableView::entered, this, [this](const QModelIndex &index) {
        const bool link = index.column() == StockLedgerModel::OrderColumn
            && index.data(StockLedgerModel::OrderIdRole).isValid();
        m_ledgerView->viewport()->setCursor(link ? Qt::PointingHandCursor : Qt::ArrowCursor);
    });
    connect(m_ledgerView, &QTableView::viewportEntered, this,
        [this] { m_ledgerView->viewport()->unsetCursor(); });
    // A refresh changes the row under the selection.
    connect(m_model, &QAbstractItemModel::layoutChanged, this, [this] {
        updateActions();
        updateLedgerTitle();
    });

    m_changeDelay.setSingleShot(true);
    m_changeDelay.setInterval(kChangeDelayMs);
    connect(&m_changeDelay, &QTimer::timeout, this, &InventoryPage::reloadStale);
    if (events) {
        // Emitted on the listener's thread: queued to this one.
        connect(
            events, &catalog::CatalogEvents::changed, this,
            [this](const QString &table) { catalogChanged(table); }, Qt::QueuedConnection);
    }

    updateLedgerTitle();
    updateActions();
}

InventoryPage::~InventoryPage()
{
    waitForBackgroundWork(this);
}

void InventoryPage::createActions()
{
    m_toolbar = new QToolBar(tr("Inventory"));
    m_toolbar->setObjectName(u"inventoryToolBar"_s);
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolbar->setIconSize(QSize(18, 18));
    const auto make = [this](const QString &name, const QString &text, const QString &icon,
                          QStyle::StandardPixmap fallback, const QString &tip) {
        auto *a = new QAction(themedIcon(icon, fallback, style()), text, this);
        a->setObjectName(name);
        a->setToolTip(tip);
        a->setStatusTip(tip);
        return a;
    };
    m_adjustAction = make(u"adjustInventoryAction"_s, tr("&Adjust stock\u2026"), u"view-sort-ascending"_s,
        QStyle::SP_ArrowUp, tr("Record stock received, returned, damaged or counted"));
    connect(m_adjustAction, &QAction::triggered, this, &InventoryPage::adjustStock);
    m_openOrderAction = make(u"openLedgerOrderAction"_s, tr("Open &order"), u"document-open"_s,
        QStyle::SP_FileDialogDetailedView, tr("Show the order of the selected movement on the Orders page"));
    connect(m_openOrderAction, &QAction::triggered, this, &InventoryPage::openLedgerOrder);
    m_refreshAction = make(u"refreshInventoryAction"_s, tr("Re&fresh"), u"view-refresh"_s,
        QStyle::SP_BrowserReload, tr("Load the stock levels again"));
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_refreshAction, &QAction::triggered, this, &InventoryPage::refresh);

    m_toolbar->addAction(m_adjustAction);
    m_toolbar->addAction(m_openOrderAction);
    auto *spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_toolbar->addWidget(spacer);
    m_toolbar->addAction(m_refreshAction);
    addAction(m_refreshAction);
}

QString InventoryPage::statusText() const
{
    return m_status->text();
}

QString InventoryPage::messageText() const
{
    return m_message->text();
}

QString InventoryPage::ledgerTitle() const
{
    return m_ledgerTitle->text();
}

StockAdjustDialog *InventoryPage::stockDialog() const
{
    return m_stockDialog.data();
}

int InventoryPage::lowStockThreshold() const
{
    return m_model->lowStockThreshold();
}

void InventoryPage::setLowStockThreshold(int threshold)
{
    m_threshold->setValue(threshold);
}

void InventoryPage::thresholdChanged(int threshold)
{
    m_model->setLowStockThreshold(threshold);
    QSettings().setValue(QLatin1StringView(kThresholdKey), threshold);
    updateStatus();
    if (m_started && m_lowOnly->isChecked())
        m_searchDelay.start(); // the server filters on it: one query after the spinning stops
}

void InventoryPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Nothing is queried until the page is first shown.
    if (!m_started) {
        m_started = true;
        m_stale = false;
        load();
    } else if (m_stale) {
        m_changeDelay.start();
    }
}

void InventoryPage::refresh()
{
    m_started = true;
    m_changeDelay.stop();
    m_stale = false;
    load();
    loadLedger();
}

void InventoryPage::load()
{
    m_searchDelay.stop();
    if (const auto current = currentLevel(); current && !m_pendingSelection)
        m_pendingSelection = current->productId;
    orders::InventoryFilter filter;
    filter.search = m_search->text().simplified();
    filter.lowStockOnly = m_lowOnly->isChecked();
    filter.lowStockThreshold = m_model->lowStockThreshold();
    filter.limit = ListLimit;
    const quint64 generation = ++m_generation;
    m_loading = true;
    run([&inventory = m_inventory, filter] { return inventory.levels(filter); },
        [this, generation](Result<QList<orders::StockLevel>> result) {
            if (generation != m_generation)
                return; // an older search answered late
            m_loading = false;
            if (!result) {
                m_message->showError(
                    tr("The stock levels could not be loaded: %1").arg(result.error().message()));
                return;
            }
            m_model->setLevels(std::move(*result));
            updateStatus();
            if (m_pendingSelection) {
                const qint64 id = *m_pendingSelection;
                m_pendingSelection.reset();
                if (m_model->rowOfProduct(id) >= 0)
                    selectProduct(id);
            }
            updateActions();
            updateLedgerTitle();
        });
}

void InventoryPage::loadLedger()
{
    const std::optional<orders::StockLevel> level = currentLevel();
    const quint64 generation = ++m_ledgerGeneration;
    updateLedgerTitle();
    if (!level) {
        m_ledgerProduct = 0;
        m_ledger->setMovements({});
        return;
    }
    if (level->productId != m_ledgerProduct) {
        m_ledgerProduct = level->productId;
        m_ledger->setMovements({}); // not the previous product's rows while this one loads
    }
    run([&catalog = m_catalog, id = level->productId] { return catalog.movements(id, LedgerLimit); },
        [this, generation](Result<QList<catalog::StockMovement>> result) {
            if (generation != m_ledgerGeneration)
                return;
            if (!result) {
                m_message->showError(
                    tr("The stock ledger could not be loaded: %1").arg(result.error().message()));
                return;
            }
            m_ledger->setMovements(std::move(*result));
            updateActions();
        });
}

std::optional<orders::StockLevel> InventoryPage::currentLevel() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return std::nullopt;
    return m_model->level(m_proxy->mapToSource(rows.first()).row());
}

void InventoryPage::selectProduct(qint64 id)
{
    const int row = m_model->rowOfProduct(id);
    if (row < 0) {
        m_pendingSelection = id;
        return;
    }
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, InventoryTableModel::NameColumn));
    m_view->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

void InventoryPage::catalogChanged(const QString &table)
{
    // Stock moves with products (adjustments, sales) and orders (reservations end
    // when an order is paid, cancelled or expires); "" after a reconnect.
    if (!table.isEmpty() && table != "products"_L1 && table != "orders"_L1)
        return;
    m_stale = true;
    if (m_started && isVisible() && !m_changeDelay.isActive())
        m_changeDelay.start();
}

void InventoryPage::reloadStale()
{
    if (m_loading) {
        m_changeDelay.start();
        return;
    }
    if (m_stale) {
        m_stale = false;
        load();
        loadLedger();
    }
}

void InventoryPage::updateActions()
{
    m_adjustAction->setEnabled(currentLevel().has_value());
    const QModelIndexList rows = m_ledgerView->selectionModel()->selectedRows();
    m_openOrderAction->setEnabled(
        !rows.isEmpty() && rows.first().data(StockLedgerModel::OrderIdRole).isValid());
}

void InventoryPage::updateLedgerTitle()
{
    const std::optional<orders::StockLevel> level = currentLevel();
    if (!level) {
        m_ledgerTitle->setText(tr("Stock ledger: select a product"));
        return;
    }
    const QLocale locale;
    m_ledgerTitle->setText(tr("Stock ledger of %1 \u2014 %2:  %3 available + %4 reserved = %5 on hand")
                               .arg(level->sku, level->name, locale.toString(level->available),
                                   locale.toString(level->reserved), locale.toString(level->onHand())));
}

void InventoryPage::updateStatus()
{
    const int count = m_model->rowCount();
    int low = 0;
    for (int row = 0; row < count; ++row) {
        const orders::StockLevel &l = m_model->level(row);
        if (l.active && m_model->isLowStock(l))
            ++low;
    }
    QString text = count == 1 ? tr("1 product") : tr("%1 products").arg(QLocale().toString(count));
    if (count >= ListLimit)
        text += tr(" (the first %1 by SKU; search to find others)").arg(QLocale().toString(ListLimit));
    if (low > 0)
        text += tr(", %1 at or below %2").arg(QLocale().toString(low)).arg(m_model->lowStockThreshold());
    m_status->setText(text);
}

void InventoryPage::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

void InventoryPage::adjustStock()
{
    const std::optional<orders::StockLevel> level = currentLevel();
    if (!level)
        return;
    if (m_stockDialog) {
        m_stockDialog->raise();
        m_stockDialog->activateWindow();
        return;
    }
    // The dialog reads the product afresh when it opens; these fields only fill it
    // until then.
    catalog::Product product;
    product.id = level->productId;
    product.sku = level->sku;
    product.name = level->name;
    product.stock = level->available;
    product.active = level->active;
    m_stockDialog = new StockAdjustDialog(m_catalog, product, m_actor, this);
    m_stockDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_stockDialog, &StockAdjustDialog::adjusted, this, [this](const catalog::Product &p) {
        m_message->showInfo(tr("Stock of %1 is now %2.").arg(quoted(p.name), QLocale().toString(p.stock)));
        load();
        loadLedger();
        Q_EMIT stockAdjusted(p.id);
    });
    m_stockDialog->open();
}

void InventoryPage::openLedgerOrder()
{
    const QModelIndexList rows = m_ledgerView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QVariant order = rows.first().data(StockLedgerModel::OrderIdRole);
    if (order.isValid())
        Q_EMIT orderRequested(order.toLongLong());
}

} // namespace shop
