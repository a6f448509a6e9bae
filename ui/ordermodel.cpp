#include "ordermodel.h"

#include "pagekit.h"

#include <QApplication>
#include <QLocale>
#include <QPalette>

#include <limits>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// The Server and Products pages' alarm and warning colours, plus a blue for work the
// shop has to do next and a green for done.
const QColor kAlarm(0xc5, 0x22, 0x1f);
const QColor kWarning(0xb0, 0x60, 0x00);
const QColor kTodo(0x19, 0x67, 0xd2);
const QColor kGood(0x18, 0x80, 0x38);

QColor mutedText()
{
    return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
}

} // namespace

QString formatMoney(qint64 cents, const QString &currency)
{
    const QLocale locale;
    // A sign, not the accounting parentheses some locales use ("($5.50)" in en_US):
    // a refund line must read as money going back at a glance.
    if (cents < 0)
        return locale.negativeSign()
            + formatMoney(cents == std::numeric_limits<qint64>::min() ? 0 : -cents, currency);
    const quint64 magnitude = quint64(cents);
    const QString digits = locale.toString(qulonglong(magnitude / 100)) + locale.decimalPoint()
        + u"%1"_s.arg(magnitude % 100, 2, 10, QLatin1Char('0'));
    const QString own = locale.currencySymbol(QLocale::CurrencyIsoCode);
    if (!own.isEmpty() && (currency.isEmpty() || currency.compare(own, Qt::CaseInsensitive) == 0)) {
        // The locale's own layout (symbol before or after, spacing): format one unit
        // and put the exact digits where its number is.
        const QString pattern
            = locale.toCurrencyString(1.0, locale.currencySymbol(QLocale::CurrencySymbol), 2);
        const QString one = locale.toString(1.0, 'f', 2);
        const qsizetype at = pattern.indexOf(one);
        if (at >= 0)
            return QString(pattern).replace(at, one.size(), digits);
    }
    const QString code = currency.isEmpty() ? own : currency;
    return code.isEmpty() ? digits : QString(code + u' ' + digits);
}

QString orderNumber(qint64 id)
{
    orders::Order order;
    order.id = id;
    return order.number();
}

QString orderStatusText(const QString &status)
{
    if (status == QLatin1StringView(orders::status::PendingPayment))
        return OrderTableModel::tr("Pending payment");
    if (status == QLatin1StringView(orders::status::Paid))
        return OrderTableModel::tr("Paid");
    if (status == QLatin1StringView(orders::status::Packed))
        return OrderTableModel::tr("Packed");
    if (status == QLatin1StringView(orders::status::Shipped))
        return OrderTableModel::tr("Shipped");
    if (status == QLatin1StringView(orders::status::Delivered))
        return OrderTableModel::tr("Delivered");
    if (status == QLatin1StringView(orders::status::Cancelled))
        return OrderTableModel::tr("Cancelled");
    if (status == QLatin1StringView(orders::status::Refunded))
        return OrderTableModel::tr("Refunded");
    QString text = status;
    text.replace(u'_', u' ');
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

QString paymentStatusText(const QString &paymentStatus)
{
    if (paymentStatus == "unpaid"_L1)
        return OrderTableModel::tr("Unpaid");
    if (paymentStatus == "pending"_L1)
        return OrderTableModel::tr("Pending");
    if (paymentStatus == "paid"_L1)
        return OrderTableModel::tr("Paid");
    if (paymentStatus == "failed"_L1)
        return OrderTableModel::tr("Failed");
    if (paymentStatus == "refunded"_L1)
        return OrderTableModel::tr("Refunded");
    if (paymentStatus == "partially_refunded"_L1)
        return OrderTableModel::tr("Partially refunded");
    return orderStatusText(paymentStatus);
}

QColor orderStatusColor(const QString &status)
{
    if (status == QLatin1StringView(orders::status::PendingPayment))
        return kWarning;
    if (status == QLatin1StringView(orders::status::Paid)
        || status == QLatin1StringView(orders::status::Packed))
        return kTodo;
    if (status == QLatin1StringView(orders::status::Shipped)
        || status == QLatin1StringView(orders::status::Delivered))
        return kGood;
    if (status == QLatin1StringView(orders::status::Refunded))
        return kAlarm;
    if (status == QLatin1StringView(orders::status::Cancelled))
        return mutedText();
    return {};
}

QColor paymentStatusColor(const QString &paymentStatus)
{
    if (paymentStatus == "unpaid"_L1 || paymentStatus == "pending"_L1)
        return kWarning;
    if (paymentStatus == "paid"_L1)
        return kGood;
    if (paymentStatus == "failed"_L1 || paymentStatus == "refunded"_L1
        || paymentStatus == "partially_refunded"_L1)
        return kAlarm;
    return {};
}

OrderTableModel::OrderTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int OrderTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int OrderTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OrderTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const orders::OrderSummary &o = m_rows.at(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NumberColumn:
            return orderNumber(o.id);
        case DateColumn:
            return formatDateTime(o.createdAt);
        case CustomerColumn:
            return o.customerName.isEmpty() ? u"\u2014"_s : o.customerName;
        case EmailColumn:
            return o.email;
        case ItemsColumn:
            return QLocale().toString(o.itemCount);
        case TotalColumn:
            return formatMoney(o.totalCents, o.currency);
        case StatusColumn:
            return orderStatusText(o.status);
        case PaymentColumn:
            return paymentStatusText(o.paymentStatus);
        }
        break;
    case SortRole:
        switch (column) {
        case NumberColumn:
            return o.id;
        case DateColumn:
            return o.createdAt;
        case ItemsColumn:
            return o.itemCount;
        case TotalColumn:
            return o.totalCents;
        case StatusColumn: // fulfilment order, not the alphabet
            return orders::allStatuses().indexOf(o.status);
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::TextAlignmentRole:
        if (column == ItemsColumn || column == TotalColumn)
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        if (column == StatusColumn) {
            if (const QColor c = orderStatusColor(o.status); c.isValid())
                return c;
        } else if (column == PaymentColumn) {
            if (const QColor c = paymentStatusColor(o.paymentStatus); c.isValid())
                return c;
        } else if (o.status == QLatin1StringView(orders::status::Cancelled)) {
            return mutedText();
        }
        break;
    case Qt::ToolTipRole:
        if (column == TotalColumn && o.refundedCents > 0)
            return tr("%1 refunded").arg(formatMoney(o.refundedCents, o.currency));
        if (column == CustomerColumn || column == EmailColumn)
            return o.customerName.isEmpty() ? o.email : tr("%1 <%2>").arg(o.customerName, o.email);
        if (column == DateColumn && o.updatedAt.isValid())
            return tr("Last change %1").arg(formatDateTime(o.updatedAt));
        break;
    case OrderIdRole:
        return o.id;
    case StatusRole:
        return o.status;
    case PaymentStatusRole:
        return o.paymentStatus;
    default:
        break;
    }
    return {};
}

