#include "productmodel.h"

#include "catalog/catalogservice.h"
#include "core/money.h"

#include <QApplication>
#include <QColor>
#include <QLocale>
#include <QPalette>
#include <QSet>
#include <QStyle>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace shop {

void waitForBackgroundWork(QObject *owner)
{
    const auto watchers = owner->findChildren<QFutureWatcherBase *>(Qt::FindDirectChildrenOnly);
    for (QFutureWatcherBase *watcher : watchers)
        watcher->waitForFinished();
}

namespace {

// Same red and amber as the Server page's alarms.
const QColor kOutOfStock(0xc5, 0x22, 0x1f);
const QColor kLowStock(0xb0, 0x60, 0x00);

// Rows per query when many are wanted at once (a refresh of a long list, a client
// sort): the service's own cap on one page.
constexpr int kBulkPage = 1000;

bool lessThan(const catalog::Product &a, const catalog::Product &b, int column)
{
    const auto byId = [&](auto x, auto y) { return x != y ? x < y : a.id < b.id; };
    switch (column) {
    case ProductTableModel::SkuColumn:
        return byId(a.sku, b.sku);
    case ProductTableModel::NameColumn: {
        const int c = a.name.compare(b.name, Qt::CaseInsensitive);
        return c != 0 ? c < 0 : a.id < b.id;
    }
    case ProductTableModel::CategoryColumn: {
        // Uncategorised last, as in the category filter.
        if (a.categoryName.isEmpty() != b.categoryName.isEmpty())
            return b.categoryName.isEmpty();
        const int c = a.categoryName.compare(b.categoryName, Qt::CaseInsensitive);
        return c != 0 ? c < 0 : a.id < b.id;
    }
    case ProductTableModel::PriceColumn:
        return byId(a.priceCents, b.priceCents);
    case ProductTableModel::StockColumn:
        return byId(a.stock, b.stock);
    case ProductTableModel::StatusColumn:
        return byId(a.active, b.active);
    case ProductTableModel::UpdatedColumn:
        return byId(a.updatedAt, b.updatedAt);
    default:
        return a.id < b.id;
    }
}

} // namespace

ProductTableModel::ProductTableModel(catalog::CatalogService &service, QObject *parent)
    : QAbstractTableModel(parent), m_service(service)
{
    m_filter.includeInactive = true;
    m_lowStockIcon = QIcon::fromTheme(u"dialog-warning"_s,
                                      QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning));
}

ProductTableModel::~ProductTableModel()
{
    waitForBackgroundWork(this);
}

int ProductTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ProductTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProductTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const catalog::Product &p = m_rows.at(index.row());
    const bool lowStock = p.stock <= m_filter.lowStockThreshold;
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case SkuColumn:
            return p.sku;
        case NameColumn:
            return p.name;
        case CategoryColumn:
            return p.categoryName.isEmpty() ? tr("\u2014") : p.categoryName;
        case PriceColumn:
            return QString(money::format(p.priceCents) + u' ' + p.currency);
        case StockColumn:
            return QLocale().toString(p.stock);
        case StatusColumn:
            return p.active ? tr("Active") : tr("Inactive");
        case UpdatedColumn:
            return QLocale().toString(p.updatedAt.toLocalTime(), QLocale::ShortFormat);
        }
        break;
    case Qt::EditRole:
        switch (column) {
        case SkuColumn:
            return p.sku;
        case NameColumn:
            return p.name;
        case CategoryColumn:
            return p.categoryName;
        case PriceColumn:
            return p.priceCents;
        case StockColumn:
            return p.stock;
        case StatusColumn:
            return p.active;
        case UpdatedColumn:
            return p.updatedAt;
        }
        break;
    case Qt::TextAlignmentRole:
        if (column == PriceColumn || column == StockColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        if (!p.active)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        if (column == StockColumn && lowStock)
            return p.stock == 0 ? kOutOfStock : kLowStock;
        break;
    case Qt::DecorationRole:
        if (column == StockColumn && lowStock && p.active)
            return m_lowStockIcon;
        break;
    case Qt::ToolTipRole:
        if (column == StockColumn && lowStock)
            return p.stock == 0 ? tr("Out of stock") : tr("Low stock: %n left", nullptr, p.stock);
        if (column == StatusColumn && !p.active)
            return tr("Inactive: shoppers do not see this product");
        if (column == NameColumn && !p.description.isEmpty())
            return p.description.left(300);
        break;
    case ProductIdRole:
        return p.id;
    case ActiveRole:
        return p.active;
    case LowStockRole:
        return lowStock;
    default:
        break;
    }
    return {};
}

