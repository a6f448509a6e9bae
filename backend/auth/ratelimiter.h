#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QHash>

#include <chrono>
#include <mutex>

namespace shop::auth {

// Token buckets keyed by a string ("ip:203.0.113.9", "acct:ann@example.com"). The
// in-process implementation below holds the limits per instance; a shared store
// (Redis) can replace it behind the same interface.
class RateLimiter
{
public:
    struct Rule
    {
        int burst = 10;                  // bucket size
        std::chrono::milliseconds refill{6000}; // one token back per interval
    };
    struct Decision
    {
        bool allowed = true;
        int retryAfterSeconds = 0;
    };

    virtual ~RateLimiter() = default;
    virtual Result<Decision> take(const QByteArray &key, const Rule &rule) = 0;
    // True when take() never waits on anything outside the process, so it may run on
    // an I/O thread (a refused sign-in then costs no worker and waits behind no bcrypt).
    virtual bool answersInline() const { return false; }
    // Forget a key (an admin lifting a lock, a successful sign-in).
    virtual void reset(const QByteArray &key) = 0;
};

class LocalRateLimiter : public RateLimiter
{
public:
    Result<Decision> take(const QByteArray &key, const Rule &rule) override;
    bool answersInline() const override { return true; }
    void reset(const QByteArray &key) override;

    // Buckets held now (for /metrics and tests).
    qsizetype trackedKeys() const;

private:
    struct Bucket
    {
        double tokens = 0;
        qint64 updatedMs = 0;
        qint64 fullAtMs = 0; // when refilling makes it full again, i.e. forgettable
    };
    void prune(qint64 nowMs);

    mutable std::mutex m_lock;
    QHash<QByteArray, Bucket> m_buckets;
    qint64 m_lastPruneMs = 0;
};

} // namespace shop::auth
