#include "healthroutes.h"

#include "db/database.h"
#include "db/readiness.h"
#include "server.h"

#include <QFile>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

qint64 residentBytes()
{
    QFile statm(u"/proc/self/statm"_s);
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toLongLong() * 4096 : 0;
}

void metric(QByteArray &out, const char *name, const char *type, const char *help, const QByteArray &value)
{
    out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' ' + value + '\n';
}

} // namespace

QByteArray renderProcessMetrics(const HealthContext &context)
{
    QByteArray out = "# HELP shopdesk_build_info The running ShopDesk version.\n# TYPE shopdesk_build_info gauge\n"
                     "shopdesk_build_info{version=\"" + context.version.toUtf8() + "\"} 1\n";
    if (context.database) {
        const db::PoolStats s = context.database->stats();
        metric(out, "shopdesk_db_pool_size", "gauge", "Database connections allowed at most.", QByteArray::number(s.size));
        metric(out, "shopdesk_db_connections_in_use", "gauge", "Database connections leased now.", QByteArray::number(s.inUse));
        metric(out, "shopdesk_db_connections_waiting", "gauge", "Callers waiting for a database connection.",
               QByteArray::number(s.waiting));
        metric(out, "shopdesk_db_acquired_total", "counter", "Database connection leases handed out.",
               QByteArray::number(s.acquired));
        metric(out, "shopdesk_db_wait_seconds_total", "counter", "Time spent waiting for a database connection.",
               QByteArray::number(s.waitSeconds, 'g', 9));
        metric(out, "shopdesk_db_acquire_timeouts_total", "counter", "Waits for a connection that timed out (503).",
               QByteArray::number(s.timeouts));
        metric(out, "shopdesk_db_connections_opened_total", "counter", "Physical database connections opened.",
               QByteArray::number(s.opened));
    }
    if (context.probe) {
        metric(out, "shopdesk_readiness_probes_total", "counter", "Database probes run for /readyz.",
               QByteArray::number(context.probe->probesRun()));
    }
    if (context.server) {
        metric(out, "shopdesk_worker_queue", "gauge", "Slow requests queued or running on the worker pool.",
               QByteArray::number(context.server->queuedWork()));
    }
    metric(out, "shopdesk_uptime_seconds", "gauge", "Seconds since the process started.",
           QByteArray::number(context.startedAt.secsTo(QDateTime::currentDateTimeUtc())));
    metric(out, "shopdesk_resident_memory_bytes", "gauge", "Resident set size.", QByteArray::number(residentBytes()));
    return out;
}

void addHealthRoutes(Router &router, const HealthContext *context)
{
    router.get(u"/api/health"_s, [](const Request &) {
        return Response::ok(QJsonObject{{u"status"_s, u"healthy"_s}});
    });
    router.get(u"/healthz"_s, [](const Request &) {
        return Response::ok(QJsonObject{{u"status"_s, u"alive"_s}});
    });
    router.get(u"/readyz"_s, [context](const Request &) {
        const auto state = context->probe->check();
        QJsonObject data{{u"status"_s, state.ready ? u"ready"_s : u"unavailable"_s},
                         {u"database"_s, state.detail},
                         {u"checked_ms_ago"_s, state.ageMs}};
        if (!state.ready) {
            Response r = Response::error(503, u"SERVICE_UNAVAILABLE"_s, u"the database is not reachable"_s);
            r.withHeader("Retry-After", "1");
            return r;
        }
        return Response::ok(data);
    });
    router.get(u"/metrics"_s, [context](const Request &) {
        QByteArray text = context->server ? context->server->metrics().render() : QByteArray();
        text += renderProcessMetrics(*context);
        for (const auto &source : context->metricSources)
            text += source();
        return Response::text(200, "text/plain; version=0.0.4; charset=utf-8", text);
    });
}

} // namespace shop::http
