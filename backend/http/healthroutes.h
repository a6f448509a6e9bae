#pragma once

#include "router.h"

#include <QDateTime>

#include <functional>

namespace shop::db {
class Database;
class ReadinessProbe;
} // namespace shop::db

namespace shop::http {

class HttpServer;

struct HealthContext
{
    db::Database *database = nullptr;
    db::ReadinessProbe *probe = nullptr;
    HttpServer *server = nullptr; // set once the server exists
    QDateTime startedAt;
    QString version;
    // More Prometheus text appended to /metrics (the catalog cache, ...).
    QList<std::function<QByteArray()>> metricSources;
};

// GET /api/health (seed-compatible), /healthz (alive, no database), /readyz (cached
// database probe), /metrics (Prometheus text).
void addHealthRoutes(Router &router, const HealthContext *context);

// The process-level part of /metrics: pool, uptime, memory.
QByteArray renderProcessMetrics(const HealthContext &context);

} // namespace shop::http
