#include "orderspage.h"

#include "catalog/catalogevents.h"
#include "core/money.h"
#include "ordermodel.h"
#include "orders/orderservice.h"
#include "packingslip.h"
#include "pagekit.h"
#include "productmodel.h"
#include "widgetstyle.h"

#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QShowEvent>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTextDocument>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// Typing "ann@" runs one query, not four.
constexpr int kSearchDelayMs = 250;
// A burst of notifications (a busy checkout hour) becomes one reload.
constexpr int kChangeDelayMs = 200;

// The lines and payments tables show this many rows before they scroll.
constexpr int kMaxLineRows = 8;
constexpr int kMaxPaymentRows = 5;

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QLabel *sectionTitle(const QString &text)
{
    auto *label = new QLabel(text);
    QFont bold = label->font();
    bold.setBold(true);
    label->setFont(bold);
    return label;
}

QLabel *textLabel(const QString &name)
{
    auto *label = new QLabel;
    label->setObjectName(name);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    return label;
}

QTreeWidget *detailTable(const QString &name, const QStringList &headers)
{
    auto *tree = new QTreeWidget;
    tree->setObjectName(name);
    tree->setRootIsDecorated(false);
    tree->setUniformRowHeights(true);
    tree->setAlternatingRowColors(true);
    tree->setSelectionMode(QAbstractItemView::NoSelection);
    tree->setFocusPolicy(Qt::NoFocus);
    tree->setTextElideMode(Qt::ElideRight);
    tree->setHeaderLabels(headers);
    tree->header()->setStretchLastSection(false);
    tree->header()->setSectionsMovable(false);
    tree->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    tree->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    // Air between the columns: money next to money must not run together.
    tree->setStyleSheet(u"QTreeView::item { padding: 2px 10px 2px 2px; }"_s);
    return tree;
}

// As tall as its rows (up to `maxRows`, then it scrolls), so the detail pane scrolls
// as one page rather than as boxes inside a box.
void fitToRows(QTreeWidget *tree, int maxRows)
{
    const int rows = qMax(1, qMin(tree->topLevelItemCount(), maxRows));
    const int rowHeight
        = qMax(tree->topLevelItemCount() > 0 ? tree->sizeHintForRow(0) : 0, tree->fontMetrics().height() + 4);
    const int header = tree->header()->isHidden() ? 0 : tree->header()->sizeHint().height();
    tree->setFixedHeight(header + rows * rowHeight + 2 * tree->frameWidth() + 2);
}

QString badge(const QString &text, const QColor &color)
{
    const QColor c = color.isValid() ? color : QColor(0x5f, 0x63, 0x68);
    return u"<span style=\"color: %1; font-weight: 600;\">\u25cf %2</span>"_s.arg(c.name(), esc(text));
}

// What one timeline step says: the status change, or "Noted while …" when the status
// did not change (a partial refund, a payment noted on a cancelled order).
QString stepText(const orders::OrderEvent &e)
{
    if (e.fromStatus.isEmpty())
        return OrdersPage::tr("Placed \u2014 %1").arg(orderStatusText(e.toStatus));
    if (e.fromStatus == e.toStatus)
        return OrdersPage::tr("Noted while %1").arg(orderStatusText(e.toStatus).toLower());
    return OrdersPage::tr("%1 \u2192 %2").arg(orderStatusText(e.fromStatus), orderStatusText(e.toStatus));
}

// "19.99" or "19,99" (the locale's decimal point, group separators ignored) in cents.
Result<qint64> parseAmount(const QString &text)
{
    const QLocale locale;
    QString plain = text.trimmed();
    plain.remove(locale.groupSeparator());
    plain.replace(locale.decimalPoint(), u"."_s);
    return money::parseCents(plain);
}

QString plainAmount(qint64 cents)
{
    QString text = money::format(cents);
    return text.replace(u'.', QLocale().decimalPoint());
}

QDialogButtonBox *dialogButtons(
    QDialog *dialog, const QString &acceptText, const QString &rejectText = QString())
{
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(acceptText);
    if (!rejectText.isEmpty())
        buttons->button(QDialogButtonBox::Cancel)->setText(rejectText);
    QObject::connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    return buttons;
}

} // namespace

template<typename Work, typename Done> void OrdersPage::run(Work work, Done done)
{
    ++m_tasks;
    updateBusy();
    runInBackground(this, std::move(work), [this, done = std::move(done)](auto result) mutable {
        --m_tasks;
        updateBusy();
        done(std::move(result));
    });
}

