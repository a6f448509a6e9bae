#include "redisratelimiter.h"

#include "core/logging.h"

#include <QDateTime>
#include <QHash>
#include <QUrl>

#include <hiredis/hiredis.h>

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

// KEYS[1] bucket; ARGV burst, refill interval in ms. Returns {allowed, retry seconds}.
constexpr auto TakeScript = R"lua(
local burst = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / refill)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * refill / 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * refill) + 1000)
return {allowed, wait}
)lua";

struct Contexts
{
    QHash<const void *, redisContext *> byLimiter;
    ~Contexts()
    {
        for (redisContext *c : std::as_const(byLimiter))
            redisFree(c);
    }
};

Contexts &contexts()
{
    thread_local Contexts c;
    return c;
}

struct Reply
{
    redisReply *r = nullptr;
    ~Reply()
    {
        if (r)
            freeReplyObject(r);
    }
};

} // namespace

Result<RedisRateLimiter *> RedisRateLimiter::create(const QString &text)
{
    const QUrl url(text);
    Target t;
    if (url.scheme() == "unix"_L1) {
        t.socketPath = url.path();
    } else if (url.scheme() == "redis"_L1) {
        t.host = url.host().isEmpty() ? u"127.0.0.1"_s : url.host();
        t.port = url.port(6379);
        const QString db = url.path().mid(1);
        if (!db.isEmpty()) {
            bool ok = false;
            t.database = db.toInt(&ok);
            if (!ok)
                return fail(Error::invalid(u"REDIS_URL: \"%1\" is not a database number"_s.arg(db)));
        }
    } else {
        return fail(Error::invalid(u"REDIS_URL must be redis://host:port[/db] or unix:///path (TLS: use a local "
                                   "stunnel or a unix socket)"_s));
    }
    t.password = url.password();
    return new RedisRateLimiter(t);
}

void *RedisRateLimiter::connection()
{
    auto &byLimiter = contexts().byLimiter;
    redisContext *c = byLimiter.value(this);
    if (c && !c->err)
        return c;
    if (c) {
        redisFree(c);
        byLimiter.remove(this);
    }
    const timeval timeout{0, 500'000};
    c = m_target.socketPath.isEmpty()
            ? redisConnectWithTimeout(m_target.host.toUtf8().constData(), m_target.port, timeout)
            : redisConnectUnixWithTimeout(m_target.socketPath.toUtf8().constData(), timeout);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return nullptr;
    }
    redisSetTimeout(c, timeout);
    const auto command = [c](const char *format, auto... args) {
        Reply reply{static_cast<redisReply *>(redisCommand(c, format, args...))};
        return reply.r && reply.r->type != REDIS_REPLY_ERROR;
    };
    if ((!m_target.password.isEmpty() && !command("AUTH %s", m_target.password.toUtf8().constData()))
        || (m_target.database != 0 && !command("SELECT %d", m_target.database))) {
        redisFree(c);
        return nullptr;
    }
    byLimiter.insert(this, c);
    return c;
}

void RedisRateLimiter::dropConnection()
{
    if (redisContext *c = contexts().byLimiter.take(this))
        redisFree(c);
}

Result<RateLimiter::Decision> RedisRateLimiter::take(const QByteArray &key, const Rule &rule)
{
    auto *c = static_cast<redisContext *>(connection());
    Reply reply;
    if (c) {
        const QByteArray fullKey = "shopdesk:rl:" + key;
        reply.r = static_cast<redisReply *>(redisCommand(c, "EVAL %s 1 %b %d %lld", TakeScript, fullKey.constData(),
                                                         size_t(fullKey.size()), rule.burst,
                                                         qint64(rule.refill.count())));
    }
    if (!reply.r || reply.r->type != REDIS_REPLY_ARRAY || reply.r->elements != 2) {
        const QString why = !c              ? u"cannot connect"_s
                            : !reply.r      ? QString::fromUtf8(c->errstr)
                                            : reply.r->type == REDIS_REPLY_ERROR ? QString::fromUtf8(reply.r->str)
                                                                                : u"unexpected reply"_s;
        dropConnection();
        // One line a minute, not one per request, while it is down.
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - m_lastWarningMs.load() > 60'000) {
            m_lastWarningMs = now;
            qCWarning(lcApp).noquote() << "Redis rate-limit store unavailable (" << why
                                       << "): refusing sign-in attempts until it is back";
        }
        return fail(Error::unavailable(u"Sign-in is briefly unavailable; try again shortly"_s));
    }
    return Decision{reply.r->element[0]->integer == 1, int(reply.r->element[1]->integer)};
}

void RedisRateLimiter::reset(const QByteArray &key)
{
    auto *c = static_cast<redisContext *>(connection());
    if (!c)
        return;
    const QByteArray fullKey = "shopdesk:rl:" + key;
    Reply reply{static_cast<redisReply *>(redisCommand(c, "DEL %b", fullKey.constData(), size_t(fullKey.size())))};
    if (!reply.r)
        dropConnection();
}

} // namespace shop::auth
