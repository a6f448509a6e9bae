#include "productspage.h"

#include "catalog/catalogevents.h"
#include "catalog/catalogservice.h"
#include "categoriesdialog.h"
#include "producteditdialog.h"
#include "productmodel.h"
#include "stockadjustdialog.h"
#include "widgetstyle.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QShowEvent>
#include <QStyle>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// Category combo entries that are not a category id.
constexpr qint64 kAllCategories = -1;
constexpr qint64 kUncategorised = -2;

// Typing "blue mug" runs one query, not eight.
constexpr int kSearchDelayMs = 250;
// A burst of notifications (an import, a busy checkout hour) becomes one reload.
constexpr int kChangeDelayMs = 200;

QList<QMessageBox::StandardButton> &answerQueue()
{
    static QList<QMessageBox::StandardButton> answers;
    return answers;
}

QString &lastQuestionText()
{
    static QString text;
    return text;
}

// As MainWindow's: the desktop theme's icon, Adwaita where the session has no theme,
// Qt's own pixmap as the last resort.
QIcon themedIcon(const QString &name, QStyle::StandardPixmap fallback, const QStyle *style)
{
    if (QIcon::themeName().isEmpty() || QIcon::themeName() == "hicolor"_L1)
        QIcon::setFallbackThemeName(u"Adwaita"_s);
    return QIcon::fromTheme(name, style->standardIcon(fallback));
}

Actor desktopActor()
{
    QString login = qEnvironmentVariable("USER");
    if (login.isEmpty())
        login = qEnvironmentVariable("USERNAME");
    return Actor{std::nullopt, login.isEmpty() ? u"desktop"_s : u"desktop (%1)"_s.arg(login), u"desktop"_s};
}

bool sameFilter(const catalog::ProductFilter &a, const catalog::ProductFilter &b)
{
    return a.search == b.search && a.categoryId == b.categoryId && a.uncategorised == b.uncategorised
        && a.includeInactive == b.includeInactive && a.lowStockOnly == b.lowStockOnly
        && a.lowStockThreshold == b.lowStockThreshold;
}

QString quoted(const QString &text)
{
    return QString(u'\u201c' + text + u'\u201d');
}

} // namespace

template<typename Work, typename Done>
void ProductsPage::run(Work work, Done done)
{
    ++m_tasks;
    updateBusy();
    runInBackground(this, std::move(work), [this, done = std::move(done)](auto result) mutable {
        --m_tasks;
        updateBusy();
        done(std::move(result));
    });
}

