#pragma once

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QString>

#include <array>
#include <atomic>
#include <memory>
#include <vector>

namespace shop::http {

// Request counters and latency histograms by route, kept in one shard per I/O thread
// so the hot path takes only its own (uncontended) lock; /metrics adds shards up.
class HttpMetrics
{
public:
    static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};

    explicit HttpMetrics(int shards);

    void record(int shard, const QString &route, const QByteArray &method, int status, qint64 nanos);

    std::atomic<int> inFlight{0};
    std::atomic<int> openConnections{0};
    std::atomic<qint64> acceptedConnections{0};
    std::atomic<qint64> refusedConnections{0};   // over the connection cap
    std::atomic<qint64> rejectedRequests{0};     // refused by the framer or a timeout

    struct Totals
    {
        qint64 requests = 0;
        qint64 clientErrors = 0;
        qint64 serverErrors = 0;
    };
    Totals totals() const;

    // Prometheus text exposition format 0.0.4.
    QByteArray render() const;

private:
    // Keys share the route's and method's data (implicit sharing): recording a
    // request allocates nothing once its series exists.
    struct SeriesKey
    {
        QString route;
        QByteArray method;
        int status = 0; // 0 in latency keys
        friend bool operator==(const SeriesKey &a, const SeriesKey &b)
        {
            return a.status == b.status && a.route == b.route && a.method == b.method;
        }
        friend size_t qHash(const SeriesKey &k, size_t seed = 0)
        {
            return qHashMulti(seed, k.route, k.method, k.status);
        }
    };
    struct Histogram
    {
        std::array<qint64, kBuckets.size()> buckets{};
        qint64 count = 0;
        double sum = 0;
    };
    struct Shard
    {
        mutable QMutex mutex;
        QHash<SeriesKey, qint64> counters;
        QHash<SeriesKey, Histogram> latency; // status 0
    };
    std::vector<std::unique_ptr<Shard>> m_shards;
};

} // namespace shop::http
