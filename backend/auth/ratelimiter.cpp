#include "ratelimiter.h"

#include <QDateTime>

#include <cmath>

namespace shop::auth {

Result<RateLimiter::Decision> LocalRateLimiter::take(const QByteArray &key, const Rule &rule)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double perMs = 1.0 / double(qMax<qint64>(1, rule.refill.count()));
    std::lock_guard lock(m_lock);
    prune(now);
    auto it = m_buckets.find(key);
    if (it == m_buckets.end())
        it = m_buckets.insert(key, Bucket{double(rule.burst), now});
    Bucket &b = *it;
    b.tokens = qMin(double(rule.burst), b.tokens + double(now - b.updatedMs) * perMs);
    b.updatedMs = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return Decision{true, 0};
    }
    const double waitMs = (1.0 - b.tokens) / perMs;
    return Decision{false, int(std::ceil(waitMs / 1000.0))};
}

void LocalRateLimiter::reset(const QByteArray &key)
{
    std::lock_guard lock(m_lock);
    m_buckets.remove(key);
}

void LocalRateLimiter::prune(qint64 nowMs)
{
    // A full bucket carries no information: drop idle ones now and then, so a flood
    // of distinct addresses cannot grow the table without bound.
    if (nowMs - m_lastPruneMs < 60'000 && m_buckets.size() < 100'000)
        return;
    m_lastPruneMs = nowMs;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (nowMs - it->updatedMs > 3'600'000)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

} // namespace shop::auth