OrdersPage::OrdersPage(orders::OrderService &service, catalog::CatalogEvents *events, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_actor {std::nullopt, u"desktop"_s, u"desktop"_s}
{
    m_model = new OrderTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(OrderTableModel::SortRole);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 12);
    layout->setSpacing(10);
    const PageHeader header = makePageHeader(tr("Orders"), u"orders"_s);
    m_status = header.status;
    m_busy = header.busy;
    layout->addLayout(header.layout);

    createActions();
    layout->addWidget(m_toolbar);

    m_message = new MessageBar(u"ordersMessageBar"_s);
    layout->addWidget(m_message);

    // Left: the statuses with their counts. Right: search, list, detail.
    auto *body = new QHBoxLayout;
    body->setSpacing(12);
    m_statusList = new QTreeWidget;
    m_statusList->setObjectName(u"statusList"_s);
    m_statusList->setColumnCount(2);
    m_statusList->setHeaderHidden(true);
    m_statusList->setRootIsDecorated(false);
    m_statusList->setUniformRowHeights(true);
    m_statusList->setFocusPolicy(Qt::StrongFocus);
    m_statusList->header()->setStretchLastSection(false);
    m_statusList->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_statusList->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_statusList->setStyleSheet(u"QTreeWidget#statusList::item { padding: 5px 2px; }"_s);
    const int digit = fontMetrics().horizontalAdvance(u'0');
    m_statusList->setFixedWidth(digit * 26);
    const auto addStatus = [this](const QString &status, const QString &text) {
        auto *item = new QTreeWidgetItem(m_statusList, {text, u"0"_s});
        item->setData(0, Qt::UserRole, status);
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        if (const QColor c = orderStatusColor(status); c.isValid() && !status.isEmpty())
            item->setForeground(1, c);
        return item;
    };
    QTreeWidgetItem *all = addStatus(QString(), tr("All orders"));
    QFont bold = all->font(0);
    bold.setBold(true);
    all->setFont(0, bold);
    all->setFont(1, bold);
    for (const QString &status : orders::allStatuses())
        addStatus(status, orderStatusText(status));
    m_statusList->setCurrentItem(all);
    body->addWidget(m_statusList);

    auto *right = new QVBoxLayout;
    right->setSpacing(8);
    m_search = new QLineEdit;
    m_search->setObjectName(u"orderSearch"_s);
    m_search->setPlaceholderText(tr("Search order number (SD-000042 or 42) or customer email\u2026"));
    m_search->setClearButtonEnabled(true);
    m_search->addAction(
        themedIcon(u"edit-find"_s, QStyle::SP_FileDialogContentsView, style()), QLineEdit::LeadingPosition);
    right->addWidget(m_search);

    auto *splitter = new QSplitter(Qt::Vertical);
    m_splitter = splitter;
    splitter->setObjectName(u"ordersSplitter"_s);
    splitter->setChildrenCollapsible(false);
    m_view = new QTableView;
    m_view->setObjectName(u"ordersView"_s);
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    QHeaderView *columns = m_view->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setStretchLastSection(false);
    columns->setSectionResizeMode(QHeaderView::Interactive);
    columns->setSectionResizeMode(OrderTableModel::EmailColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(OrderTableModel::NumberColumn, digit * 12);
    m_view->setColumnWidth(OrderTableModel::DateColumn, digit * 17);
    m_view->setColumnWidth(OrderTableModel::CustomerColumn, digit * 18);
    m_view->setColumnWidth(OrderTableModel::ItemsColumn, digit * 7);
    m_view->setColumnWidth(OrderTableModel::TotalColumn, digit * 13);
    m_view->setColumnWidth(OrderTableModel::StatusColumn, digit * 17);
    m_view->setColumnWidth(OrderTableModel::PaymentColumn, digit * 19);
    columns->setMinimumSectionSize(digit * 6);
    columns->setSortIndicator(-1, Qt::AscendingOrder); // the service's order: newest first
    columns->setSortIndicatorClearable(true);
    m_view->setSortingEnabled(true);
    for (orders::Action a : {orders::Action::MarkPaid, orders::Action::Pack, orders::Action::Ship,
             orders::Action::Deliver, orders::Action::Cancel})
        m_view->addAction(action(a));
    m_view->addAction(m_refundAction);
    splitter->addWidget(m_view);
    splitter->addWidget(createDetailPane());
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    right->addWidget(splitter, 1);
    body->addLayout(right, 1);
    layout->addLayout(body, 1);

    // Wiring.
    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(kSearchDelayMs);
    connect(&m_searchDelay, &QTimer::timeout, this, &OrdersPage::load);
    connect(m_search, &QLineEdit::textChanged, &m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, &OrdersPage::load);
    connect(m_statusList, &QTreeWidget::currentItemChanged, this, [this] {
        if (m_started)
            load();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        &OrdersPage::selectionChanged);

    m_changeDelay.setSingleShot(true);
    m_changeDelay.setInterval(kChangeDelayMs);
    connect(&m_changeDelay, &QTimer::timeout, this, &OrdersPage::reloadStale);
    if (events) {
        // Emitted on the listener's thread: queued to this one.
        connect(
            events, &catalog::CatalogEvents::changed, this, &OrdersPage::ordersChanged, Qt::QueuedConnection);
    }

    showDetail(std::nullopt);
    updateActions();
}

OrdersPage::~OrdersPage()
{
    waitForBackgroundWork(this);
}

void OrdersPage::createActions()
{
    m_toolbar = new QToolBar(tr("Orders"));
    m_toolbar->setObjectName(u"ordersToolBar"_s);
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
    const auto add = [this](orders::Action which, QAction *a, void (OrdersPage::*slot)()) {
        m_actions.insert(int(which), a);
        connect(a, &QAction::triggered, this, slot);
        m_toolbar->addAction(a);
    };
    add(orders::Action::MarkPaid,
        make(u"markPaidAction"_s, tr("Mark &paid"), u"wallet-open"_s, QStyle::SP_DialogApplyButton,
            tr("Record that the customer paid (cash, bank transfer)")),
        &OrdersPage::markPaid);
    add(orders::Action::Pack,
        make(u"packAction"_s, tr("P&ack"), u"package-x-generic"_s, QStyle::SP_DirClosedIcon,
            tr("The parcel is packed and waits for the carrier")),
        &OrdersPage::pack);
    add(orders::Action::Ship,
        make(u"shipAction"_s, tr("&Ship\u2026"), u"mail-send"_s, QStyle::SP_ArrowRight,
            tr("Handed to the carrier: record the carrier and tracking number")),
        &OrdersPage::ship);
    add(orders::Action::Deliver,
        make(u"deliverAction"_s, tr("&Delivered"), u"mail-mark-read"_s, QStyle::SP_DialogYesButton,
            tr("The customer received the parcel")),
        &OrdersPage::deliver);
    m_toolbar->addSeparator();
    add(orders::Action::Cancel,
        make(u"cancelOrderAction"_s, tr("&Cancel\u2026"), u"process-stop"_s, QStyle::SP_DialogCancelButton,
            tr("Cancel the order and put its items back in stock")),
        &OrdersPage::cancelOrder);
    m_refundAction = make(u"refundAction"_s, tr("&Refund\u2026"), u"edit-undo"_s, QStyle::SP_ArrowBack,
        tr("Give money back to the customer, in full or in part"));
    connect(m_refundAction, &QAction::triggered, this, &OrdersPage::refund);
    m_toolbar->addAction(m_refundAction);
    m_toolbar->addSeparator();

    m_printAction = make(u"printSlipAction"_s, tr("&Print packing slip\u2026"), u"document-print"_s,
        QStyle::SP_FileIcon, tr("Print the slip that goes in the parcel"));
    m_printAction->setShortcut(QKeySequence::Print);
    m_printAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_printAction, &QAction::triggered, this, &OrdersPage::printPackingSlip);
    m_exportAction = make(u"exportSlipAction"_s, tr("&Export packing slip as PDF\u2026"),
        u"document-save-as"_s, QStyle::SP_DialogSaveButton, tr("Save the packing slip as a PDF file"));
    connect(m_exportAction, &QAction::triggered, this, [this] { exportPackingSlip(); });
    // One button with a menu: both are about the same slip.
    auto *slip = new QToolButton;
    slip->setObjectName(u"packingSlipButton"_s);
    slip->setDefaultAction(m_printAction);
    slip->setText(tr("Packing slip"));
    slip->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    slip->setPopupMode(QToolButton::MenuButtonPopup);
    auto *menu = new QMenu(slip);
    menu->addAction(m_printAction);
    menu->addAction(m_exportAction);
    slip->setMenu(menu);
    m_toolbar->addWidget(slip);
    // The default action renames the button after itself; keep the short label.
    connect(m_printAction, &QAction::changed, slip, [slip] { slip->setText(tr("Packing slip")); });

    m_refreshAction = make(u"refreshOrdersAction"_s, tr("Re&fresh"), u"view-refresh"_s,
        QStyle::SP_BrowserReload, tr("Load the list again"));
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_refreshAction, &QAction::triggered, this, &OrdersPage::refresh);
    auto *spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_toolbar->addWidget(spacer);
    m_toolbar->addAction(m_refreshAction);
    addAction(m_refreshAction);
    addAction(m_printAction);
}

