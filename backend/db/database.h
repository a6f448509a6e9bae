#pragma once

#include "connectionoptions.h"
#include "core/result.h"

#include <QSemaphore>
#include <QSqlDatabase>
#include <QSqlQuery>
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

// A lease on this thread's connection, returned to the pool when destroyed.
class Connection
{
public:
    Connection(Connection &&other) noexcept;
    Connection &operator=(Connection &&) = delete;
    Connection(const Connection &) = delete;
    ~Connection();

    QSqlDatabase &sql() { return m_db; }
    bool plainQueries() const { return m_plain; }

    Query query(const QString &statement);

    // Runs a statement without parameters (DDL, BEGIN, a migration file).
    Status execute(const QString &statement);

    // Marks the physical connection as unusable: it is closed when the lease ends.
    void markBroken() { m_broken = true; }

private:
    friend class Database;
    Connection(Database *pool, QSqlDatabase db, bool plain, bool nested)
        : m_pool(pool), m_db(std::move(db)), m_plain(plain), m_nested(nested) {}

    Database *m_pool;
    QSqlDatabase m_db;
    bool m_plain;
    bool m_nested;
    bool m_broken = false;
};

// One statement with named parameters (:name). In plain mode the parameters are
// rendered as escaped literals and the statement is sent with the simple query
// protocol, so nothing is prepared on the server (required behind PgBouncer in
// transaction mode); otherwise QPSQL prepares and binds them.
class Query
{
public:
    Query(Connection &connection, QString statement);

    Query &bind(const QString &name, const QVariant &value);
    Status exec();

    bool next() { return m_query.next(); }
    QVariant value(int index) const { return m_query.value(index); }
    QVariant value(const QString &name) const { return m_query.value(name); }
    int rowsAffected() const { return m_query.numRowsAffected(); }
    QSqlQuery &raw() { return m_query; }

    // SQLSTATE of the last failure (e.g. "23505" unique violation), empty if none.
    QString sqlState() const { return m_sqlState; }

    // Renders a statement with its parameters inlined as SQL literals.
    static Result<QString> inlineParameters(const QString &statement, const QList<std::pair<QString, QVariant>> &values);

private:
    Connection &m_connection;
    QString m_statement;
    QList<std::pair<QString, QVariant>> m_values;
    QSqlQuery m_query;
    QString m_sqlState;
};

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

// Turns a failed QSqlQuery into an Error: the detail is logged, the client gets a
// generic message; connection failures become Unavailable.
Error sqlError(const QSqlError &error, const QString &statement);

} // namespace shop::db
