#pragma once

#include "catalog.h"
#include "core/result.h"

#include <QByteArray>

#include <functional>

namespace shop::db {
class Database;
}

namespace shop::catalog {

// The catalog's one service: the HTTP routes and the desktop views both call it (the
// desktop off the GUI thread). Every call is synchronous and takes one pool lease.
// Writes run in one transaction each, write the audit log, and fire the catalog
// NOTIFY (a trigger does it), so every instance's cache drops stale entries.
class CatalogService
{
public:
    explicit CatalogService(db::Database &database);

    // Called after every committed write, on the writer's thread. The runtime drops
    // its own cache here, so this process never serves a page older than its own
    // write; other processes learn of it through NOTIFY.
    void setChangeHook(std::function<void()> hook) { m_changed = std::move(hook); }

    // --- Shopper reads. PostgreSQL builds the JSON (the `data` of the envelope).
    // {"products":[...],"pagination":{"page","per_page","total"}}
    Result<QByteArray> publicProductPage(const PublicQuery &query);
    // One active product, or NotFound.
    Result<QByteArray> publicProduct(qint64 id);
    // [product, ...] ranked, at most 50. q must not be blank (InvalidRequest).
    Result<QByteArray> publicSearch(const QString &q);
    // [{"id","slug","name","description","product_count"}, ...]
    Result<QByteArray> publicCategories();

    // --- Admin.
    Result<ProductPage> products(const ProductFilter &filter);
    Result<Product> product(qint64 id);
    Result<Product> createProduct(const ProductInput &input, const Actor &actor);
    // Conflict when `expectedVersion` is not the stored version (someone else saved).
    Result<Product> updateProduct(qint64 id, int expectedVersion, const ProductInput &input,
                                  const Actor &actor);
    // Soft delete (and undo): shoppers stop seeing it; orders keep their snapshots.
    Result<Product> setActive(qint64 id, int expectedVersion, bool active, const Actor &actor);
    // Hard delete, only for a product no order ever referenced (Conflict otherwise).
    Status deleteProduct(qint64 id, int expectedVersion, const Actor &actor);
    // Adds `delta` (may be negative) in one guarded update plus a ledger entry;
    // Validation error when stock would go below zero.
    Result<Product> adjustStock(qint64 id, int delta, const QString &reason, const QString &note,
                                const Actor &actor);
    Result<QList<StockMovement>> movements(qint64 productId, int limit = 200);

    Result<QList<Category>> categories();
    Result<Category> createCategory(const CategoryInput &input, const Actor &actor);
    Result<Category> updateCategory(qint64 id, int expectedVersion, const CategoryInput &input,
                                    const Actor &actor);
    // Products in it become uncategorised.
    Status deleteCategory(qint64 id, int expectedVersion, const Actor &actor);

    // Field-level checks shared with the desktop dialog (which shows them next to the
    // fields before it ever calls the service). Validation error with fields, or ok.
    static Status validate(const ProductInput &input);
    static Status validate(const CategoryInput &input);

private:
    void changed() const;

    db::Database &m_database;
    std::function<void()> m_changed;
};

} // namespace shop::catalog