QWidget *OrdersPage::createDetailPane()
{
    m_detailStack = new QStackedWidget;
    m_detailStack->setObjectName(u"orderDetail"_s);

    auto *empty = new QLabel(tr("Select an order to see its lines, payments, address and timeline."));
    empty->setObjectName(u"orderDetailEmpty"_s);
    empty->setAlignment(Qt::AlignCenter);
    empty->setWordWrap(true);
    setMuted(empty);
    m_detailStack->addWidget(empty);

    m_detailScroll = new QScrollArea;
    m_detailScroll->setWidgetResizable(true);
    m_detailScroll->setFrameShape(QFrame::NoFrame);
    m_detailScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *pane = new QWidget;
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(2, 10, 10, 6);
    layout->setSpacing(6);

    // Number, status and payment, when and who.
    auto *titleRow = new QHBoxLayout;
    titleRow->setSpacing(14);
    m_detailNumber = new QLabel;
    m_detailNumber->setObjectName(u"orderNumberLabel"_s);
    m_detailNumber->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont numberFont = m_detailNumber->font();
    numberFont.setPointSizeF(numberFont.pointSizeF() * 1.35);
    numberFont.setBold(true);
    m_detailNumber->setFont(numberFont);
    titleRow->addWidget(m_detailNumber, 0, Qt::AlignBaseline);
    m_detailBadges = new QLabel;
    m_detailBadges->setObjectName(u"orderStatusLabel"_s);
    m_detailBadges->setTextFormat(Qt::RichText);
    titleRow->addWidget(m_detailBadges, 0, Qt::AlignBaseline);
    titleRow->addStretch();
    layout->addLayout(titleRow);
    m_detailMeta = textLabel(u"orderMetaLabel"_s);
    setMuted(m_detailMeta);
    layout->addWidget(m_detailMeta);
    layout->addSpacing(4);

    // Three columns: what was bought and paid | where it goes | what happened.
    auto *columns = new QHBoxLayout;
    columns->setSpacing(24);
    auto *left = new QVBoxLayout;
    left->setSpacing(6);
    left->addWidget(sectionTitle(tr("Items")));
    m_linesView
        = detailTable(u"orderLinesView"_s, {tr("SKU"), tr("Item"), tr("Qty"), tr("Unit price"), tr("Total")});
    m_linesView->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_linesView->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    for (int column : {2, 3, 4})
        m_linesView->headerItem()->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
    left->addWidget(m_linesView);
    m_totals = new QLabel;
    m_totals->setObjectName(u"orderTotalsLabel"_s);
    m_totals->setTextFormat(Qt::RichText);
    m_totals->setAlignment(Qt::AlignRight | Qt::AlignTop);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Under the lines' money columns: a rich-text table keeps to the left of its label.
    auto *totalsRow = new QHBoxLayout;
    totalsRow->addStretch();
    totalsRow->addWidget(m_totals);
    left->addLayout(totalsRow);
    m_paymentsTitle = sectionTitle(tr("Payments and refunds"));
    left->addWidget(m_paymentsTitle);
    m_paymentsView = detailTable(u"paymentsView"_s, {tr("When"), tr("Kind"), tr("Amount"), tr("By and why")});
    m_paymentsView->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_paymentsView->header()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_paymentsView->headerItem()->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
    left->addWidget(m_paymentsView);
    left->addStretch();
    columns->addLayout(left, 8);

    auto *rightColumn = new QVBoxLayout;
    rightColumn->setSpacing(6);
    rightColumn->addWidget(sectionTitle(tr("Ship to")));
    m_shipTo = textLabel(u"shipToLabel"_s);
    rightColumn->addWidget(m_shipTo);
    rightColumn->addSpacing(4);
    rightColumn->addWidget(sectionTitle(tr("Shipment")));
    m_shipment = textLabel(u"shipmentLabel"_s);
    rightColumn->addWidget(m_shipment);
    rightColumn->addSpacing(4);
    m_noteTitle = sectionTitle(tr("Customer note"));
    rightColumn->addWidget(m_noteTitle);
    m_note = textLabel(u"customerNoteLabel"_s);
    rightColumn->addWidget(m_note);
    rightColumn->addStretch();
    columns->addLayout(rightColumn, 3);

    auto *timelineColumn = new QVBoxLayout;
    timelineColumn->setSpacing(6);
    timelineColumn->addWidget(sectionTitle(tr("Timeline")));
    m_timeline = textLabel(u"timelineLabel"_s);
    m_timeline->setTextFormat(Qt::RichText);
    timelineColumn->addWidget(m_timeline);
    timelineColumn->addStretch();
    columns->addLayout(timelineColumn, 4);
    layout->addLayout(columns);
    layout->addStretch();

    m_detailScroll->setWidget(pane);
    m_detailStack->addWidget(m_detailScroll);
    return m_detailStack;
}

