#include "database.h"

#include "core/logging.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimeZone>
#include <QUuid>

#include <libpq-fe.h>

using namespace Qt::StringLiterals;

namespace shop::db {

// This thread's physical connection to one pool, and how deep its leases nest.
struct ThreadEntry
{
    QSqlDatabase db;    // opens and closes the connection (QPSQL understands our options)
    PGconn *conn = nullptr; // the same connection, for libpq's parameter binding
    QString name;
    int depth = 0;
    QHash<QString, QByteArray> prepared; // statement text -> server-side name
};

namespace {

std::atomic<quintptr> g_nextPoolId{1};

struct ThreadConnections
{
    QHash<quintptr, ThreadEntry *> entries;

    void drop(quintptr poolId)
    {
        ThreadEntry *entry = entries.take(poolId);
        if (!entry)
            return;
        const QString name = entry->name;
        entry->db.close();
        delete entry; // the last QSqlDatabase copy must go before removeDatabase
        QSqlDatabase::removeDatabase(name);
    }

    ~ThreadConnections()
    {
        const auto ids = entries.keys();
        for (quintptr id : ids)
            drop(id);
    }
};

ThreadConnections &threadConnections()
{
    thread_local ThreadConnections connections;
    return connections;
}

void closeEntry(ThreadEntry &entry)
{
    entry.db.close();
    entry.conn = nullptr;
    entry.prepared.clear();
}

PGconn *handleOf(const QSqlDatabase &db)
{
    const QVariant handle = db.driver()->handle();
    if (handle.isValid() && (qstrcmp(handle.typeName(), "PGconn*") == 0 || qstrcmp(handle.typeName(), "pg_conn*") == 0))
        return *static_cast<PGconn *const *>(handle.constData());
    return nullptr;
}

// Text form of a parameter, as PostgreSQL's input functions read it.
std::optional<QByteArray> parameterText(const QVariant &value, bool *binary)
{
    *binary = false;
    if (!value.isValid() || value.isNull())
        return std::nullopt;
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? QByteArray("true") : QByteArray("false");
    case QMetaType::QByteArray:
        *binary = true; // sent as raw bytes, no escaping
        return value.toByteArray();
    case QMetaType::QDateTime:
        return value.toDateTime().toString(Qt::ISODateWithMs).toUtf8();
    case QMetaType::QDate:
        return value.toDate().toString(Qt::ISODate).toUtf8();
    case QMetaType::QUuid:
        return value.toUuid().toString(QUuid::WithoutBraces).toUtf8();
    case QMetaType::Double:
    case QMetaType::Float:
        return QByteArray::number(value.toDouble(), 'g', 17);
    case QMetaType::QJsonDocument:
        return value.toJsonDocument().toJson(QJsonDocument::Compact);
    case QMetaType::QJsonObject:
        return QJsonDocument(value.toJsonObject()).toJson(QJsonDocument::Compact);
    case QMetaType::QJsonArray:
        return QJsonDocument(value.toJsonArray()).toJson(QJsonDocument::Compact);
    default:
        return value.toString().toUtf8();
    }
}

// Type OIDs from PostgreSQL's pg_type.dat; stable across versions.
enum Oid : unsigned {
    BoolOid = 16, ByteaOid = 17, Int8Oid = 20, Int2Oid = 21, Int4Oid = 23, OidOid = 26,
    Float4Oid = 700, Float8Oid = 701, DateOid = 1082, TimestampOid = 1114, TimestamptzOid = 1184,
};

QDateTime parseTimestamp(const char *text, bool withZone)
{
    // ISO DateStyle (QPSQL sets it): "2026-11-23 23:09:12.123456+00", offsets may be
    // "+05:30" or "+0530" or "+05".
    QString s = QString::fromLatin1(text);
    s.replace(u' ', u'T');
    if (withZone) {
        const qsizetype sign = qMax(s.lastIndexOf(u'+'), s.lastIndexOf(u'-'));
        if (sign > 10) {
            QString zone = s.mid(sign);
            if (zone.size() == 3)
                zone += u":00"_s;
            s = s.left(sign) + zone;
        }
        return QDateTime::fromString(s, Qt::ISODateWithMs).toUTC();
    }
    return QDateTime::fromString(s, Qt::ISODateWithMs);
}

Error resultError(PGconn *conn, const PGresult *result, const QString &statement, QString *sqlState, bool *broken)
{
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    *sqlState = state ? QString::fromLatin1(state) : QString();
    const QString message = QString::fromUtf8(result ? PQresultErrorMessage(result) : PQerrorMessage(conn)).trimmed();
    qCWarning(lcDb).noquote() << "sql error" << *sqlState << message << "in:" << statement.simplified().left(300);
    *broken = !conn || PQstatus(conn) != CONNECTION_OK || sqlState->startsWith("08"_L1);
    if (*broken)
        return Error::unavailable(u"the database is unavailable"_s);
    return Error::internal(u"a database error occurred"_s);
}

void logNotice(void *, const char *message)
{
    qCDebug(lcDb).noquote() << "server notice:" << QString::fromUtf8(message).trimmed();
}

} // namespace

