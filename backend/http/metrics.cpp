#include "metrics.h"

#include <QMap>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

QByteArray escapeLabel(const QString &value)
{
    QByteArray out = value.toUtf8();
    out.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return out;
}

} // namespace

HttpMetrics::HttpMetrics(int shards)
{
    for (int i = 0; i < qMax(1, shards); ++i)
        m_shards.push_back(std::make_unique<Shard>());
}

void HttpMetrics::record(int shard, const QString &route, const QByteArray &method, int status, qint64 nanos)
{
    Shard &s = *m_shards[size_t(shard) % m_shards.size()];
    const double seconds = double(nanos) / 1e9;
    QMutexLocker lock(&s.mutex);
    ++s.counters[SeriesKey{route, method, status}];
    Histogram &h = s.latency[SeriesKey{route, method, 0}];
    ++h.count;
    h.sum += seconds;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) {
            ++h.buckets[i];
            break;
        }
    }
}

HttpMetrics::Totals HttpMetrics::totals() const
{
    Totals t;
    for (const auto &shard : m_shards) {
        QMutexLocker lock(&shard->mutex);
        for (auto it = shard->counters.cbegin(); it != shard->counters.cend(); ++it) {
            t.requests += it.value();
            if (it.key().status >= 500)
                t.serverErrors += it.value();
            else if (it.key().status >= 400)
                t.clientErrors += it.value();
        }
    }
    return t;
}

QByteArray HttpMetrics::render() const
{
    // Sorted by label text so the exposition is stable between scrapes.
    const auto labels = [](const SeriesKey &k) -> QByteArray {
        return "route=\"" + escapeLabel(k.route) + "\",method=\"" + escapeLabel(QString::fromLatin1(k.method)) + '"';
    };
    QMap<QByteArray, qint64> counters;
    QMap<QByteArray, Histogram> latency;
    for (const auto &shard : m_shards) {
        QMutexLocker lock(&shard->mutex);
        for (auto it = shard->counters.cbegin(); it != shard->counters.cend(); ++it)
            counters[labels(it.key()) + ",status=\"" + QByteArray::number(it.key().status) + '"'] += it.value();
        for (auto it = shard->latency.cbegin(); it != shard->latency.cend(); ++it) {
            Histogram &h = latency[labels(it.key())];
            for (size_t i = 0; i < kBuckets.size(); ++i)
                h.buckets[i] += it->buckets[i];
            h.count += it->count;
            h.sum += it->sum;
        }
    }

    QByteArray out;
    out += "# HELP shopdesk_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
           "# TYPE shopdesk_http_requests_total counter\n";
    for (auto it = counters.cbegin(); it != counters.cend(); ++it)
        out += "shopdesk_http_requests_total{" + it.key() + "} " + QByteArray::number(it.value()) + '\n';
    out += "# HELP shopdesk_http_request_duration_seconds Time from a whole request to its response.\n"
           "# TYPE shopdesk_http_request_duration_seconds histogram\n";
    for (auto it = latency.cbegin(); it != latency.cend(); ++it) {
        const QByteArray &l = it.key();
        qint64 cumulative = 0;
        for (size_t i = 0; i < kBuckets.size(); ++i) {
            cumulative += it->buckets[i];
            out += "shopdesk_http_request_duration_seconds_bucket{" + l + ",le=\""
                   + QByteArray::number(kBuckets[i], 'g', 6) + "\"} " + QByteArray::number(cumulative) + '\n';
        }
        out += "shopdesk_http_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} "
               + QByteArray::number(it->count) + '\n';
        out += "shopdesk_http_request_duration_seconds_sum{" + l + "} " + QByteArray::number(it->sum, 'g', 9) + '\n';
        out += "shopdesk_http_request_duration_seconds_count{" + l + "} " + QByteArray::number(it->count) + '\n';
    }
    const auto gauge = [&out](const char *name, const char *help, const char *type, qint64 value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' '
               + QByteArray::number(value) + '\n';
    };
    gauge("shopdesk_http_requests_in_flight", "Requests being handled now.", "gauge", inFlight.load());
    gauge("shopdesk_http_connections_open", "Client connections open now.", "gauge", openConnections.load());
    gauge("shopdesk_http_connections_accepted_total", "Client connections accepted.", "counter",
          acceptedConnections.load());
    gauge("shopdesk_http_connections_refused_total", "Connections refused over the connection cap.", "counter",
          refusedConnections.load());
    gauge("shopdesk_http_requests_rejected_total",
          "Requests refused before routing (size caps, timeouts, malformed).", "counter", rejectedRequests.load());
    return out;
}

} // namespace shop::http