QAction *OrdersPage::action(orders::Action which) const
{
    return m_actions.value(int(which));
}

QString OrdersPage::statusText() const
{
    return m_status->text();
}

QString OrdersPage::messageText() const
{
    return m_message->text();
}

QString OrdersPage::statusFilter() const
{
    const QTreeWidgetItem *item = m_statusList->currentItem();
    return item ? item->data(0, Qt::UserRole).toString() : QString();
}

void OrdersPage::setStatusFilter(const QString &status)
{
    for (int row = 0; row < m_statusList->topLevelItemCount(); ++row) {
        QTreeWidgetItem *item = m_statusList->topLevelItem(row);
        if (item->data(0, Qt::UserRole).toString() == status) {
            m_statusList->setCurrentItem(item);
            return;
        }
    }
}

qint64 OrdersPage::statusCount(const QString &status) const
{
    return m_counts.value(status, 0);
}

void OrdersPage::setSearchText(const QString &text)
{
    m_search->setText(text);
    if (m_started)
        load();
}

void OrdersPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Nothing is queried until the page is first shown.
    if (!m_started) {
        m_started = true;
        m_stale = false;
        // The detail is what an admin works in; the list needs a handful of rows.
        const int height = m_splitter->height();
        m_splitter->setSizes({height * 2 / 5, height - height * 2 / 5});
        load();
    } else if (m_stale || m_detailStale) {
        m_changeDelay.start();
    }
}

void OrdersPage::refresh()
{
    m_started = true;
    m_changeDelay.stop();
    m_stale = false;
    m_detailStale = false;
    load();
    loadDetail();
}

void OrdersPage::load()
{
    m_searchDelay.stop();
    if (const auto id = selectedOrderId(); id && !m_pendingSelection)
        m_pendingSelection = *id;
    orders::OrderFilter filter;
    filter.status = statusFilter();
    filter.search = m_search->text().simplified();
    filter.limit = ListLimit;
    const quint64 generation = ++m_generation;
    m_loading = true;
    run([&service = m_service, filter] { return service.orders(filter); },
        [this, generation](Result<orders::OrderPage> result) {
            if (generation != m_generation)
                return; // an older search or status answered late
            m_loading = false;
            if (!result) {
                m_message->showError(tr("The orders could not be loaded: %1").arg(result.error().message()));
                return;
            }
            qint64 all = 0;
            for (const auto &[status, count] : std::as_const(result->counts))
                all += count;
            setCounts(result->counts, all);
            m_applyingRows = true;
            m_model->setOrders(std::move(result->rows));
            m_applyingRows = false;

            const qint64 total = result->total;
            QString text = total == 1 ? tr("1 order") : tr("%1 orders").arg(QLocale().toString(total));
            if (total > m_model->rowCount())
                text += tr(" (the newest %1 listed; search to find others)")
                            .arg(QLocale().toString(m_model->rowCount()));
            m_status->setText(text);

            // The order selected before stays selected if still listed (the model keeps
            // its row); one asked for by showOrder() is selected now it is here.
            if (m_pendingSelection) {
                const qint64 id = *m_pendingSelection;
                m_pendingSelection.reset();
                if (m_model->rowOfOrder(id) >= 0)
                    selectOrder(id);
            }
            updateActions();
        });
}

void OrdersPage::setCounts(const QList<std::pair<QString, qint64>> &counts, qint64 all)
{
    m_counts.clear();
    m_counts.insert(QString(), all);
    for (const auto &[status, count] : counts)
        m_counts.insert(status, count);
    const QLocale locale;
    for (int row = 0; row < m_statusList->topLevelItemCount(); ++row) {
        QTreeWidgetItem *item = m_statusList->topLevelItem(row);
        const qint64 count = m_counts.value(item->data(0, Qt::UserRole).toString(), 0);
        item->setText(1, locale.toString(count));
        // Empty statuses recede; the ones with orders in them stand out.
        const bool none = count == 0 && row > 0;
        const QColor muted = palette().color(QPalette::Disabled, QPalette::Text);
        const QColor statusColor = orderStatusColor(item->data(0, Qt::UserRole).toString());
        item->setForeground(0, none ? muted : palette().color(QPalette::Text));
        if (row > 0)
            item->setForeground(1, none || !statusColor.isValid() ? muted : statusColor);
    }
}

std::optional<qint64> OrdersPage::selectedOrderId() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return std::nullopt;
    return m_model->order(m_proxy->mapToSource(rows.first()).row()).id;
}

void OrdersPage::selectOrder(qint64 id)
{
    const int row = m_model->rowOfOrder(id);
    if (row < 0) {
        m_pendingSelection = id;
        return;
    }
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, OrderTableModel::NumberColumn));
    m_view->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

void OrdersPage::showOrder(qint64 id)
{
    {
        const QSignalBlocker blockList(m_statusList);
        const QSignalBlocker blockSearch(m_search);
        m_statusList->setCurrentItem(m_statusList->topLevelItem(0));
        m_search->setText(orderNumber(id));
    }
    m_view->selectionModel()->clearSelection();
    m_pendingSelection = id;
    m_started = true;
    load();
}