ProductsPage::ProductsPage(catalog::CatalogService &service, catalog::CatalogEvents *events, QWidget *parent)
    : QWidget(parent), m_service(service), m_actor(desktopActor())
{
    m_model = new ProductTableModel(m_service, this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 12);
    layout->setSpacing(10);

    // Title, count, busy bar.
    auto *header = new QHBoxLayout;
    auto *title = new QLabel(tr("Products"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
    titleFont.setBold(true);
    title->setFont(titleFont);
    header->addWidget(title);
    header->addSpacing(12);
    m_status = new QLabel;
    m_status->setObjectName(u"productsStatus"_s);
    setMuted(m_status);
    header->addWidget(m_status, 0, Qt::AlignBottom);
    header->addStretch();
    m_busy = new QProgressBar;
    m_busy->setObjectName(u"productsBusy"_s);
    m_busy->setRange(0, 0); // indeterminate: a query has no known length
    m_busy->setTextVisible(false);
    m_busy->setFixedSize(120, 8);
    // Keeps its place while hidden, so the header does not jump with every query.
    QSizePolicy keep = m_busy->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_busy->setSizePolicy(keep);
    m_busy->hide();
    header->addWidget(m_busy, 0, Qt::AlignVCenter);
    layout->addLayout(header);

    createActions();
    layout->addWidget(m_toolbar);

    // Filters.
    auto *filters = new QHBoxLayout;
    filters->setSpacing(10);
    m_search = new QLineEdit;
    m_search->setObjectName(u"productSearch"_s);
    m_search->setPlaceholderText(tr("Search SKU, name or description\u2026"));
    m_search->setClearButtonEnabled(true);
    m_search->addAction(themedIcon(u"edit-find"_s, QStyle::SP_FileDialogContentsView, style()),
                        QLineEdit::LeadingPosition);
    filters->addWidget(m_search, 1);
    m_category = new QComboBox;
    m_category->setObjectName(u"categoryFilter"_s);
    m_category->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_category->setMinimumContentsLength(14);
    m_category->addItem(tr("All categories"), kAllCategories);
    m_category->addItem(tr("Uncategorised"), kUncategorised);
    filters->addWidget(m_category);
    m_showInactive = new QCheckBox(tr("Show &inactive"));
    m_showInactive->setObjectName(u"showInactive"_s);
    m_showInactive->setToolTip(tr("Also list products shoppers do not see"));
    filters->addWidget(m_showInactive);
    m_lowStock = new QCheckBox(tr("&Low stock only"));
    m_lowStock->setObjectName(u"lowStockOnly"_s);
    m_lowStock->setToolTip(tr("Only products with 5 or fewer in stock"));
    filters->addWidget(m_lowStock);
    layout->addLayout(filters);

    // Results of writes and failures: inline, so nothing blocks and tests need not
    // dismiss a box.
    m_messageBar = new QFrame;
    m_messageBar->setObjectName(u"productsMessageBar"_s);
    m_messageBar->setFrameShape(QFrame::StyledPanel);
    auto *messageLayout = new QHBoxLayout(m_messageBar);
    messageLayout->setContentsMargins(10, 6, 6, 6);
    m_message = new QLabel;
    m_message->setObjectName(u"productsMessage"_s);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    messageLayout->addWidget(m_message, 1);
    auto *dismiss = new QToolButton;
    dismiss->setAutoRaise(true);
    dismiss->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    dismiss->setToolTip(tr("Dismiss"));
    connect(dismiss, &QToolButton::clicked, m_messageBar, &QWidget::hide);
    messageLayout->addWidget(dismiss, 0, Qt::AlignTop);
    m_messageBar->hide();
    layout->addWidget(m_messageBar);

    // The list.
    m_view = new QTableView;
    m_view->setObjectName(u"productsView"_s);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->verticalHeader()->hide();
    // Fixed row heights: with 10,000 rows the view must not measure each one.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    QHeaderView *columns = m_view->horizontalHeader();
    columns->setHighlightSections(false);
    columns->setStretchLastSection(false);
    columns->setSectionResizeMode(QHeaderView::Interactive);
    columns->setSectionResizeMode(ProductTableModel::NameColumn, QHeaderView::Stretch);
    const int digit = fontMetrics().horizontalAdvance(u'0');
    m_view->setColumnWidth(ProductTableModel::SkuColumn, digit * 14);
    m_view->setColumnWidth(ProductTableModel::CategoryColumn, digit * 14);
    m_view->setColumnWidth(ProductTableModel::PriceColumn, digit * 13);
    m_view->setColumnWidth(ProductTableModel::StockColumn, digit * 10);
    m_view->setColumnWidth(ProductTableModel::StatusColumn, digit * 10);
    m_view->setColumnWidth(ProductTableModel::UpdatedColumn, digit * 18);
    // No column is sorted at first (the service's order); enabling sorting would
    // otherwise sort by the first column.
    columns->setSortIndicator(-1, Qt::AscendingOrder);
    columns->setSortIndicatorClearable(true);
    m_view->setSortingEnabled(true);
    for (QAction *action : {m_editAction, m_toggleAction, m_deleteAction, m_stockAction})
        m_view->addAction(action);
    layout->addWidget(m_view, 1);

    // Wiring.
    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(kSearchDelayMs);
    connect(&m_searchDelay, &QTimer::timeout, this, &ProductsPage::applyFilter);
    connect(m_search, &QLineEdit::textChanged, &m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, &ProductsPage::applyFilter);
    connect(m_category, &QComboBox::currentIndexChanged, this, &ProductsPage::applyFilter);
    connect(m_showInactive, &QCheckBox::toggled, this, &ProductsPage::applyFilter);
    connect(m_lowStock, &QCheckBox::toggled, this, &ProductsPage::applyFilter);

    connect(m_view, &QTableView::doubleClicked, this, &ProductsPage::editProduct);
    connect(
        m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ProductsPage::updateActions);
    connect(m_model, &ProductTableModel::loadingChanged, this, &ProductsPage::updateBusy);
    connect(m_model, &ProductTableModel::totalCountChanged, this, &ProductsPage::updateStatus);
    connect(m_model, &ProductTableModel::loaded, this, &ProductsPage::modelLoaded);
    connect(m_model, &ProductTableModel::errorOccurred, this, [this](const QString &message) {
        showError(tr("The products could not be loaded: %1").arg(message));
    });
    // Data changes within a row (a refresh) change what the actions say.
    connect(m_model, &QAbstractItemModel::layoutChanged, this, &ProductsPage::updateActions);

    m_changeDelay.setSingleShot(true);
    m_changeDelay.setInterval(kChangeDelayMs);
    connect(&m_changeDelay, &QTimer::timeout, this, &ProductsPage::reloadStale);
    if (events) {
        // Emitted on the listener's thread.
        connect(events, &catalog::CatalogEvents::changed, this,
                [this](const QString &table, const QList<qint64> &) { catalogChanged(table); },
                Qt::QueuedConnection);
    }

    updateActions();
    updateStatus();
}

ProductsPage::~ProductsPage()
{
    // The dialogs are children; their own destructors wait for their saves.
    waitForBackgroundWork(this);
}

void ProductsPage::createActions()
{
    m_toolbar = new QToolBar(tr("Products"));
    m_toolbar->setObjectName(u"productsToolBar"_s);
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolbar->setIconSize(QSize(18, 18));

    const auto make = [this](const QString &name, const QString &text, const QString &icon,
                             QStyle::StandardPixmap fallback, const QString &tip) {
        auto *action = new QAction(themedIcon(icon, fallback, style()), text, this);
        action->setObjectName(name);
        action->setToolTip(tip);
        action->setStatusTip(tip);
        return action;
    };
    m_newAction = make(u"newProductAction"_s, tr("&New"), u"document-new"_s, QStyle::SP_FileIcon,
                       tr("Add a product to the catalog"));
    m_newAction->setShortcut(QKeySequence::New);
    m_newAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_newAction, &QAction::triggered, this, &ProductsPage::newProduct);

    m_editAction = make(u"editProductAction"_s, tr("&Edit\u2026"), u"document-properties"_s,
                        QStyle::SP_FileDialogDetailedView, tr("Change the selected product"));
    connect(m_editAction, &QAction::triggered, this, &ProductsPage::editProduct);

    m_toggleAction = make(u"toggleActiveAction"_s, tr("&Deactivate"), u"media-playback-pause"_s,
        QStyle::SP_MediaPause, tr("Hide the selected product from shoppers, or show it again"));
    connect(m_toggleAction, &QAction::triggered, this, &ProductsPage::toggleActive);

    m_deleteAction = make(u"deleteProductAction"_s, tr("De&lete"), u"edit-delete"_s, QStyle::SP_TrashIcon,
                          tr("Delete the selected product (only one that was never ordered)"));
    m_deleteAction->setShortcut(QKeySequence::Delete);
    m_deleteAction->setShortcutContext(Qt::WidgetShortcut); // the table's, not the search box's
    connect(m_deleteAction, &QAction::triggered, this, &ProductsPage::deleteProduct);

    m_stockAction = make(u"adjustStockAction"_s, tr("Adjust &stock\u2026"), u"view-sort-ascending"_s,
                         QStyle::SP_ArrowUp, tr("Record stock received, returned, damaged or counted"));
    connect(m_stockAction, &QAction::triggered, this, &ProductsPage::adjustStock);

    m_categoriesAction = make(u"categoriesAction"_s, tr("&Categories\u2026"), u"folder"_s, QStyle::SP_DirIcon,
                              tr("Add, rename and remove categories"));
    connect(m_categoriesAction, &QAction::triggered, this, &ProductsPage::editCategories);

    m_refreshAction = make(u"refreshProductsAction"_s, tr("&Refresh"), u"view-refresh"_s,
                           QStyle::SP_BrowserReload, tr("Load the list again"));
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_refreshAction, &QAction::triggered, this, &ProductsPage::refresh);

    m_toolbar->addAction(m_newAction);
    m_toolbar->addAction(m_editAction);
    m_toolbar->addAction(m_toggleAction);
    m_toolbar->addAction(m_deleteAction);
    m_toolbar->addSeparator();
    m_toolbar->addAction(m_stockAction);
    m_toolbar->addAction(m_categoriesAction);
    auto *spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_toolbar->addWidget(spacer);
    m_toolbar->addAction(m_refreshAction);
    // Shortcuts work while the focus is anywhere on the page.
    addAction(m_newAction);
    addAction(m_refreshAction);
}

