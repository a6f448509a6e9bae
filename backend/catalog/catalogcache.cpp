#include "catalogcache.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

#include <mutex>

namespace shop::catalog {

CatalogCache::CatalogCache(qint64 maxBytes) : m_maxShardBytes(qMax<qint64>(1, maxBytes / ShardCount)) {}

CatalogCache::Shard &CatalogCache::shardFor(const QByteArray &key)
{
    // A fixed seed: the shard choice only spreads lock traffic.
    return m_shards[qHash(key, size_t(0x5d0c)) % ShardCount];
}

void CatalogCache::setListening(bool listening)
{
    // Either way nothing read before this moment may be kept: going deaf means
    // changes will be missed, and coming back means some may have been.
    invalidateAll();
    m_listening.store(listening, std::memory_order_release);
}

std::optional<CatalogCache::Entry> CatalogCache::find(const QByteArray &key)
{
    if (!serving())
        return std::nullopt;
    Shard &shard = shardFor(key);
    {
        std::shared_lock lock(shard.lock);
        const auto it = shard.entries.constFind(key);
        if (it != shard.entries.cend()) {
            m_hits.fetch_add(1, std::memory_order_relaxed);
            return *it;
        }
    }
    m_misses.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

void CatalogCache::insert(const QByteArray &key, Entry entry, quint64 generation)
{
    if (!serving())
        return;
    entry.productIds = productIdsOf(entry.body); // before the lock: a parse is not free
    Shard &shard = shardFor(key);
    const qint64 size = key.size() + entry.body.size() + entry.etag.size();
    std::unique_lock lock(shard.lock);
    // Checked under the shard lock: invalidateAll() bumps the generation before it
    // takes this lock to clear, so either we see the new generation here, or our
    // entry is already in the shard when it is cleared.
    if (m_generation.load(std::memory_order_acquire) != generation)
        return;
    if (shard.bytes + size > m_maxShardBytes) {
        shard.entries.clear();
        shard.bytes = 0;
    }
    auto it = shard.entries.find(key);
    if (it != shard.entries.end()) {
        shard.bytes -= key.size() + it->body.size() + it->etag.size();
        *it = std::move(entry);
    } else {
        shard.entries.insert(key, std::move(entry));
    }
    shard.bytes += size;
}

void CatalogCache::invalidateAll()
{
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    m_invalidations.fetch_add(1, std::memory_order_relaxed);
    for (Shard &shard : m_shards) {
        std::unique_lock lock(shard.lock);
        shard.entries.clear();
        shard.bytes = 0;
    }
}

void CatalogCache::invalidateProducts(QList<qint64> ids)
{
    if (ids.isEmpty())
        return invalidateAll();
    std::sort(ids.begin(), ids.end());
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    m_invalidations.fetch_add(1, std::memory_order_relaxed);
    const auto shows = [&ids](const Entry &entry) {
        auto a = ids.cbegin();
        auto b = entry.productIds.cbegin();
        while (a != ids.cend() && b != entry.productIds.cend()) {
            if (*a == *b)
                return true;
            *a < *b ? ++a : ++b;
        }
        return false;
    };
    for (Shard &shard : m_shards) {
        std::unique_lock lock(shard.lock);
        for (auto it = shard.entries.begin(); it != shard.entries.end();) {
            if (shows(*it)) {
                shard.bytes -= it.key().size() + it->body.size() + it->etag.size();
                it = shard.entries.erase(it);
            } else {
                ++it;
            }
        }
    }
}

QList<qint64> CatalogCache::productIdsOf(const QByteArray &body)
{
    const QJsonValue data = QJsonDocument::fromJson(body).object().value(QLatin1StringView("data"));
    QList<qint64> ids;
    const auto add = [&ids](const QJsonValue &product) {
        const QJsonObject o = product.toObject();
        if (o.contains(QLatin1StringView("sku"))) // a product, not a category
            ids.append(o.value(QLatin1StringView("id")).toInteger());
    };
    if (data.isArray()) {
        for (const QJsonValue &v : data.toArray())
            add(v);
    } else if (data.toObject().contains(QLatin1StringView("products"))) {
        for (const QJsonValue &v : data.toObject().value(QLatin1StringView("products")).toArray())
            add(v);
    } else {
        add(data);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

CatalogCache::Stats CatalogCache::stats() const
{
    Stats s;
    s.hits = m_hits.load(std::memory_order_relaxed);
    s.misses = m_misses.load(std::memory_order_relaxed);
    s.invalidations = m_invalidations.load(std::memory_order_relaxed);
    for (const Shard &shard : m_shards) {
        std::shared_lock lock(shard.lock);
        s.entries += shard.entries.size();
        s.bytes += shard.bytes;
    }
    return s;
}

QByteArray CatalogCache::etagFor(const QByteArray &body)
{
    // Not a security use: any stable digest would do; SHA-1 is fast and everywhere.
    return '"' + QCryptographicHash::hash(body, QCryptographicHash::Sha1).toHex().left(32) + '"';
}

} // namespace shop::catalog
