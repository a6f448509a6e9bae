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
        it = m_buckets.insert(key, Bucket{double(rule.burst), now, now});
    Bucket &b = *it;
    b.tokens = qMin(double(rule.burst), b.tokens + double(now - b.updatedMs) * perMs);
    b.updatedMs = now;
    const bool allowed = b.tokens >= 1.0;
    if (allowed)
        b.tokens -= 1.0;
    b.fullAtMs = now + qint64(std::ceil((double(rule.burst) - b.tokens) / perMs));
    if (allowed)
        return Decision{true, 0};
    return Decision{false, int(std::ceil((1.0 - b.tokens) / perMs / 1000.0))};
}

void LocalRateLimiter::reset(const QByteArray &key)
{
    std::lock_guard lock(m_lock);
    m_buckets.remove(key);
}

qsizetype LocalRateLimiter::trackedKeys() const
{
    std::lock_guard lock(m_lock);
    return m_buckets.size();
}

void LocalRateLimiter::prune(qint64 nowMs)
{
    // A full bucket carries no information (a new one starts full): forget those now
    // and then, so a flood of distinct addresses holds memory only while each of them
    // is actually limited.
    if (nowMs - m_lastPruneMs < 10'000 && m_buckets.size() < 100'000)
        return;
    m_lastPruneMs = nowMs;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (it->fullAtMs <= nowMs)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

} // namespace shop::auth
