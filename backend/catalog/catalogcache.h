#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>

#include <array>
#include <atomic>
#include <optional>
#include <shared_mutex>

namespace shop::catalog {

// Finished catalog responses (the whole body and its ETag), keyed by the request's
// path and canonical query. Shared by every I/O thread: 16 shards, each behind a
// reader-writer lock, so hits on different keys rarely touch the same lock.
//
// Correctness rests on two rules:
// - A generation number. Whoever reads the database notes generation() first and
//   passes it to insert(); invalidateAll() bumps it before clearing, so a page built
//   from data older than the invalidation is never stored.
// - serving(): only while the NOTIFY listener is connected (and the cache is
//   enabled). A listener that lost its connection cannot hear changes, so the cache
//   steps aside until it is back and has resynchronised.
class CatalogCache
{
public:
    struct Entry
    {
        QByteArray body;
        QByteArray etag;
        QList<qint64> productIds; // the products the body shows, sorted (set by insert())
    };

    struct Stats
    {
        qint64 hits = 0;
        qint64 misses = 0;
        qint64 invalidations = 0;
        qint64 entries = 0;
        qint64 bytes = 0;
    };

    explicit CatalogCache(qint64 maxBytes = 64 * 1024 * 1024);

    void setEnabled(bool enabled) { m_enabled.store(enabled, std::memory_order_release); }
    bool enabled() const { return m_enabled.load(std::memory_order_acquire); }
    // Set by the NOTIFY listener as its connection comes and goes.
    void setListening(bool listening);
    bool serving() const
    {
        return m_enabled.load(std::memory_order_acquire) && m_listening.load(std::memory_order_acquire);
    }

    quint64 generation() const { return m_generation.load(std::memory_order_acquire); }

    std::optional<Entry> find(const QByteArray &key);
    // Stored only if nothing was invalidated since `generation` was read and the
    // cache is serving; an entry would push the cache past its byte budget clears
    // the shard first (catalog keys are few; a simple bound beats LRU bookkeeping).
    void insert(const QByteArray &key, Entry entry, quint64 generation);
    void invalidateAll();
    // A stock-only change of these products (a sale, a cancellation): drops just the
    // entries that show one of them; category lists and pages of other products stay.
    // Bumps the generation like invalidateAll(), so no read racing it is stored.
    void invalidateProducts(QList<qint64> ids);

    Stats stats() const;

    // A strong validator for a body: same bytes, same tag on every instance.
    static QByteArray etagFor(const QByteArray &body);
    // The ids of the products a catalog body ({"success":true,"data":...}) shows: a
    // product, a list of them, or a page's "products"; none for categories.
    static QList<qint64> productIdsOf(const QByteArray &body);

private:
    struct Shard
    {
        mutable std::shared_mutex lock;
        QHash<QByteArray, Entry> entries;
        qint64 bytes = 0;
    };
    Shard &shardFor(const QByteArray &key);

    static constexpr int ShardCount = 16;
    std::array<Shard, ShardCount> m_shards;
    const qint64 m_maxShardBytes;
    std::atomic<bool> m_enabled{true};
    std::atomic<bool> m_listening{false};
    std::atomic<quint64> m_generation{1};
    std::atomic<qint64> m_hits{0};
    std::atomic<qint64> m_misses{0};
    std::atomic<qint64> m_invalidations{0};
};

} // namespace shop::catalog