void OrdersPage::selectionChanged()
{
    const std::optional<qint64> id = selectedOrderId();
    // A reload that drops the order from the list (it moved to another status) keeps
    // it on show: the admin who just packed it may want its slip next.
    if (!id && m_applyingRows)
        return;
    if (!id) {
        ++m_detailGeneration;
        showDetail(std::nullopt);
        return;
    }
    if (m_detail && m_detail->id == *id)
        return;
    loadDetail();
}

void OrdersPage::loadDetail()
{
    const std::optional<qint64> selected = selectedOrderId();
    const std::optional<qint64> id
        = selected ? selected : (m_detail ? std::optional<qint64>(m_detail->id) : std::nullopt);
    const quint64 generation = ++m_detailGeneration;
    if (!id) {
        showDetail(std::nullopt);
        return;
    }
    m_detailStale = false;
    run([&service = m_service, id = *id] { return service.order(id); },
        [this, generation](Result<orders::Order> result) {
            if (generation != m_detailGeneration)
                return; // another order was selected meanwhile
            if (!result) {
                m_message->showError(tr("The order could not be loaded: %1").arg(result.error().message()));
                showDetail(std::nullopt);
                return;
            }
            m_model->updateOrder(*result);
            showDetail(*result);
        });
}

void OrdersPage::showDetail(const std::optional<orders::Order> &order)
{
    m_detail = order;
    updateActions();
    if (!order) {
        m_detailStack->setCurrentIndex(0);
        return;
    }
    const orders::Order &o = *order;
    const QLocale locale;
    m_detailNumber->setText(o.number());
    m_detailBadges->setText(badge(orderStatusText(o.status), orderStatusColor(o.status))
        + u"&nbsp;&nbsp;&nbsp;"_s
        + badge(
            tr("Payment: %1").arg(paymentStatusText(o.paymentStatus)), paymentStatusColor(o.paymentStatus)));
    QString meta
        = tr("Placed %1 by %2 \u00b7 %3")
              .arg(formatDateTime(o.createdAt), o.email,
                  o.itemCount() == 1 ? tr("1 item") : tr("%1 items").arg(locale.toString(o.itemCount())));
    if (o.status == QLatin1StringView(orders::status::PendingPayment) && o.expiresAt.isValid())
        meta += tr(" \u00b7 payment due by %1, then it is cancelled").arg(formatDateTime(o.expiresAt));
    m_detailMeta->setText(meta);

    m_linesView->clear();
    for (const orders::OrderLine &line : o.lines) {
        auto *item = new QTreeWidgetItem(m_linesView,
            {line.sku, line.name, locale.toString(line.quantity),
                formatMoney(line.unitPriceCents, o.currency), formatMoney(line.lineTotalCents, o.currency)});
        for (int column : {2, 3, 4})
            item->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(
            1, line.productId ? line.name : tr("%1 (the product was deleted since)").arg(line.name));
    }
    fitToRows(m_linesView, kMaxLineRows);

    // Totals: a right-aligned two-column table, the total in bold.
    const auto row
        = [](const QString &label, const QString &value, bool strong = false, const QString &color = {}) {
              const QString style = (strong ? u"font-weight: bold;"_s : QString())
                  + (color.isEmpty() ? QString() : u" color: %1;"_s.arg(color));
              return u"<tr><td align=\"right\" style=\"padding-right: 16px;\">%1</td>"
                     "<td align=\"right\" style=\"%3\">%2</td></tr>"_s.arg(esc(label), esc(value), style);
          };
    QString totals = u"<table cellspacing=\"0\" cellpadding=\"1\">"_s;
    totals += row(tr("Subtotal"), formatMoney(o.subtotalCents, o.currency));
    totals += row(tr("Shipping"), formatMoney(o.shippingCents, o.currency));
    totals += row(tr("Total"), formatMoney(o.totalCents, o.currency), true);
    if (o.refundedCents > 0) {
        totals += row(tr("Refunded"), formatMoney(-o.refundedCents, o.currency), false, u"#c5221f"_s);
        totals += row(tr("Net"), formatMoney(o.totalCents - o.refundedCents, o.currency), true);
    }
    totals += u"</table>"_s;
    m_totals->setText(totals);

    m_paymentsView->clear();
    for (const orders::Payment &p : o.payments) {
        const bool refund = p.kind == "refund"_L1;
        QString kind = refund ? tr("Refund") : tr("Payment");
        kind += u" ("_s + p.provider + (p.status == "succeeded"_L1 ? QString() : u", "_s + p.status) + u')';
        const QString who = p.actor.isEmpty() ? tr("system") : p.actor;
        const QString why = p.reason.isEmpty() ? who : tr("%1: %2").arg(who, p.reason);
        auto *item = new QTreeWidgetItem(m_paymentsView,
            {formatDateTime(p.at), kind, formatMoney(refund ? -p.amountCents : p.amountCents, o.currency),
                why});
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        if (refund || p.status == "failed"_L1)
            item->setForeground(2, QColor(0xc5, 0x22, 0x1f));
        if (!p.providerRef.isEmpty())
            item->setToolTip(1, tr("Reference %1").arg(p.providerRef));
        item->setToolTip(3, why);
    }
    m_paymentsTitle->setVisible(!o.payments.isEmpty());
    m_paymentsView->setVisible(!o.payments.isEmpty());
    fitToRows(m_paymentsView, kMaxPaymentRows);

    QStringList address;
    for (const QString &line : {o.address.name, o.address.line1, o.address.line2})
        if (!line.trimmed().isEmpty())
            address.append(line.trimmed());
    address.append(QString(o.address.postalCode.trimmed() + u' ' + o.address.city.trimmed()).trimmed());
    if (!o.address.region.trimmed().isEmpty())
        address.append(o.address.region.trimmed());
    if (!o.address.country.isEmpty()) {
        const QLocale::Territory territory = QLocale::codeToTerritory(o.address.country);
        address.append(territory == QLocale::AnyTerritory
                ? o.address.country
                : u"%1 (%2)"_s.arg(QLocale::territoryToString(territory), o.address.country));
    }
    if (!o.address.phone.trimmed().isEmpty())
        address.append(tr("Phone %1").arg(o.address.phone.trimmed()));
    address.append(o.email);
    m_shipTo->setText(address.join(u'\n'));

    if (!o.carrier.isEmpty() || !o.trackingNumber.isEmpty())
        m_shipment->setText(tr("%1, tracking number %2").arg(o.carrier, o.trackingNumber));
    else if (o.status == QLatin1StringView(orders::status::Cancelled)
        || o.status == QLatin1StringView(orders::status::Refunded))
        m_shipment->setText(tr("Not shipped"));
    else
        m_shipment->setText(tr("Not shipped yet"));

    m_note->setText(o.customerNote.trimmed());
    m_noteTitle->setVisible(!o.customerNote.trimmed().isEmpty());
    m_note->setVisible(!o.customerNote.trimmed().isEmpty());

    // The timeline, oldest first: what happened (in the colour of where it led), then
    // when and who, then the note, wrapped.
    QString timeline = u"<table cellspacing=\"0\" cellpadding=\"0\" width=\"100%\">"_s;
    for (const orders::OrderEvent &e : o.events) {
        QColor color = orderStatusColor(e.toStatus);
        if (!color.isValid())
            color = palette().color(QPalette::Text);
        timeline += u"<tr><td valign=\"top\" style=\"color: %1; padding-right: 6px;\">\u25cf</td><td "
                    u"style=\"padding-bottom: 8px;\">"
                    "<b>%2</b><br/><span style=\"color: %3;\">%4</span>%5</td></tr>"_s.arg(color.name(),
                        esc(stepText(e)), palette().color(QPalette::PlaceholderText).name(),
                        esc(tr("%1 \u00b7 %2")
                                .arg(formatDateTime(e.at), e.actor.isEmpty() ? tr("system") : e.actor)),
                        e.note.isEmpty() ? QString() : u"<br/>"_s + esc(e.note));
    }
    timeline += u"</table>"_s;
    m_timeline->setText(o.events.isEmpty() ? tr("No events recorded.") : timeline);

    m_detailStack->setCurrentIndex(1);
}

