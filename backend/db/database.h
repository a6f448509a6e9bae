#pragma once

#include "connectionoptions.h"
#include "core/result.h"

#include <QSemaphore>
#include <QString>
#include <QVariant>

#include <atomic>
#include <chrono>

namespace shop::db {

class Connection;

struct PoolStats
{
    int size = 0;             // connections allowed at most
    int inUse = 0;            // leased right now
    int waiting = 0;          // callers waiting for a lease
    qint64 acquired = 0;      // leases handed out since start
    qint64 timeouts = 0;      // waits that ran past the deadline (-> 503)
    double waitSeconds = 0;   // total time spent waiting
    qint64 opened = 0;        // physical connections opened since start
};

// The pool is the unit of back-pressure (DESIGN.md): at most `size` leases at once,
// a bounded wait for one, then an Unavailable error the HTTP layer turns into 503.
//
// QSqlDatabase connections belong to the thread that opened them, so each thread
// keeps its own physical connection (opened on first use, reused after); the
// semaphore bounds how many threads hold one at the same time.
class Database
{
public:
    struct Options
    {
        ConnectionOptions connection;
        int poolSize = 8;
        int acquireTimeoutMs = 2000;
        bool plainQueries = false; // PgBouncer transaction mode: no server-side prepares
    };

    explicit Database(Options options);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    Result<Connection> acquire();
    Result<Connection> acquire(std::chrono::milliseconds timeout);

    // Closes this thread's connection; threads call it before they end.
    void releaseThreadConnection();

    PoolStats stats() const;
    const Options &options() const { return m_options; }
    QString describe() const { return m_options.connection.redacted(); }

    // Opens a one-off connection (not pooled) and reports the server version and the
    // round trip of a trivial query. The settings dialog's "Test connection".
    struct Probe
    {
        QString serverVersion;
        double roundTripMs = 0;
    };
    static Result<Probe> probe(const ConnectionOptions &options, int timeoutSeconds = 5);

private:
    friend class Connection;
    void release(bool broken);

    Options m_options;
    quintptr m_id;
    mutable QSemaphore m_permits;
    std::atomic<int> m_inUse{0};
    std::atomic<int> m_waiting{0};
    std::atomic<qint64> m_acquired{0};
    std::atomic<qint64> m_timeouts{0};
    std::atomic<qint64> m_waitNanos{0};
    std::atomic<qint64> m_opened{0};
};

class Query;
struct ThreadEntry;

// A lease on this thread's connection, returned to the pool when destroyed.
class Connection
{
public:
    Connection(Connection &&other) noexcept;
    Connection &operator=(Connection &&) = delete;
    Connection(const Connection &) = delete;
    ~Connection();

    bool plainQueries() const { return m_plain; }

    Query query(const QString &statement);

    // Runs statements without parameters through the simple query protocol (DDL,
    // BEGIN/COMMIT, a whole migration file).
    Status execute(const QString &statement);
    // The same, also handing back the command tag ("COMMIT", "ROLLBACK", "UPDATE 3").
    Status execute(const QString &statement, QByteArray *commandTag);

    // COPY ... FROM STDIN with `data` in COPY's text format (bulk loads: seed-demo,
    // imports). One round trip for any number of rows.
    Status copyIn(const QString &copyStatement, const QByteArray &data);

    // Marks the physical connection as unusable: it is closed when the lease ends.
    void markBroken() { m_broken = true; }

private:
    friend class Database;
    friend class Query;
    Connection(Database *pool, ThreadEntry *entry, bool plain, bool nested)
        : m_pool(pool), m_entry(entry), m_plain(plain), m_nested(nested) {}

    Database *m_pool;
    ThreadEntry *m_entry;
    bool m_plain;
    bool m_nested;
    bool m_broken = false;
};

// One statement with named parameters (:name), sent through libpq with the values
// bound as parameters ($1, $2, ...), never spliced into the SQL text. By default each
// connection prepares a statement once and reuses it; in plain mode (PgBouncer in
// transaction mode, where a prepared statement may not exist on the next server
// connection) every execution uses the unnamed statement instead.
class Query
{
public:
    Query(Connection &connection, QString statement);
    ~Query();
    Query(Query &&other) noexcept;
    Query(const Query &) = delete;
    Query &operator=(const Query &) = delete;

    Query &bind(const QString &name, const QVariant &value);
    Status exec();

    bool next();
    // The current row's column, converted by its PostgreSQL type: integers to
    // qlonglong, numeric to QString (exact), timestamps to QDateTime, bytea to
    // QByteArray, NULL to a null QVariant.
    QVariant value(int column) const;
    // The column's text exactly as PostgreSQL sent it (e.g. JSON built by the server).
    QByteArray text(int column) const;
    bool isNull(int column) const;
    int size() const;
    qint64 rowsAffected() const;

    // SQLSTATE of the last failure (e.g. "23505" unique violation), empty if none.
    QString sqlState() const { return m_sqlState; }

    // Replaces :name placeholders (outside quotes, comments and :: casts) with $1..$n,
    // numbered by first appearance; `order` receives each $k's name. Fails on a name
    // with no bound value.
    static Result<QString> numberPlaceholders(const QString &statement, const QStringList &bound,
                                              QStringList *order);

private:
    Connection *m_connection;
    QString m_statement;
    QList<std::pair<QString, QVariant>> m_values;
    void *m_result = nullptr; // PGresult
    int m_row = -1;
    QString m_sqlState;
};

// `text` as a LIKE pattern that matches it literally: %, _ and \ escaped (the
// default ESCAPE character), for callers that add their own wildcards.
QString escapeLike(const QString &text);

// Rolls back unless commit() was called; services decide the scope.
class Transaction
{
public:
    explicit Transaction(Connection &connection);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    Status begin();
    Status commit();

private:
    Connection &m_connection;
    bool m_open = false;
};


} // namespace shop::db