bool ProductsPage::isBusy() const
{
    return m_tasks > 0 || m_model->loading();
}

QString ProductsPage::statusText() const
{
    return m_status->text();
}

ProductEditDialog *ProductsPage::editDialog() const
{
    return m_editDialog.data();
}

StockAdjustDialog *ProductsPage::stockDialog() const
{
    return m_stockDialog.data();
}

CategoriesDialog *ProductsPage::categoriesDialog() const
{
    return m_categoriesDialog.data();
}

QString ProductsPage::messageText() const
{
    return m_messageBar->isHidden() ? QString() : m_message->text();
}

void ProductsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Nothing is queried until the page is first shown: the console opens on the
    // Server page, and most sessions may never come here.
    if (!m_started) {
        m_started = true;
        m_productsStale = false;
        m_categoriesStale = false;
        loadCategories();
        m_model->setFilter(filterFromControls());
    } else if (m_productsStale || m_categoriesStale) {
        m_changeDelay.start();
    }
}

catalog::ProductFilter ProductsPage::filterFromControls() const
{
    catalog::ProductFilter filter;
    filter.search = m_search->text().simplified();
    const qint64 category = m_category->currentData().toLongLong();
    if (category == kUncategorised)
        filter.uncategorised = true;
    else if (category > 0)
        filter.categoryId = category;
    filter.includeInactive = m_showInactive->isChecked();
    filter.lowStockOnly = m_lowStock->isChecked();
    return filter;
}