QString OrdersPage::detailText() const
{
    if (!m_detail)
        return QString();
    QStringList parts {m_detailNumber->text(), orderStatusText(m_detail->status),
        paymentStatusText(m_detail->paymentStatus), m_detailMeta->text()};
    for (int row = 0; row < m_linesView->topLevelItemCount(); ++row) {
        QStringList cells;
        for (int column = 0; column < m_linesView->columnCount(); ++column)
            cells.append(m_linesView->topLevelItem(row)->text(column));
        parts.append(cells.join(u" | "_s));
    }
    QTextDocument doc;
    doc.setHtml(m_totals->text());
    parts.append(doc.toPlainText());
    parts.append(m_shipTo->text());
    parts.append(m_shipment->text());
    if (m_note->isVisibleTo(m_detailScroll->widget()))
        parts.append(m_note->text());
    return parts.join(u'\n');
}

QString OrdersPage::timelineText() const
{
    QTextDocument doc;
    doc.setHtml(m_timeline->text());
    return doc.toPlainText();
}

void OrdersPage::updateActions()
{
    const bool idle = !m_acting;
    const std::optional<orders::Order> &o = m_detail;
    const QList<orders::Action> legal
        = o ? orders::OrderService::legalActions(o->status) : QList<orders::Action>();
    for (auto it = m_actions.cbegin(); it != m_actions.cend(); ++it)
        it.value()->setEnabled(idle && legal.contains(orders::Action(it.key())));
    const bool refundable = o
        && (o->paymentStatus == "paid"_L1 || o->paymentStatus == "partially_refunded"_L1)
        && o->totalCents - o->refundedCents > 0;
    m_refundAction->setEnabled(idle && refundable);
    m_printAction->setEnabled(o.has_value());
    m_exportAction->setEnabled(o.has_value());
}

void OrdersPage::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

void OrdersPage::ordersChanged(const QString &table, const QList<qint64> &ids)
{
    // "" after a reconnect: anything may have changed.
    if (!table.isEmpty() && table != "orders"_L1)
        return;
    m_stale = true;
    if (m_detail && (ids.isEmpty() || ids.contains(m_detail->id)))
        m_detailStale = true;
    // While hidden the page only remembers; showing it reloads. While visible, the
    // first change of a burst starts the timer and the rest ride along.
    if (m_started && isVisible() && !m_changeDelay.isActive())
        m_changeDelay.start();
}

void OrdersPage::reloadStale()
{
    // One reload at a time: under a steady stream of changes a new load would
    // supersede the running one before it lands, and the list would never update.
    if (m_loading || m_acting) {
        m_changeDelay.start();
        return;
    }
    if (m_stale) {
        m_stale = false;
        load();
    }
    if (m_detailStale) {
        m_detailStale = false;
        loadDetail();
    }
}

// --- Actions --------------------------------------------------------------------------

void OrdersPage::transition(const orders::TransitionInput &input, const QString &done)
{
    if (!m_detail || m_acting)
        return;
    m_acting = true;
    updateActions();
    run([&service = m_service, id = m_detail->id, input,
            actor = m_actor] { return service.transition(id, input, actor); },
        [this, done](Result<orders::Order> result) {
            m_acting = false;
            applyResult(result, done);
        });
}

void OrdersPage::applyResult(const Result<orders::Order> &result, const QString &done)
{
    if (!result) {
        QStringList messages {result.error().message()};
        for (const FieldError &f : result.error().fields())
            messages.append(f.message);
        m_message->showError(messages.join(u' '));
        // Someone else may have moved the order on: show it as it is now.
        load();
        loadDetail();
        return;
    }
    m_message->showInfo(done);
    m_model->updateOrder(*result);
    ++m_detailGeneration; // a detail load started before the action is older
    showDetail(*result);
    load(); // the counts moved
    Q_EMIT orderChanged(result->id);
}

