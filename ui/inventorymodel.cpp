#include "inventorymodel.h"

#include "ordermodel.h"
#include "pagekit.h"
#include "stockadjustdialog.h"

#include <QApplication>
#include <QColor>
#include <QFont>
#include <QLocale>
#include <QPalette>
#include <QStyle>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// The Products page's out-of-stock red and low-stock amber, and soft row tints of
// the same hues so a highlighted row reads at a glance down a long list.
const QColor kOutOfStock(0xc5, 0x22, 0x1f);
const QColor kLowStock(0xb0, 0x60, 0x00);
const QColor kOutOfStockRow(0xfc, 0xe8, 0xe6);
const QColor kLowStockRow(0xfe, 0xf3, 0xe0);
const QColor kGood(0x1e, 0x8e, 0x3e);

QString signedNumber(int value)
{
    const QString number = QLocale().toString(value);
    return value > 0 ? QString(u'+' + number) : number;
}

} // namespace

InventoryTableModel::InventoryTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_warningIcon = QIcon::fromTheme(
        u"dialog-warning"_s, QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning));
}

int InventoryTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int InventoryTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InventoryTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const orders::StockLevel &l = m_rows.at(index.row());
    const int column = index.column();
    const bool low = isLowStock(l);
    const QLocale locale;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case SkuColumn:
            return l.sku;
        case NameColumn:
            return l.name;
        case AvailableColumn:
            return locale.toString(l.available);
        case ReservedColumn:
            return l.reserved == 0 ? u"\u2014"_s : locale.toString(l.reserved);
        case OnHandColumn:
            return locale.toString(l.onHand());
        case StatusColumn:
            if (!l.active)
                return tr("Inactive");
            if (l.available == 0)
                return tr("Out of stock");
            return low ? tr("Low stock") : tr("In stock");
        }
        break;
    case SortRole:
        switch (column) {
        case AvailableColumn:
            return l.available;
        case ReservedColumn:
            return l.reserved;
        case OnHandColumn:
            return l.onHand();
        case StatusColumn: // the most urgent first when ascending
            return !l.active ? 3 : l.available == 0 ? 0 : low ? 1 : 2;
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::TextAlignmentRole:
        if (column == AvailableColumn || column == ReservedColumn || column == OnHandColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        if (!l.active)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        if (low && (column == AvailableColumn || column == StatusColumn))
            return l.available == 0 ? kOutOfStock : kLowStock;
        break;
    case Qt::BackgroundRole:
        if (low && l.active)
            return l.available == 0 ? kOutOfStockRow : kLowStockRow;
        break;
    case Qt::FontRole:
        if (column == AvailableColumn) {
            QFont bold = QApplication::font();
            bold.setBold(true);
            return bold;
        }
        break;
    case Qt::DecorationRole:
        if (column == StatusColumn && low && l.active)
            return m_warningIcon;
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case AvailableColumn:
            return tr("What the shop can still sell (the product's stock)");
        case ReservedColumn:
            if (l.reserved == 0)
                return tr("In no unpaid order");
            if (l.reservingOrders == 1)
                return tr("%1 in one unpaid order: back on sale if not paid in time or cancelled")
                    .arg(locale.toString(l.reserved));
            return tr("%1 in %2 unpaid orders: back on sale if not paid in time or cancelled")
                .arg(locale.toString(l.reserved), locale.toString(l.reservingOrders));
        case OnHandColumn:
            return tr("On the shelf: available plus reserved");
        case StatusColumn:
            if (low && l.active)
                return tr("At or below the low-stock threshold of %1").arg(m_threshold);
            break;
        }
        break;
    case ProductIdRole:
        return l.productId;
    case LowStockRole:
        return low;
    default:
        break;
    }
    return {};
}

QVariant InventoryTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    const bool number = section == AvailableColumn || section == ReservedColumn || section == OnHandColumn;
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(
            Qt::Alignment((number ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter));
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case AvailableColumn:
            return tr("What the shop can still sell (the product's stock)");
        case ReservedColumn:
            return tr(
                "Units in unpaid orders: taken from stock at checkout, back on sale if the order expires "
                "or is cancelled");
        case OnHandColumn:
            return tr("On the shelf: available plus reserved");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SkuColumn:
        return tr("SKU");
    case NameColumn:
        return tr("Name");
    case AvailableColumn:
        return tr("Available");
    case ReservedColumn:
        return tr("Reserved");
    case OnHandColumn:
        return tr("On hand");
    case StatusColumn:
        return tr("Status");
    }
    return {};
}

