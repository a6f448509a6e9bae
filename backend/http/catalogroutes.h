#pragma once

#include "adminguard.h"
#include "router.h"

namespace shop::catalog {
class CatalogCache;
class CatalogService;
} // namespace shop::catalog

namespace shop::http {

struct CatalogRoutesContext
{
    catalog::CatalogService *service = nullptr;
    catalog::CatalogCache *cache = nullptr;
    AdminGuard adminGuard;
};

// Shopper routes (seed-compatible): GET /api/products, /api/products/{id},
// /api/products/search, /api/categories — cached, with ETag and 304.
// Admin routes under /api/admin/products and /api/admin/categories, each behind the
// admin guard.
void addCatalogRoutes(Router &router, const CatalogRoutesContext *context);

} // namespace shop::http