void ProductsPage::applyFilter()
{
    m_searchDelay.stop();
    if (!m_started)
        return;
    const catalog::ProductFilter filter = filterFromControls();
    if (sameFilter(filter, m_model->filter()))
        return;
    m_model->setFilter(filter);
    m_view->scrollToTop();
}

void ProductsPage::refresh()
{
    if (!m_started)
        return;
    m_changeDelay.stop();
    m_productsStale = false;
    m_categoriesStale = false;
    loadCategories();
    m_model->refresh();
}

void ProductsPage::catalogChanged(const QString &table)
{
    m_productsStale = true; // a category rename shows in the product rows too
    if (table != "products"_L1)
        m_categoriesStale = true;
    // While hidden the page only remembers; showing it reloads. While visible, the
    // first change of a burst starts the timer and the rest ride along, so a steady
    // stream of changes still refreshes every kChangeDelayMs.
    if (m_started && isVisible() && !m_changeDelay.isActive())
        m_changeDelay.start();
}

void ProductsPage::reloadStale()
{
    // One reload at a time: under a steady stream of changes a new reload would
    // supersede the running one before it lands, and the list would never update.
    if (m_model->loading()) {
        m_changeDelay.start();
        return;
    }
    if (m_categoriesStale) {
        m_categoriesStale = false;
        loadCategories();
    }
    if (m_productsStale) {
        m_productsStale = false;
        m_model->refresh();
    }
}

void ProductsPage::loadCategories()
{
    run([&service = m_service] { return service.categories(); },
        [this](Result<QList<catalog::Category>> result) {
            if (!result) {
                showError(tr("The categories could not be loaded: %1").arg(result.error().message()));
                return;
            }
            setCategories(std::move(*result));
        });
}

void ProductsPage::setCategories(QList<catalog::Category> categories)
{
    m_categories = std::move(categories);
    const qint64 current = m_category->currentData().toLongLong();
    {
        const QSignalBlocker block(m_category);
        m_category->clear();
        m_category->addItem(tr("All categories"), kAllCategories);
        for (const catalog::Category &c : std::as_const(m_categories))
            m_category->addItem(c.name, c.id);
        m_category->addItem(tr("Uncategorised"), kUncategorised);
        const int index = m_category->findData(current);
        m_category->setCurrentIndex(index >= 0 ? index : 0);
    }
    // The chosen category was deleted: the list falls back to all products.
    applyFilter();
}