Database::Database(Options options)
    : m_options(std::move(options)), m_id(g_nextPoolId.fetch_add(1)), m_permits(qMax(1, m_options.poolSize))
{
}

Database::~Database()
{
    releaseThreadConnection();
}

void Database::releaseThreadConnection()
{
    threadConnections().drop(m_id);
}

Result<Connection> Database::acquire()
{
    return acquire(std::chrono::milliseconds(m_options.acquireTimeoutMs));
}

Result<Connection> Database::acquire(std::chrono::milliseconds timeout)
{
    auto &entries = threadConnections().entries;
    ThreadEntry *entry = entries.value(m_id);
    if (entry && entry->depth > 0) {
        // The thread already holds a lease: share it rather than take a second permit.
        ++entry->depth;
        return Connection(this, entry, m_options.plainQueries, true);
    }

    if (!m_permits.tryAcquire(1)) {
        ++m_waiting;
        QElapsedTimer waited;
        waited.start();
        const bool got = m_permits.tryAcquire(1, int(timeout.count()));
        m_waitNanos += waited.nsecsElapsed();
        --m_waiting;
        if (!got) {
            ++m_timeouts;
            return fail(Error::unavailable(u"the database is busy; try again shortly"_s));
        }
    }
    ++m_inUse;
    ++m_acquired;

    if (!entry) {
        entry = new ThreadEntry;
        entry->name = u"shopdesk-%1-%2"_s.arg(m_id).arg(quintptr(QThread::currentThreadId()));
        entry->db = QSqlDatabase::addDatabase(u"QPSQL"_s, entry->name);
        m_options.connection.applyTo(entry->db);
        entries.insert(m_id, entry);
    }
    if (!entry->db.isOpen() || !entry->conn || PQstatus(entry->conn) != CONNECTION_OK) {
        closeEntry(*entry);
        if (!entry->db.open()) {
            qCWarning(lcDb).noquote() << "cannot connect to" << describe() << ":" << entry->db.lastError().text();
            release(false);
            return fail(Error::unavailable(u"the database is unavailable"_s));
        }
        entry->conn = handleOf(entry->db);
        if (!entry->conn) {
            closeEntry(*entry);
            release(false);
            return fail(Error::internal(u"the database driver is not PostgreSQL's"_s));
        }
        // libpq prints NOTICEs (e.g. a search made only of stop words) on stderr by
        // default; they belong in the log, at debug level.
        PQsetNoticeProcessor(entry->conn, logNotice, nullptr);
        ++m_opened;
    }
    entry->depth = 1;
    return Connection(this, entry, m_options.plainQueries, false);
}

void Database::release(bool broken)
{
    if (broken) {
        if (ThreadEntry *entry = threadConnections().entries.value(m_id))
            closeEntry(*entry);
    }
    --m_inUse;
    m_permits.release();
}

PoolStats Database::stats() const
{
    PoolStats s;
    s.size = qMax(1, m_options.poolSize);
    s.inUse = m_inUse.load();
    s.waiting = m_waiting.load();
    s.acquired = m_acquired.load();
    s.timeouts = m_timeouts.load();
    s.waitSeconds = double(m_waitNanos.load()) / 1e9;
    s.opened = m_opened.load();
    return s;
}