void OrdersPage::markPaid()
{
    if (!m_detail || !action(orders::Action::MarkPaid)->isEnabled())
        return;
    const orders::Order o = *m_detail;
    if (confirm(this, tr("Mark as paid"),
            tr("Record that %1 is paid?\n\n%2 received outside the shop (cash, bank transfer). The order "
               "moves to Paid and can be packed.")
                .arg(o.number(), formatMoney(o.totalCents - o.refundedCents, o.currency)),
            tr("Mark paid"))
        != QMessageBox::Yes)
        return;
    orders::TransitionInput input;
    input.action = orders::Action::MarkPaid;
    transition(input, tr("%1 is paid.").arg(o.number()));
}

void OrdersPage::pack()
{
    if (!m_detail || !action(orders::Action::Pack)->isEnabled())
        return;
    orders::TransitionInput input;
    input.action = orders::Action::Pack;
    transition(input, tr("%1 is packed.").arg(m_detail->number()));
}

void OrdersPage::deliver()
{
    if (!m_detail || !action(orders::Action::Deliver)->isEnabled())
        return;
    orders::TransitionInput input;
    input.action = orders::Action::Deliver;
    transition(input, tr("%1 is delivered.").arg(m_detail->number()));
}

void OrdersPage::ship()
{
    if (!m_detail || !action(orders::Action::Ship)->isEnabled())
        return;
    if (m_dialog) {
        m_dialog->raise();
        return;
    }
    const orders::Order o = *m_detail;
    auto *dialog = new QDialog(this);
    m_dialog = dialog;
    dialog->setObjectName(u"shipDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Ship %1").arg(o.number()));
    dialog->setMinimumWidth(420);
    auto *layout = new QVBoxLayout(dialog);
    auto *explain
        = new QLabel(tr("Handed to the carrier. The customer can follow the parcel with the tracking "
                        "number."));
    explain->setWordWrap(true);
    layout->addWidget(explain);
    auto *form = new QFormLayout;
    auto *carrier = new QComboBox;
    carrier->setObjectName(u"carrierCombo"_s);
    carrier->setEditable(true);
    carrier->setInsertPolicy(QComboBox::NoInsert);
    carrier->addItems({u"DHL"_s, u"DPD"_s, u"FedEx"_s, u"GLS"_s, u"Hermes"_s, u"La Poste"_s, u"Royal Mail"_s,
        u"UPS"_s, u"USPS"_s});
    carrier->setCurrentIndex(-1);
    carrier->lineEdit()->setPlaceholderText(tr("Carrier"));
    carrier->lineEdit()->setMaxLength(100);
    form->addRow(tr("&Carrier:"), carrier);
    auto *tracking = new QLineEdit;
    tracking->setObjectName(u"trackingEdit"_s);
    tracking->setMaxLength(100);
    tracking->setPlaceholderText(tr("e.g. 1Z999AA10123456784"));
    form->addRow(tr("&Tracking number:"), tracking);
    auto *note = new QLineEdit;
    note->setObjectName(u"shipNoteEdit"_s);
    note->setMaxLength(500);
    note->setPlaceholderText(tr("Optional, for the timeline"));
    form->addRow(tr("&Note:"), note);
    layout->addLayout(form);
    QDialogButtonBox *buttons = dialogButtons(dialog, tr("Ship"));
    layout->addWidget(buttons);
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    const auto validate = [carrier, tracking, ok] {
        ok->setEnabled(!carrier->currentText().trimmed().isEmpty() && !tracking->text().trimmed().isEmpty());
    };
    connect(carrier, &QComboBox::currentTextChanged, dialog, validate);
    connect(tracking, &QLineEdit::textChanged, dialog, validate);
    validate();
    connect(dialog, &QDialog::accepted, this, [this, o, carrier, tracking, note] {
        orders::TransitionInput input;
        input.action = orders::Action::Ship;
        input.carrier = carrier->currentText().trimmed();
        input.trackingNumber = tracking->text().trimmed();
        input.note = note->text().trimmed();
        if (!m_detail || m_detail->id != o.id)
            return;
        transition(
            input, tr("%1 is shipped with %2 (%3).").arg(o.number(), input.carrier, input.trackingNumber));
    });
    dialog->open();
    carrier->setFocus();
}

void OrdersPage::cancelOrder()
{
    if (!m_detail || !action(orders::Action::Cancel)->isEnabled())
        return;
    if (m_dialog) {
        m_dialog->raise();
        return;
    }
    const orders::Order o = *m_detail;
    auto *dialog = new QDialog(this);
    m_dialog = dialog;
    dialog->setObjectName(u"cancelDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Cancel %1").arg(o.number()));
    dialog->setMinimumWidth(440);
    auto *layout = new QVBoxLayout(dialog);
    QString text = tr("Cancel %1 for %2? %3 back into stock. This cannot be undone.")
                       .arg(o.number(), o.email,
                           o.itemCount() == 1 ? tr("Its item goes")
                                              : tr("Its %1 items go").arg(QLocale().toString(o.itemCount())));
    if (o.paymentStatus == "paid"_L1 || o.paymentStatus == "partially_refunded"_L1)
        text += u"\n\n"_s
            + tr("The customer has paid %1: cancelling does not give it back. Refund it afterwards.")
                  .arg(formatMoney(o.totalCents - o.refundedCents, o.currency));
    auto *explain = new QLabel(text);
    explain->setObjectName(u"cancelExplanation"_s);
    explain->setWordWrap(true);
    layout->addWidget(explain);
    auto *form = new QFormLayout;
    auto *reason = new QLineEdit;
    reason->setObjectName(u"cancelReasonEdit"_s);
    reason->setMaxLength(500);
    reason->setPlaceholderText(tr("Required, e.g. customer asked by phone"));
    form->addRow(tr("&Reason:"), reason);
    layout->addLayout(form);
    QDialogButtonBox *buttons = dialogButtons(dialog, tr("Cancel order"), tr("Keep order"));
    buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
    layout->addWidget(buttons);
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    ok->setEnabled(false);
    connect(reason, &QLineEdit::textChanged, dialog,
        [ok](const QString &t) { ok->setEnabled(!t.trimmed().isEmpty()); });
    connect(dialog, &QDialog::accepted, this, [this, o, reason] {
        if (!m_detail || m_detail->id != o.id)
            return;
        orders::TransitionInput input;
        input.action = orders::Action::Cancel;
        input.note = reason->text().trimmed();
        transition(input, tr("%1 is cancelled; its items are back in stock.").arg(o.number()));
    });
    dialog->open();
    reason->setFocus();
}