// As OrderTableModel::setOrders: rows keep their identity across a reload.
void InventoryTableModel::setLevels(QList<orders::StockLevel> levels)
{
    const int oldCount = int(m_rows.size());
    const int newCount = int(levels.size());
    if (newCount > oldCount) {
        beginInsertRows({}, oldCount, newCount - 1);
        for (int row = oldCount; row < newCount; ++row)
            m_rows.append(levels.at(row));
        reindex();
        endInsertRows();
    }
    if (oldCount > 0 && newCount > 0) {
        Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
        QHash<qint64, int> newRowOf;
        newRowOf.reserve(newCount);
        for (int row = 0; row < newCount; ++row)
            newRowOf.insert(levels.at(row).productId, row);
        const QModelIndexList from = persistentIndexList();
        QModelIndexList to;
        to.reserve(from.size());
        for (const QModelIndex &index : from) {
            const int row = newRowOf.value(m_rows.at(index.row()).productId, -1);
            to.append(row < 0 ? QModelIndex() : createIndex(row, index.column()));
        }
        changePersistentIndexList(from, to);
        for (int row = 0; row < newCount; ++row)
            m_rows[row] = std::move(levels[row]);
        m_rowOf = std::move(newRowOf);
        Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    }
    if (newCount < oldCount) {
        beginRemoveRows({}, newCount, oldCount - 1);
        m_rows.resize(newCount);
        reindex();
        endRemoveRows();
    }
}

void InventoryTableModel::setLowStockThreshold(int threshold)
{
    if (threshold == m_threshold)
        return;
    m_threshold = threshold;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void InventoryTableModel::reindex()
{
    m_rowOf.clear();
    m_rowOf.reserve(m_rows.size());
    for (int row = 0; row < m_rows.size(); ++row)
        m_rowOf.insert(m_rows.at(row).productId, row);
}

// --- StockLedgerModel -------------------------------------------------------------------

StockLedgerModel::StockLedgerModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int StockLedgerModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int StockLedgerModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant StockLedgerModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const catalog::StockMovement &m = m_rows.at(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case WhenColumn:
            return formatDateTime(m.createdAt);
        case DeltaColumn:
            return signedNumber(m.delta);
        case StockAfterColumn:
            return QLocale().toString(m.stockAfter);
        case ReasonColumn:
            return StockAdjustDialog::reasonText(m.reason);
        case NoteColumn:
            return m.note;
        case ActorColumn:
            return m.actor.isEmpty() ? tr("system") : m.actor;
        case OrderColumn:
            return m.orderId ? orderNumber(*m.orderId) : QString();
        }
        break;
    case Qt::TextAlignmentRole:
        if (column == DeltaColumn || column == StockAfterColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        if (column == DeltaColumn)
            return m.delta < 0 ? kOutOfStock : kGood;
        if (column == OrderColumn && m.orderId)
            return QApplication::palette().color(QPalette::Link);
        break;
    case Qt::FontRole:
        if (column == OrderColumn && m.orderId) {
            QFont link = QApplication::font();
            link.setUnderline(true);
            return link;
        }
        break;
    case Qt::ToolTipRole:
        if (column == OrderColumn && m.orderId)
            return tr("Open %1 on the Orders page").arg(orderNumber(*m.orderId));
        if (column == NoteColumn && !m.note.isEmpty())
            return m.note;
        if (column == WhenColumn)
            return QLocale().toString(m.createdAt.toLocalTime(), QLocale::LongFormat);
        break;
    case OrderIdRole:
        return m.orderId ? QVariant(*m.orderId) : QVariant();
    default:
        break;
    }
    return {};
}

QVariant StockLedgerModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::Alignment(
            (section == DeltaColumn || section == StockAfterColumn ? Qt::AlignRight : Qt::AlignLeft)
            | Qt::AlignVCenter));
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case WhenColumn:
        return tr("When");
    case DeltaColumn:
        return tr("Change");
    case StockAfterColumn:
        return tr("Stock after");
    case ReasonColumn:
        return tr("Reason");
    case NoteColumn:
        return tr("Note");
    case ActorColumn:
        return tr("By");
    case OrderColumn:
        return tr("Order");
    }
    return {};
}

void StockLedgerModel::setMovements(QList<catalog::StockMovement> movements)
{
    beginResetModel();
    m_rows = std::move(movements);
    endResetModel();
}

} // namespace shop
