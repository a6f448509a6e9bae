#include "database.h"

#include "core/logging.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>
#include <QSqlError>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace shop::db {

namespace {

std::atomic<quintptr> g_nextPoolId{1};

// This thread's physical connections, one per pool, and how deep its leases nest.
struct ThreadConnections
{
    struct Entry
    {
        QSqlDatabase db;
        QString name;
        int depth = 0;
    };
    QHash<quintptr, Entry> entries;

    void drop(quintptr poolId)
    {
        auto it = entries.find(poolId);
        if (it == entries.end())
            return;
        const QString name = it->name;
        it->db.close();
        entries.erase(it); // the last QSqlDatabase copy must go before removeDatabase
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

bool isConnectionFailure(const QSqlError &error)
{
    // SQLSTATE class 08 is "connection exception"; libpq reports a dropped socket
    // without any SQLSTATE at all.
    const QString state = error.nativeErrorCode();
    return error.type() == QSqlError::ConnectionError || state.startsWith("08"_L1)
           || (state.isEmpty() && error.type() != QSqlError::NoError);
}

QString literal(const QVariant &value, bool *ok)
{
    *ok = true;
    if (!value.isValid() || value.isNull())
        return u"NULL"_s;
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? u"TRUE"_s : u"FALSE"_s;
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
        return value.toString();
    case QMetaType::Double:
    case QMetaType::Float:
        return QString::number(value.toDouble(), 'g', 17);
    case QMetaType::QByteArray:
        return u"'\\x"_s + QString::fromLatin1(value.toByteArray().toHex()) + u"'::bytea"_s;
    case QMetaType::QDateTime:
        return u'\'' + value.toDateTime().toString(Qt::ISODateWithMs) + u"'::timestamptz"_s;
    case QMetaType::QDate:
        return u'\'' + value.toDate().toString(Qt::ISODate) + u"'::date"_s;
    case QMetaType::QUuid:
        return u'\'' + value.toUuid().toString(QUuid::WithoutBraces) + u"'::uuid"_s;
    case QMetaType::QJsonDocument:
    case QMetaType::QJsonObject:
    case QMetaType::QJsonArray: {
        const QJsonDocument doc = value.typeId() == QMetaType::QJsonDocument ? value.toJsonDocument()
                                  : value.typeId() == QMetaType::QJsonObject
                                      ? QJsonDocument(value.toJsonObject())
                                      : QJsonDocument(value.toJsonArray());
        QString text = QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
        return u'\'' + text.replace(u'\'', u"''"_s) + u'\'';
    }
    default:
        break;
    }
    if (!value.canConvert<QString>()) {
        *ok = false;
        return {};
    }
    QString text = value.toString();
    if (text.contains(QChar(0))) {
        *ok = false;
        return {};
    }
    // With standard_conforming_strings on (checked when the connection opens) a
    // backslash is an ordinary character and doubling the quote is the only escape.
    return u'\'' + text.replace(u'\'', u"''"_s) + u'\'';
}

} // namespace

Error sqlError(const QSqlError &error, const QString &statement)
{
    qCWarning(lcDb).noquote() << "sql error" << error.nativeErrorCode() << error.databaseText().trimmed()
                              << error.driverText() << "in:" << statement.simplified().left(300);
    if (isConnectionFailure(error))
        return Error::unavailable(u"the database is unavailable"_s);
    return Error::internal(u"a database error occurred"_s);
}

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
    if (auto it = entries.find(m_id); it != entries.end() && it->depth > 0) {
        // The thread already holds a lease: share it rather than take a second permit.
        ++it->depth;
        return Connection(this, it->db, m_options.plainQueries, true);
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

    auto &entry = entries[m_id];
    if (!entry.db.isValid()) {
        entry.name = u"shopdesk-%1-%2"_s.arg(m_id).arg(quintptr(QThread::currentThreadId()));
        entry.db = QSqlDatabase::addDatabase(u"QPSQL"_s, entry.name);
        m_options.connection.applyTo(entry.db);
    }
    if (!entry.db.isOpen()) {
        if (!entry.db.open()) {
            qCWarning(lcDb).noquote() << "cannot connect to" << describe() << ":" << entry.db.lastError().text();
            release(false);
            return fail(Error::unavailable(u"the database is unavailable"_s));
        }
        ++m_opened;
        if (m_options.plainQueries) {
            QSqlQuery check(entry.db);
            if (!check.exec(u"SHOW standard_conforming_strings"_s) || !check.next()
                || check.value(0).toString() != "on"_L1) {
                qCCritical(lcDb) << "plain queries need standard_conforming_strings = on; refusing the connection";
                entry.db.close();
                release(false);
                return fail(Error::unavailable(u"the database is misconfigured"_s));
            }
        }
    }
    entry.depth = 1;
    return Connection(this, entry.db, m_options.plainQueries, false);
}

void Database::release(bool broken)
{
    if (broken) {
        auto &entries = threadConnections().entries;
        if (auto it = entries.find(m_id); it != entries.end())
            it->db.close();
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
    : m_pool(std::exchange(other.m_pool, nullptr)), m_db(std::move(other.m_db)), m_plain(other.m_plain),
      m_nested(other.m_nested), m_broken(other.m_broken)
{
}

Connection::~Connection()
{
    if (!m_pool)
        return;
    auto &entries = threadConnections().entries;
    auto it = entries.find(m_pool->m_id);
    if (m_nested) {
        if (it != entries.end())
            --it->depth;
        if (m_broken && it != entries.end())
            it->db.close(); // the outer lease reconnects next time
        return;
    }
    if (it != entries.end())
        it->depth = 0;
    m_db = QSqlDatabase();
    m_pool->release(m_broken);
}

Query Connection::query(const QString &statement)
{
    return Query(*this, statement);
}

Status Connection::execute(const QString &statement)
{
    QSqlQuery q(m_db);
    if (!q.exec(statement)) {
        if (isConnectionFailure(q.lastError()))
            markBroken();
        return std::unexpected(sqlError(q.lastError(), statement));
    }
    return {};
}

Query::Query(Connection &connection, QString statement)
    : m_connection(connection), m_statement(std::move(statement)), m_query(connection.sql())
{
    m_query.setForwardOnly(true);
}

Query &Query::bind(const QString &name, const QVariant &value)
{
    m_values.append({name, value});
    return *this;
}

Status Query::exec()
{
    bool ok = false;
    if (m_connection.plainQueries()) {
        auto text = inlineParameters(m_statement, m_values);
        if (!text)
            return std::unexpected(text.error());
        ok = m_query.exec(*text);
    } else if (m_values.isEmpty()) {
        ok = m_query.exec(m_statement);
    } else {
        if (!m_query.prepare(m_statement)) {
            ok = false;
        } else {
            for (const auto &[name, value] : std::as_const(m_values))
                m_query.bindValue(name, value);
            ok = m_query.exec();
        }
    }
    if (!ok) {
        const QSqlError error = m_query.lastError();
        m_sqlState = error.nativeErrorCode();
        if (isConnectionFailure(error))
            m_connection.markBroken();
        return std::unexpected(sqlError(error, m_statement));
    }
    m_sqlState.clear();
    return {};
}

Result<QString> Query::inlineParameters(const QString &statement, const QList<std::pair<QString, QVariant>> &values)
{
    QString out;
    out.reserve(statement.size() + 64);
    const qsizetype n = statement.size();
    qsizetype i = 0;
    while (i < n) {
        const QChar c = statement.at(i);
        if (c == u'\'' || c == u'"') {
            // Copy quoted text verbatim; a doubled quote stays inside.
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
        } else if (c == u':' && i + 1 < n && statement.at(i + 1) == u':') {
            out += u"::"_s; // a cast, not a parameter
            i += 2;
        } else if (c == u':' && i + 1 < n && (statement.at(i + 1).isLetter() || statement.at(i + 1) == u'_')) {
            qsizetype j = i + 1;
            while (j < n && (statement.at(j).isLetterOrNumber() || statement.at(j) == u'_'))
                ++j;
            const QStringView name = QStringView(statement).mid(i, j - i);
            const auto it = std::find_if(values.cbegin(), values.cend(),
                                         [&](const auto &v) { return QStringView(v.first) == name; });
            if (it == values.cend())
                return fail(Error::internal(u"no value bound for %1"_s.arg(name)));
            bool ok = false;
            const QString lit = literal(it->second, &ok);
            if (!ok)
                return fail(Error::invalid(u"a value cannot be sent to the database"_s));
            out += lit;
            i = j;
        } else {
            out += c;
            ++i;
        }
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
    return m_connection.execute(u"COMMIT"_s);
}

} // namespace shop::db