std::optional<catalog::Product> ProductsPage::currentProduct() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return std::nullopt;
    return m_model->product(rows.first().row());
}

void ProductsPage::selectProduct(qint64 id)
{
    const int row = m_model->rowOfProduct(id);
    if (row < 0) {
        m_pendingSelection = id;
        return;
    }
    m_pendingSelection.reset();
    const QModelIndex index = m_model->index(row, ProductTableModel::NameColumn);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

void ProductsPage::modelLoaded()
{
    if (m_pendingSelection && m_model->rowOfProduct(*m_pendingSelection) >= 0)
        selectProduct(*m_pendingSelection);
    updateActions();
    updateStatus();
}

void ProductsPage::updateActions()
{
    const std::optional<catalog::Product> product = currentProduct();
    for (QAction *action : {m_editAction, m_toggleAction, m_deleteAction, m_stockAction})
        action->setEnabled(product.has_value());
    const bool activate = product && !product->active;
    m_toggleAction->setText(activate ? tr("&Activate") : tr("&Deactivate"));
    m_toggleAction->setIcon(activate
                                ? themedIcon(u"media-playback-start"_s, QStyle::SP_MediaPlay, style())
                                : themedIcon(u"media-playback-pause"_s, QStyle::SP_MediaPause, style()));
}

void ProductsPage::updateStatus()
{
    const qint64 total = m_model->totalCount();
    const QString count = total == 1 ? tr("1 product") : tr("%1 products").arg(QLocale().toString(total));
    const int loaded = m_model->rowCount();
    // Lazy loading is no secret: the admin sees that scrolling brings in more.
    m_status->setText(loaded < total ? tr("%1, %2 loaded").arg(count, QLocale().toString(loaded)) : count);
}

void ProductsPage::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

void ProductsPage::showError(const QString &text)
{
    showMessage(text, true);
}

void ProductsPage::showInfo(const QString &text)
{
    showMessage(text, false);
}

void ProductsPage::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_messageBar->setStyleSheet(error
            ? u"QFrame#productsMessageBar { background: #fce8e6; border: 1px solid #f5c2bd;"
              " border-radius: 4px; } QLabel { color: #a50e0e; }"_s
            : u"QFrame#productsMessageBar { background: #e6f4ea; border: 1px solid #b7dfc2;"
              " border-radius: 4px; } QLabel { color: #0d652d; }"_s);
    m_messageBar->show();
}

// --- Actions --------------------------------------------------------------------------

QMessageBox::StandardButton ProductsPage::ask(QWidget *parent, const QString &title, const QString &text,
                                              const QString &acceptText)
{
    lastQuestionText() = text;
    if (!answerQueue().isEmpty())
        return answerQueue().takeFirst();
    QMessageBox box(QMessageBox::Question, title, text, QMessageBox::Yes | QMessageBox::Cancel, parent);
    box.button(QMessageBox::Yes)->setText(acceptText);
    box.setDefaultButton(QMessageBox::Cancel);
    return QMessageBox::StandardButton(box.exec());
}

void ProductsPage::setNextAnswer(QMessageBox::StandardButton answer)
{
    answerQueue().append(answer);
}

qsizetype ProductsPage::queuedAnswers()
{
    return answerQueue().size();
}

void ProductsPage::clearQueuedAnswers()
{
    answerQueue().clear();
}

QString ProductsPage::lastQuestion()
{
    return lastQuestionText();
}

void ProductsPage::newProduct()
{
    if (m_editDialog) {
        m_editDialog->raise();
        m_editDialog->activateWindow();
        return;
    }
    m_editDialog = new ProductEditDialog(m_service, m_actor, m_categories, this);
    m_editDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_editDialog, &ProductEditDialog::saved, this, &ProductsPage::productSaved);
    m_editDialog->open();
}

void ProductsPage::editProduct()
{
    const std::optional<catalog::Product> product = currentProduct();
    if (!product)
        return;
    if (m_editDialog) {
        m_editDialog->raise();
        m_editDialog->activateWindow();
        return;
    }
    m_editDialog = new ProductEditDialog(m_service, m_actor, m_categories, this);
    m_editDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_editDialog->setProduct(*product);
    connect(m_editDialog, &ProductEditDialog::saved, this, &ProductsPage::productSaved);
    m_editDialog->open();
}

