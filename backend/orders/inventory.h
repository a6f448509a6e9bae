#pragma once

#include "core/result.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace shop::db {
class Database;
}

namespace shop::orders {

// One product's stock as the Inventory view shows it. `available` is products.stock:
// what checkout may still sell. Checkout takes stock at once, so the units of unpaid
// orders are no longer in `available`, yet still on the shelf until the order is paid
// (then they ship) or cancelled or expired (then they return): `reserved`.
struct StockLevel
{
    qint64 productId = 0;
    QString sku;
    QString name;
    bool active = true;
    int available = 0;
    int reserved = 0;           // units in pending_payment orders
    int reservingOrders = 0;    // how many such orders
    QDateTime updatedAt;

    int onHand() const { return available + reserved; }
};

struct InventoryFilter
{
    QString search;               // SKU prefix or part of the name
    bool lowStockOnly = false;    // available <= lowStockThreshold
    int lowStockThreshold = 5;
    bool includeInactive = true;
    int offset = 0;
    int limit = 2000;
};

// Read-only stock figures for the desktop Inventory view: one query, products joined
// to the quantities of unpaid orders. Writes go through CatalogService::adjustStock
// (the ledger) and OrderService (sales, releases). Synchronous, one pool lease per call;
// the desktop calls it off the GUI thread.
class InventoryService
{
public:
    explicit InventoryService(db::Database &database);

    // Ordered by SKU.
    Result<QList<StockLevel>> levels(const InventoryFilter &filter);

private:
    db::Database &m_database;
};

} // namespace shop::orders