QVariant ProductTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole) {
        return QVariant::fromValue(
            Qt::Alignment((section == PriceColumn || section == StockColumn ? Qt::AlignRight : Qt::AlignLeft)
                | Qt::AlignVCenter));
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SkuColumn:
        return tr("SKU");
    case NameColumn:
        return tr("Name");
    case CategoryColumn:
        return tr("Category");
    case PriceColumn:
        return tr("Price");
    case StockColumn:
        return tr("Stock");
    case StatusColumn:
        return tr("Status");
    case UpdatedColumn:
        return tr("Updated");
    }
    return {};
}

bool ProductTableModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_loading && !m_failed && m_nextOffset < m_total && !clientSort();
}

void ProductTableModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    start(m_nextOffset, m_pageSize, true);
}

std::optional<catalog::Sort> ProductTableModel::serverSort(int column, Qt::SortOrder order)
{
    if (column < 0)
        return catalog::Sort::Default;
    if (column == NameColumn && order == Qt::AscendingOrder)
        return catalog::Sort::Name;
    if (column == PriceColumn)
        return order == Qt::AscendingOrder ? catalog::Sort::PriceAsc : catalog::Sort::PriceDesc;
    // Not Updated: the service's Newest is by creation time, so that column sorts
    // client-side.
    return std::nullopt;
}

std::optional<ProductTableModel::ClientSort> ProductTableModel::clientSort() const
{
    if (serverSort(m_sortColumn, m_sortOrder))
        return std::nullopt;
    return ClientSort{m_sortColumn, m_sortOrder};
}

void ProductTableModel::sort(int column, Qt::SortOrder order)
{
    column = qBound(-1, column, int(ColumnCount) - 1);
    if (column == m_sortColumn && order == m_sortOrder)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    // A view calls sort() when sorting is switched on; that alone must not query.
    if (!m_started)
        return;
    ++m_generation;
    m_failed = false;
    start(0, clientSort() ? -1 : m_pageSize, false);
}

void ProductTableModel::setFilter(const catalog::ProductFilter &filter)
{
    m_filter = filter;
    m_started = true;
    ++m_generation;
    m_failed = false;
    start(0, clientSort() ? -1 : m_pageSize, false);
}

void ProductTableModel::refresh()
{
    m_started = true;
    ++m_generation;
    m_failed = false;
    start(0, clientSort() ? -1 : qMax(m_nextOffset, m_pageSize), false);
}

Result<ProductTableModel::Batch> ProductTableModel::load(catalog::CatalogService &service,
    catalog::ProductFilter filter, int offset, int count, int pageSize, std::optional<ClientSort> clientSort)
{
    Q_ASSERT(count >= 0 || offset == 0);
    Batch batch;
    batch.total = -1;
    QSet<qint64> seen;
    qint64 target = count < 0 ? -1 : count;
    while (target < 0 || batch.fetched < target) {
        filter.offset = offset + batch.fetched;
        filter.limit = target < 0 ? pageSize : int(qMin<qint64>(pageSize, target - batch.fetched));
        auto page = service.products(filter);
        if (!page)
            return fail(page.error());
        // The service counts only for a page at offset 0 (-1 otherwise).
        if (page->total >= 0 && batch.total < 0)
            batch.total = page->total;
        if (target < 0)
            target = qMax<qint64>(0, batch.total);
        // A service that caps the page below our limit just means more round trips;
        // an empty page means the rows ran out (deleted since the count).
        if (page->products.isEmpty())
            break;
        batch.fetched += int(page->products.size());
        // Rows inserted between two page queries shift the offsets: a product is
        // listed once.
        for (catalog::Product &p : page->products) {
            if (!seen.contains(p.id)) {
                seen.insert(p.id);
                batch.rows.append(std::move(p));
            }
        }
    }
    if (clientSort) {
        const int column = clientSort->column;
        if (clientSort->order == Qt::AscendingOrder) {
            std::stable_sort(batch.rows.begin(), batch.rows.end(),
                             [column](const auto &a, const auto &b) { return lessThan(a, b, column); });
        } else {
            std::stable_sort(batch.rows.begin(), batch.rows.end(),
                             [column](const auto &a, const auto &b) { return lessThan(b, a, column); });
        }
    }
    return batch;
}