void ProductsPage::productSaved(const catalog::Product &product)
{
    showInfo(tr("%1 saved.").arg(quoted(product.name)));
    selectProduct(product.id);
    m_model->refresh();
}

void ProductsPage::toggleActive()
{
    const std::optional<catalog::Product> product = currentProduct();
    if (!product)
        return;
    if (product->active) {
        const auto answer = ask(this, tr("Deactivate product"),
                                tr("Deactivate %1 (%2)?\n\nShoppers will no longer see it; orders keep it, "
                                   "and you can activate it again.")
                                    .arg(quoted(product->name), product->sku),
                                tr("Deactivate"));
        if (answer != QMessageBox::Yes)
            return;
    }
    setActive(*product, !product->active);
}

void ProductsPage::setActive(const catalog::Product &product, bool active)
{
    run([&service = m_service, id = product.id, version = product.version, active, actor = m_actor] {
            return service.setActive(id, version, active, actor);
        },
        [this, active, name = product.name](Result<catalog::Product> result) {
            if (!result) {
                showError(result.error().message());
                m_model->refresh(); // a conflict means the row shows an old version
                return;
            }
            if (active)
                showInfo(tr("%1 is active: shoppers see it again.").arg(quoted(name)));
            else if (m_showInactive->isChecked())
                showInfo(tr("%1 is inactive: shoppers no longer see it.").arg(quoted(name)));
            else
                showInfo(tr(
                    "%1 is inactive: shoppers no longer see it. Tick \u201cShow inactive\u201d to list it.")
                             .arg(quoted(name)));
            m_model->refresh();
        });
}

void ProductsPage::deleteProduct()
{
    const std::optional<catalog::Product> product = currentProduct();
    if (!product)
        return;
    const auto answer = ask(this, tr("Delete product"),
                            tr("Delete %1 (%2) for good?\n\nThis cannot be undone. A product that was ever "
                               "ordered cannot be deleted; deactivate it instead.")
                                .arg(quoted(product->name), product->sku),
                            tr("Delete"));
    if (answer != QMessageBox::Yes)
        return;
    run([&service = m_service, id = product->id, version = product->version, actor = m_actor] {
            return service.deleteProduct(id, version, actor);
        },
        [this, product = *product](Status result) {
            if (result) {
                showInfo(tr("%1 deleted.").arg(quoted(product.name)));
                m_model->refresh();
                return;
            }
            const Error &error = result.error();
            if (error.kind() == Error::Kind::Conflict && error.code() == "PRODUCT_HAS_ORDERS"_L1
                && product.active) {
                const auto deactivate = ask(this, tr("Product has orders"),
                    tr("%1\n\nDeactivate %2 instead?").arg(error.message(), quoted(product.name)),
                    tr("Deactivate"));
                if (deactivate == QMessageBox::Yes) {
                    setActive(product, false);
                    return;
                }
            }
            showError(error.message());
            m_model->refresh();
        });
}

void ProductsPage::adjustStock()
{
    const std::optional<catalog::Product> product = currentProduct();
    if (!product)
        return;
    if (m_stockDialog) {
        m_stockDialog->raise();
        m_stockDialog->activateWindow();
        return;
    }
    m_stockDialog = new StockAdjustDialog(m_service, *product, m_actor, this);
    m_stockDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_stockDialog, &StockAdjustDialog::adjusted, this, [this](const catalog::Product &p) {
        showInfo(tr("Stock of %1 is now %2.").arg(quoted(p.name), QLocale().toString(p.stock)));
        m_model->refresh();
    });
    m_stockDialog->open();
}

void ProductsPage::editCategories()
{
    if (m_categoriesDialog) {
        m_categoriesDialog->raise();
        m_categoriesDialog->activateWindow();
        return;
    }
    m_categoriesDialog = new CategoriesDialog(m_service, m_actor, this);
    m_categoriesDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_categoriesDialog, &CategoriesDialog::changed, this, [this] {
        m_categoriesStale = true;
        m_productsStale = true;
        m_changeDelay.start();
    });
    m_categoriesDialog->open();
}

} // namespace shop
