#pragma once

#include "ratelimiter.h"

#include <QString>

#include <atomic>

namespace shop::auth {

// The same token buckets kept in Redis (REDIS_URL), so every instance behind the load
// balancer counts the same attempts. One Lua script per take makes read-refill-write
// atomic and uses the Redis server's clock, not each instance's.
//
// Fails closed: when Redis cannot be reached the take() is an Unavailable error (503
// to the client) and a log line says why, rather than letting unlimited guesses
// through. hiredis writes with write(): the process must ignore SIGPIPE (main() does).
class RedisRateLimiter : public RateLimiter
{
public:
    // redis://[:password@]host[:port][/db] or unix:///path/to/redis.sock
    static Result<RedisRateLimiter *> create(const QString &url);

    Result<Decision> take(const QByteArray &key, const Rule &rule) override;
    void reset(const QByteArray &key) override;

private:
    struct Target
    {
        QString host;
        int port = 6379;
        QString socketPath;
        QString password;
        int database = 0;
    };
    explicit RedisRateLimiter(Target target) : m_target(std::move(target)) {}
    void *connection(); // this thread's redisContext, (re)connected on demand
    void dropConnection();

    Target m_target;
    std::atomic<qint64> m_lastWarningMs{0};
};

} // namespace shop::auth