Result<Database::Probe> Database::probe(const ConnectionOptions &options, int timeoutSeconds)
{
    const QString name = u"shopdesk-probe-"_s + QUuid::createUuid().toString(QUuid::Id128);
    Result<Probe> result;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
        ConnectionOptions o = options;
        if (!o.parameters.contains(u"connect_timeout"_s))
            o.parameters.insert(u"connect_timeout"_s, QString::number(timeoutSeconds));
        o.applyTo(db);
        if (!db.open()) {
            result = fail(Error::unavailable(db.lastError().text().trimmed()));
        } else {
            QSqlQuery q(db);
            QElapsedTimer timer;
            timer.start();
            if (!q.exec(u"SELECT current_setting('server_version')"_s) || !q.next()) {
                result = fail(Error::unavailable(q.lastError().text().trimmed()));
            } else {
                Probe p;
                p.roundTripMs = double(timer.nsecsElapsed()) / 1e6;
                p.serverVersion = q.value(0).toString();
                result = p;
            }
            q.finish();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return result;
}

Connection::Connection(Connection &&other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)), m_entry(other.m_entry), m_plain(other.m_plain),
      m_nested(other.m_nested), m_broken(other.m_broken)
{
}

Connection::~Connection()
{
    if (!m_pool)
        return;
    if (m_nested) {
        --m_entry->depth;
        if (m_broken)
            closeEntry(*m_entry); // the outer lease reconnects next time
        return;
    }
    m_entry->depth = 0;
    m_pool->release(m_broken);
}

Query Connection::query(const QString &statement)
{
    return Query(*this, statement);
}

Status Connection::execute(const QString &statement)
{
    return execute(statement, nullptr);
}

Status Connection::execute(const QString &statement, QByteArray *commandTag)
{
    PGresult *result = PQexec(m_entry->conn, statement.toUtf8().constData());
    const ExecStatusType status = PQresultStatus(result);
    if (commandTag)
        *commandTag = result ? QByteArray(PQcmdStatus(result)) : QByteArray();
    Status outcome;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        QString state;
        bool broken = false;
        outcome = std::unexpected(resultError(m_entry->conn, result, statement, &state, &broken));
        if (broken)
            markBroken();
    }
    PQclear(result);
    return outcome;
}

Status Connection::copyIn(const QString &copyStatement, const QByteArray &data)
{
    PGconn *conn = m_entry->conn;
    QString state;
    bool broken = false;
    PGresult *started = PQexec(conn, copyStatement.toUtf8().constData());
    if (PQresultStatus(started) != PGRES_COPY_IN) {
        Error error = resultError(conn, started, copyStatement, &state, &broken);
        PQclear(started);
        if (broken)
            markBroken();
        return std::unexpected(error);
    }
    PQclear(started);
    // PQputCopyData takes an int length: send large loads in slices.
    constexpr qsizetype Slice = 1 << 20;
    bool sent = true;
    for (qsizetype at = 0; at < data.size() && sent; at += Slice) {
        const qsizetype n = qMin(Slice, data.size() - at);
        sent = PQputCopyData(conn, data.constData() + at, int(n)) == 1;
    }
    const bool ended = PQputCopyEnd(conn, sent ? nullptr : "client failed to send data") == 1;
    Status outcome;
    while (PGresult *result = PQgetResult(conn)) {
        if (outcome && PQresultStatus(result) != PGRES_COMMAND_OK)
            outcome = std::unexpected(resultError(conn, result, copyStatement, &state, &broken));
        PQclear(result);
    }
    if (outcome && (!sent || !ended)) {
        outcome = std::unexpected(resultError(conn, nullptr, copyStatement, &state, &broken));
    }
    if (broken)
        markBroken();
    return outcome;
}

Query::Query(Connection &connection, QString statement)
    : m_connection(&connection), m_statement(std::move(statement))
{
}

Query::Query(Query &&other) noexcept
    : m_connection(other.m_connection),
      m_statement(std::move(other.m_statement)),
      m_values(std::move(other.m_values)),
      m_result(std::exchange(other.m_result, nullptr)),
      m_row(other.m_row),
      m_sqlState(std::move(other.m_sqlState))
{
}