QVariant OrderTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole) {
        return QVariant::fromValue(
            Qt::Alignment((section == ItemsColumn || section == TotalColumn ? Qt::AlignRight : Qt::AlignLeft)
                | Qt::AlignVCenter));
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NumberColumn:
        return tr("Order");
    case DateColumn:
        return tr("Placed");
    case CustomerColumn:
        return tr("Customer");
    case EmailColumn:
        return tr("Email");
    case ItemsColumn:
        return tr("Items");
    case TotalColumn:
        return tr("Total");
    case StatusColumn:
        return tr("Status");
    case PaymentColumn:
        return tr("Payment");
    }
    return {};
}

// As ProductTableModel::replaceRows: rows keep their identity across a reload, and
// the row count changes outside the layout change (growing inserts first, shrinking
// removes last), which is what views and proxies expect.
void OrderTableModel::setOrders(QList<orders::OrderSummary> rows)
{
    const int oldCount = int(m_rows.size());
    const int newCount = int(rows.size());
    if (newCount > oldCount) {
        beginInsertRows({}, oldCount, newCount - 1);
        for (int row = oldCount; row < newCount; ++row)
            m_rows.append(rows.at(row));
        reindex();
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
        for (int row = 0; row < newCount; ++row)
            m_rows[row] = std::move(rows[row]);
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

bool OrderTableModel::updateOrder(const orders::Order &order)
{
    const int row = rowOfOrder(order.id);
    if (row < 0)
        return false;
    m_rows[row] = summaryOf(order);
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    return true;
}

orders::OrderSummary OrderTableModel::summaryOf(const orders::Order &order)
{
    orders::OrderSummary s;
    s.id = order.id;
    s.status = order.status;
    s.paymentStatus = order.paymentStatus;
    s.email = order.email;
    s.customerName = order.address.name;
    s.totalCents = order.totalCents;
    s.refundedCents = order.refundedCents;
    s.currency = order.currency;
    s.itemCount = order.itemCount();
    s.createdAt = order.createdAt;
    s.updatedAt = order.updatedAt;
    return s;
}

void OrderTableModel::reindex()
{
    m_rowOf.clear();
    m_rowOf.reserve(m_rows.size());
    for (int row = 0; row < m_rows.size(); ++row)
        m_rowOf.insert(m_rows.at(row).id, row);
}

} // namespace shop
