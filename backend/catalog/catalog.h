#pragma once

#include "core/actor.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace shop::catalog {

using Actor = shop::Actor;

struct Category
{
    qint64 id = 0;
    QString slug;
    QString name;
    QString description;
    int sortOrder = 0;
    int version = 1;
    qint64 activeProducts = 0; // products shoppers see in it
};

struct CategoryInput
{
    QString slug;
    QString name;
    QString description;
    int sortOrder = 0;
};

struct Product
{
    qint64 id = 0;
    QString sku;
    QString name;
    QString description;
    qint64 priceCents = 0;
    QString currency = QStringLiteral("USD");
    std::optional<qint64> categoryId;
    QString categorySlug;
    QString categoryName;
    int stock = 0;
    QString imageUrl;
    bool active = true;
    int version = 1;
    QDateTime createdAt;
    QDateTime updatedAt;
};

// What an admin edits. Stock is not here: after creation it changes only through the
// ledger (adjustStock, orders), so an edit dialog left open cannot undo a sale.
struct ProductInput
{
    QString sku;
    QString name;
    QString description;
    qint64 priceCents = 0;
    QString currency = QStringLiteral("USD");
    std::optional<qint64> categoryId;
    QString imageUrl;
    bool active = true;
    int initialStock = 0; // create only: recorded as an "initial" ledger entry
};

enum class Sort { Default, PriceAsc, PriceDesc, Name, Newest };

// Parses the API's ?sort= value: price (= price_asc), price_desc, name, newest.
std::optional<Sort> parseSort(QStringView text);

// The admin listing (desktop Products view, GET /api/admin/products).
struct ProductFilter
{
    QString search;                  // sku prefix, name or full text
    std::optional<qint64> categoryId;
    bool uncategorised = false;      // only products without a category
    bool includeInactive = true;
    bool lowStockOnly = false;
    int lowStockThreshold = 5;
    Sort sort = Sort::Default;
    int offset = 0;
    int limit = 100;
};

struct ProductPage
{
    QList<Product> products;
    qint64 total = 0;
};

// The shopper's listing (GET /api/products): only active products.
struct PublicQuery
{
    int page = 1;
    int perPage = 20;
    QString categorySlug;
    Sort sort = Sort::Default;
};

struct StockMovement
{
    qint64 id = 0;
    qint64 productId = 0;
    int delta = 0;
    int stockAfter = 0;
    QString reason;
    QString note;
    std::optional<qint64> orderId;
    QString actor;
    QDateTime createdAt;
};

// Reasons an admin may give for a stock adjustment (the ledger also records "initial",
// "sale" and "cancellation", which the order path writes).
QStringList adjustmentReasons();

} // namespace shop::catalog