Query::~Query()
{
    if (m_result)
        PQclear(static_cast<PGresult *>(m_result));
}

Query &Query::bind(const QString &name, const QVariant &value)
{
    m_values.append({name, value});
    return *this;
}

Status Query::exec()
{
    if (m_result) {
        PQclear(static_cast<PGresult *>(m_result));
        m_result = nullptr;
    }
    m_row = -1;
    m_sqlState.clear();

    QStringList bound;
    bound.reserve(m_values.size());
    for (const auto &[name, value] : std::as_const(m_values))
        bound.append(name);
    QStringList order;
    auto sql = numberPlaceholders(m_statement, bound, &order);
    if (!sql)
        return std::unexpected(sql.error());

    const int count = int(order.size());
    std::vector<std::optional<QByteArray>> texts(static_cast<size_t>(count));
    std::vector<const char *> values(size_t(count), nullptr);
    std::vector<int> lengths(size_t(count), 0);
    std::vector<int> formats(size_t(count), 0);
    for (int i = 0; i < count; ++i) {
        const auto it = std::find_if(m_values.cbegin(), m_values.cend(),
                                     [&](const auto &v) { return v.first == order.at(i); });
        bool binary = false;
        texts[size_t(i)] = parameterText(it->second, &binary);
        if (texts[size_t(i)]) {
            values[size_t(i)] = texts[size_t(i)]->constData();
            lengths[size_t(i)] = int(texts[size_t(i)]->size());
            formats[size_t(i)] = binary ? 1 : 0;
        }
    }

    ThreadEntry &entry = *m_connection->m_entry;
    PGconn *conn = entry.conn;
    const auto failWith = [&](PGresult *failed) -> Status {
        bool broken = false;
        Error error = resultError(conn, failed, m_statement, &m_sqlState, &broken);
        PQclear(failed);
        if (broken)
            m_connection->markBroken();
        return std::unexpected(error);
    };
    PGresult *result = nullptr;
    if (m_connection->plainQueries()) {
        result = PQexecParams(conn, sql->toUtf8().constData(), count, nullptr, values.data(), lengths.data(),
                              formats.data(), 0);
    } else {
        QByteArray name = entry.prepared.value(*sql);
        if (name.isEmpty()) {
            name = "sd_" + QByteArray::number(entry.prepared.size() + 1);
            PGresult *prepared = PQprepare(conn, name.constData(), sql->toUtf8().constData(), count, nullptr);
            if (PQresultStatus(prepared) != PGRES_COMMAND_OK)
                return failWith(prepared);
            PQclear(prepared);
            entry.prepared.insert(*sql, name);
        }
        result = PQexecPrepared(conn, name.constData(), count, values.data(), lengths.data(), formats.data(), 0);
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        return failWith(result);
    m_result = result;
    return {};
}

bool Query::next()
{
    if (!m_result || m_row + 1 >= PQntuples(static_cast<PGresult *>(m_result)))
        return false;
    ++m_row;
    return true;
}

int Query::size() const
{
    return m_result ? PQntuples(static_cast<PGresult *>(m_result)) : 0;
}

qint64 Query::rowsAffected() const
{
    return m_result ? QByteArray(PQcmdTuples(static_cast<PGresult *>(m_result))).toLongLong() : 0;
}

bool Query::isNull(int column) const
{
    auto *r = static_cast<PGresult *>(m_result);
    return !r || m_row < 0 || column >= PQnfields(r) || PQgetisnull(r, m_row, column);
}

QByteArray Query::text(int column) const
{
    if (isNull(column))
        return {};
    auto *r = static_cast<PGresult *>(m_result);
    return QByteArray(PQgetvalue(r, m_row, column), PQgetlength(r, m_row, column));
}

QVariant Query::value(int column) const
{
    if (isNull(column))
        return {};
    auto *r = static_cast<PGresult *>(m_result);
    const char *text = PQgetvalue(r, m_row, column);
    switch (PQftype(r, column)) {
    case BoolOid:
        return text[0] == 't';
    case Int2Oid:
    case Int4Oid:
    case Int8Oid:
    case OidOid:
        return QByteArray(text).toLongLong();
    case Float4Oid:
    case Float8Oid:
        return QByteArray(text).toDouble();
    case ByteaOid: {
        size_t length = 0;
        unsigned char *raw = PQunescapeBytea(reinterpret_cast<const unsigned char *>(text), &length);
        QByteArray bytes(reinterpret_cast<const char *>(raw), qsizetype(length));
        PQfreemem(raw);
        return bytes;
    }
    case DateOid:
        return QDate::fromString(QString::fromLatin1(text), Qt::ISODate);
    case TimestampOid:
        return parseTimestamp(text, false);
    case TimestamptzOid:
        return parseTimestamp(text, true);
    default:
        // text, varchar, citext, numeric (kept exact), json, uuid, ...
        return QString::fromUtf8(text, PQgetlength(r, m_row, column));
    }
}

Result<QString> Query::numberPlaceholders(const QString &statement, const QStringList &bound, QStringList *order)
{
    QString out;
    out.reserve(statement.size() + 16);
    const qsizetype n = statement.size();
    qsizetype i = 0;
    while (i < n) {
        const QChar c = statement.at(i);
        if (c == u'\'' || c == u'"') {
            // Quoted text is copied verbatim; a doubled quote stays inside.
            const qsizetype start = i++;
            while (i < n) {
                if (statement.at(i) == c) {
                    if (i + 1 < n && statement.at(i + 1) == c) {
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                ++i;
            }
            out += QStringView(statement).mid(start, i - start);
        } else if (c == u'-' && i + 1 < n && statement.at(i + 1) == u'-') {
            const qsizetype end = statement.indexOf(u'\n', i);
            const qsizetype stop = end < 0 ? n : end;
            out += QStringView(statement).mid(i, stop - i);
            i = stop;
        } else if (c == u'$' && i + 1 < n && statement.at(i + 1) == u'$') {
            // Dollar-quoted body ($$ ... $$): copied verbatim.
            const qsizetype end = statement.indexOf(u"$$"_s, i + 2);
            const qsizetype stop = end < 0 ? n : end + 2;
            out += QStringView(statement).mid(i, stop - i);
            i = stop;
        } else if (c == u':' && i + 1 < n && statement.at(i + 1) == u':') {
            out += u"::"_s; // a cast, not a parameter
            i += 2;
        } else if (c == u':' && i + 1 < n && (statement.at(i + 1).isLetter() || statement.at(i + 1) == u'_')) {
            qsizetype j = i + 1;
            while (j < n && (statement.at(j).isLetterOrNumber() || statement.at(j) == u'_'))
                ++j;
            const QString name = statement.mid(i, j - i);
            if (!bound.contains(name))
                return fail(Error::internal(u"no value bound for %1"_s.arg(name)));
            qsizetype index = order->indexOf(name);
            if (index < 0) {
                order->append(name);
                index = order->size() - 1;
            }
            out += u'$' + QString::number(index + 1);
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

QString escapeLike(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c == u'\\' || c == u'%' || c == u'_')
            out += u'\\';
        out += c;
    }
    return out;
}

Transaction::Transaction(Connection &connection) : m_connection(connection) {}

Transaction::~Transaction()
{
    if (m_open) {
        if (auto ok = m_connection.execute(u"ROLLBACK"_s); !ok)
            m_connection.markBroken();
    }
}

Status Transaction::begin()
{
    if (auto ok = m_connection.execute(u"BEGIN"_s); !ok)
        return ok;
    m_open = true;
    return {};
}

Status Transaction::commit()
{
    if (!m_open)
        return fail(Error::internal(u"commit without an open transaction"_s));
    m_open = false;
    // PostgreSQL answers COMMIT of a transaction that already failed with ROLLBACK,
    // and no error: a caller that missed the earlier failure must not think its work
    // was saved.
    QByteArray tag;
    if (auto ok = m_connection.execute(u"COMMIT"_s, &tag); !ok)
        return ok;
    if (tag != "COMMIT")
        return fail(Error::internal(u"the transaction was rolled back"_s));
    return {};
}

} // namespace shop::db
