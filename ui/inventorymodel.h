#pragma once

#include "catalog/catalog.h"
#include "orders/inventory.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QIcon>

namespace shop {

// Stock levels on the Inventory page: available (what checkout may sell), reserved
// (in unpaid orders) and on hand (both), with rows at or below the low-stock
// threshold highlighted. The page loads the rows off the GUI thread and hands them
// over; a reload keeps each product's persistent indexes (selection, current row).
class InventoryTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        SkuColumn,
        NameColumn,
        AvailableColumn,
        ReservedColumn,
        OnHandColumn,
        StatusColumn,
        ColumnCount
    };
    enum Role {
        ProductIdRole = Qt::UserRole + 1,
        LowStockRole, // bool: available <= threshold
        SortRole, // numbers as numbers
    };

    explicit InventoryTableModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setLevels(QList<orders::StockLevel> levels);
    const orders::StockLevel &level(int row) const { return m_rows.at(row); }
    int rowOfProduct(qint64 id) const { return m_rowOf.value(id, -1); }

    int lowStockThreshold() const { return m_threshold; }
    void setLowStockThreshold(int threshold);
    bool isLowStock(const orders::StockLevel &level) const { return level.available <= m_threshold; }

private:
    void reindex();

    QList<orders::StockLevel> m_rows;
    QHash<qint64, int> m_rowOf;
    int m_threshold = 5;
    QIcon m_warningIcon;
};

// One product's inventory ledger, newest first: when, change, stock after, why, note,
// who, and the order a sale or a release belongs to (shown as a link).
class StockLedgerModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        WhenColumn,
        DeltaColumn,
        StockAfterColumn,
        ReasonColumn,
        NoteColumn,
        ActorColumn,
        OrderColumn,
        ColumnCount
    };
    enum Role {
        OrderIdRole = Qt::UserRole + 1, // qint64, or invalid when the movement has no order
    };

    explicit StockLedgerModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setMovements(QList<catalog::StockMovement> movements);
    const catalog::StockMovement &movement(int row) const { return m_rows.at(row); }

private:
    QList<catalog::StockMovement> m_rows;
};

} // namespace shop