void OrdersPage::refund()
{
    if (!m_detail || !m_refundAction->isEnabled())
        return;
    if (m_dialog) {
        m_dialog->raise();
        return;
    }
    const orders::Order o = *m_detail;
    const qint64 refundable = o.totalCents - o.refundedCents;
    auto *dialog = new QDialog(this);
    m_dialog = dialog;
    dialog->setObjectName(u"refundDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Refund %1").arg(o.number()));
    dialog->setMinimumWidth(440);
    auto *layout = new QVBoxLayout(dialog);
    QString text = tr("Paid %1").arg(formatMoney(o.totalCents, o.currency));
    if (o.refundedCents > 0)
        text += tr(", refunded so far %1").arg(formatMoney(o.refundedCents, o.currency));
    text += tr(". At most %1 can be refunded.").arg(formatMoney(refundable, o.currency));
    if (o.paymentProvider == "manual"_L1)
        text += u"\n\n"_s
            + tr("This order was paid outside the shop: give the money back by hand too; this records it.");
    auto *explain = new QLabel(text);
    explain->setWordWrap(true);
    layout->addWidget(explain);
    auto *form = new QFormLayout;
    auto *amount = new QLineEdit(plainAmount(refundable));
    amount->setObjectName(u"refundAmountEdit"_s);
    amount->setMaxLength(20);
    amount->setAlignment(Qt::AlignRight);
    amount->setMaximumWidth(fontMetrics().horizontalAdvance(u'0') * 16);
    auto *amountRow = new QHBoxLayout;
    amountRow->addWidget(amount);
    amountRow->addWidget(new QLabel(o.currency));
    amountRow->addStretch();
    form->addRow(tr("&Amount:"), amountRow);
    static_cast<QLabel *>(form->labelForField(amountRow))->setBuddy(amount);
    auto *reason = new QLineEdit;
    reason->setObjectName(u"refundReasonEdit"_s);
    reason->setMaxLength(500);
    reason->setPlaceholderText(tr("Required, e.g. damaged in transit"));
    form->addRow(tr("&Reason:"), reason);
    layout->addLayout(form);
    auto *error = new QLabel;
    error->setObjectName(u"refundError"_s);
    setErrorStyle(error);
    layout->addWidget(error);
    QDialogButtonBox *buttons = dialogButtons(dialog, tr("Refund"));
    layout->addWidget(buttons);
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    const auto validate = [amount, reason, error, ok, refundable, currency = o.currency] {
        QString problem;
        const Result<qint64> cents = parseAmount(amount->text());
        if (!cents)
            problem = tr("Enter an amount such as %1.").arg(plainAmount(1999));
        else if (*cents <= 0)
            problem = tr("Enter an amount above zero.");
        else if (*cents > refundable)
            problem = tr("At most %1 can be refunded.").arg(formatMoney(refundable, currency));
        // An empty reason is not an error yet, just not ready.
        setMessage(error, amount->text().trimmed().isEmpty() ? QString() : problem);
        ok->setEnabled(problem.isEmpty() && !reason->text().trimmed().isEmpty());
    };
    connect(amount, &QLineEdit::textChanged, dialog, validate);
    connect(reason, &QLineEdit::textChanged, dialog, validate);
    validate();
    connect(dialog, &QDialog::accepted, this, [this, o, amount, reason] {
        const Result<qint64> cents = parseAmount(amount->text());
        if (!cents || !m_detail || m_detail->id != o.id || m_acting)
            return;
        m_acting = true;
        updateActions();
        run([&service = m_service, id = o.id, cents = *cents, why = reason->text().trimmed(),
                actor = m_actor] { return service.refund(id, cents, why, actor); },
            [this, text = tr("Refunded %1 of %2.").arg(formatMoney(*cents, o.currency), o.number())](
                Result<orders::Order> result) {
                m_acting = false;
                applyResult(result, text);
            });
    });
    dialog->open();
    amount->setFocus();
    amount->selectAll();
}

void OrdersPage::printPackingSlip()
{
    if (!m_detail)
        return;
    QString error;
    if (shop::printPackingSlip(*m_detail, this, &error))
        m_message->showInfo(tr("The packing slip of %1 went to the printer.").arg(m_detail->number()));
    else if (!error.isEmpty())
        m_message->showError(tr("The packing slip could not be printed: %1").arg(error));
}

void OrdersPage::exportPackingSlip(const QString &path)
{
    if (!m_detail)
        return;
    QString target = path;
    if (target.isEmpty()) {
        target = QFileDialog::getSaveFileName(this, tr("Export Packing Slip"),
            QDir::home().filePath(tr("packing-slip-%1.pdf").arg(m_detail->number())),
            tr("PDF files (*.pdf)"));
        if (target.isEmpty())
            return;
        if (!target.endsWith(u".pdf"_s, Qt::CaseInsensitive))
            target += u".pdf"_s;
    }
    if (auto ok = writePackingSlipPdf(*m_detail, target); !ok) {
        m_message->showError(ok.error().message());
        return;
    }
    m_message->showInfo(tr("The packing slip of %1 is saved as %2.")
                            .arg(m_detail->number(), QDir::toNativeSeparators(target)));
}

} // namespace shop