void ProductTableModel::start(int offset, int count, bool append)
{
    catalog::ProductFilter filter = m_filter;
    filter.sort = serverSort(m_sortColumn, m_sortOrder).value_or(catalog::Sort::Default);
    const quint64 generation = m_generation;
    setLoading(true);
    runInBackground(
        this,
        [&service = m_service, filter, offset, count, sorting = clientSort(),
         pageSize = count < 0 || count > m_pageSize ? kBulkPage : m_pageSize] {
            return load(service, filter, offset, count, pageSize, sorting);
        },
        [this, generation, append](Result<Batch> result) {
            if (generation != m_generation)
                return; // superseded by a newer filter, sort or refresh
            if (!result) {
                m_failed = true;
                setLoading(false);
                Q_EMIT errorOccurred(result.error().message());
                return;
            }
            if (append) {
                m_nextOffset += result->fetched;
                appendRows(std::move(result->rows));
            } else {
                m_nextOffset = result->fetched;
                replaceRows(std::move(result->rows));
            }
            if (result->total >= 0)
                setTotal(result->total);
            else if (m_nextOffset > m_total)
                setTotal(m_nextOffset); // rows were added since the count
            setLoading(false);
            Q_EMIT loaded();
        });
}

// Rows keep their identity across a reload: persistent indexes (the view's selection
// and current row) follow their product to its new row, so a refresh triggered by
// someone else's edit neither loses the admin's selection nor jumps the scroll bar.
// The row count changes outside the layout change (views and proxies expect a layout
// change to keep it): growing inserts first, shrinking removes last.
void ProductTableModel::replaceRows(QList<catalog::Product> rows)
{
    const int oldCount = int(m_rows.size());
    const int newCount = int(rows.size());

    if (newCount > oldCount) {
        beginInsertRows({}, oldCount, newCount - 1);
        for (int row = oldCount; row < newCount; ++row)
            m_rows.append(rows.at(row));
        reindex(newCount);
        endInsertRows();
    }
    if (oldCount > 0 && newCount > 0) {
        Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
        QHash<qint64, int> newRowOf;
        newRowOf.reserve(newCount);
        for (int row = 0; row < newCount; ++row)
            newRowOf.insert(rows.at(row).id, row);
        const QModelIndexList from = persistentIndexList();
        QModelIndexList to;
        to.reserve(from.size());
        for (const QModelIndex &index : from) {
            const int row = newRowOf.value(m_rows.at(index.row()).id, -1);
            to.append(row < 0 ? QModelIndex() : createIndex(row, index.column()));
        }
        changePersistentIndexList(from, to);
        // Rows past newCount (when shrinking) stay until removed below; nothing
        // points at them any more.
        for (int row = 0; row < newCount; ++row)
            m_rows[row] = std::move(rows[row]);
        reindex(newCount);
        Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    }
    if (newCount < oldCount) {
        beginRemoveRows({}, newCount, oldCount - 1);
        m_rows.resize(newCount);
        reindex(newCount);
        endRemoveRows();
    }
}

void ProductTableModel::appendRows(QList<catalog::Product> rows)
{
    // Offset paging under concurrent inserts can repeat a row at a page boundary;
    // a product is listed once (the next refresh puts everything in place).
    rows.removeIf([this](const catalog::Product &p) { return m_rowOf.contains(p.id); });
    if (rows.isEmpty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(rows.size()) - 1);
    for (catalog::Product &p : rows) {
        m_rowOf.insert(p.id, int(m_rows.size()));
        m_rows.append(std::move(p));
    }
    endInsertRows();
}

void ProductTableModel::reindex(int count)
{
    m_rowOf.clear();
    m_rowOf.reserve(count);
    for (int row = 0; row < count; ++row)
        m_rowOf.insert(m_rows.at(row).id, row);
}

void ProductTableModel::setLoading(bool loading)
{
    if (m_loading == loading)
        return;
    m_loading = loading;
    Q_EMIT loadingChanged(loading);
}

void ProductTableModel::setTotal(qint64 total)
{
    if (m_total == total)
        return;
    m_total = total;
    Q_EMIT totalCountChanged(total);
}

} // namespace shop
