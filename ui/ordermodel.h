#pragma once

#include "orders/order.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QHash>

namespace shop {

// "$1,234.50" for 123450 cents in the order's currency, laid out as the user's locale
// writes money. Exact: the digits come from the integer cents, never from a double.
// A currency other than the locale's own shows its ISO code ("EUR 12.00" in a US locale).
QString formatMoney(qint64 cents, const QString &currency);

// "SD-000042", as Order::number() writes it.
QString orderNumber(qint64 id);

// "Pending payment", "Partially refunded": an order or payment status for people.
QString orderStatusText(const QString &status);
QString paymentStatusText(const QString &paymentStatus);
// The colour a status is shown in (amber for what waits on the shop, green when done,
// grey for closed, red for money going back), or an invalid colour for the text colour.
QColor orderStatusColor(const QString &status);
QColor paymentStatusColor(const QString &paymentStatus);

// The Orders page's list: one row per order, newest first as the service sends them.
// The page loads them (off the GUI thread) and hands them over. A reload keeps each
// order's persistent indexes (the view's selection and current row), so a refresh set
// off by another instance's change does not lose the order the admin is reading.
class OrderTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        NumberColumn,
        DateColumn,
        CustomerColumn,
        EmailColumn,
        ItemsColumn,
        TotalColumn,
        StatusColumn,
        PaymentColumn,
        ColumnCount
    };
    enum Role {
        OrderIdRole = Qt::UserRole + 1,
        StatusRole, // orders.status as stored
        PaymentStatusRole, // orders.payment_status as stored
        SortRole, // what a proxy sorts by: numbers and dates as such
    };

    explicit OrderTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setOrders(QList<orders::OrderSummary> rows);
    // Replaces the row of the same id with what an action returned; false when the
    // order is not listed.
    bool updateOrder(const orders::Order &order);
    const orders::OrderSummary &order(int row) const { return m_rows.at(row); }
    int rowOfOrder(qint64 id) const { return m_rowOf.value(id, -1); }

    static orders::OrderSummary summaryOf(const orders::Order &order);

private:
    void reindex();

    QList<orders::OrderSummary> m_rows;
    QHash<qint64, int> m_rowOf;
};

} // namespace shop
