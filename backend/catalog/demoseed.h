#pragma once

#include "core/result.h"

namespace shop::db {
class Database;
}

namespace shop::catalog {

struct SeedReport
{
    int categoriesAdded = 0;
    qint64 productsAdded = 0;
    qint64 productsTotal = 0;
    double seconds = 0;
};

// `shopdesk seed-demo`: eight categories (Electronics, Clothing, Home, ...) and
// `productCount` generated products with realistic names, prices and stock, loaded
// with COPY in one transaction. Deterministic, and additive: SKUs that exist are
// skipped, so running it again with a larger count only adds the difference.
Result<SeedReport> seedDemo(db::Database &database, int productCount);

} // namespace shop::catalog
