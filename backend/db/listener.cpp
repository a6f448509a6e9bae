#include "listener.h"

#include "core/logging.h"

#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <libpq-fe.h>

using namespace Qt::StringLiterals;

namespace shop::db {

// Lives on the listener's thread; owns the libpq connection.
class ListenerWorker : public QObject
{
public:
    ListenerWorker(NotificationListener *owner, ConnectionOptions options, QStringList channels)
        : m_owner(owner), m_options(std::move(options)), m_channels(std::move(channels)), m_retry(this)
    {
        m_retry.setSingleShot(true);
        connect(&m_retry, &QTimer::timeout, this, &ListenerWorker::connectNow);
    }

    ~ListenerWorker() override { disconnectNow(); }

    bool connectNow()
    {
        disconnectNow();
        QList<QByteArray> keys;
        QList<QByteArray> values;
        const auto add = [&](const char *key, const QString &value) {
            if (!value.isEmpty()) {
                keys.append(key);
                values.append(value.toUtf8());
            }
        };
        add("host", m_options.host);
        add("port", QString::number(m_options.port));
        add("dbname", m_options.database);
        add("user", m_options.user);
        add("password", m_options.password);
        for (auto it = m_options.parameters.cbegin(); it != m_options.parameters.cend(); ++it)
            add(it.key().toUtf8().constData(), it.value());
        // A silent network (a failed-over RDS primary) must not leave the cache
        // serving forever: TCP keepalives notice within about half a minute.
        if (!m_options.parameters.contains(u"keepalives_idle"_s)) {
            add("keepalives_idle", u"10"_s);
            add("keepalives_interval", u"5"_s);
            add("keepalives_count", u"3"_s);
        }
        if (!m_options.parameters.contains(u"connect_timeout"_s))
            add("connect_timeout", u"5"_s);
        std::vector<const char *> k;
        std::vector<const char *> v;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            k.push_back(keys.at(i).constData());
            v.push_back(values.at(i).constData());
        }
        k.push_back(nullptr);
        v.push_back(nullptr);

        m_conn = PQconnectdbParams(k.data(), v.data(), 0);
        if (PQstatus(m_conn) != CONNECTION_OK) {
            qCWarning(lcDb).noquote() << "LISTEN connection failed:" << QString::fromUtf8(PQerrorMessage(m_conn)).trimmed();
            scheduleRetry();
            return false;
        }
        for (const QString &channel : std::as_const(m_channels)) {
            char *quoted = PQescapeIdentifier(m_conn, channel.toUtf8().constData(), size_t(channel.toUtf8().size()));
            const QByteArray listen = "LISTEN " + QByteArray(quoted);
            PGresult *result = PQexec(m_conn, listen.constData());
            PQfreemem(quoted);
            const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
            PQclear(result);
            if (!ok) {
                qCWarning(lcDb).noquote() << "LISTEN failed:" << QString::fromUtf8(PQerrorMessage(m_conn)).trimmed();
                scheduleRetry();
                return false;
            }
        }
        m_notifier = new QSocketNotifier(PQsocket(m_conn), QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, &ListenerWorker::readable);
        m_backoffMs = 250;
        if (m_wasDown)
            qCInfo(lcDb) << "LISTEN connection restored; catalog caches resynchronised";
        m_wasDown = false;
        m_owner->setListening(true);
        Q_EMIT m_owner->resynchronised();
        return true;
    }

    void stop()
    {
        m_retry.stop();
        disconnectNow();
    }

private:
    void readable()
    {
        if (!PQconsumeInput(m_conn)) {
            qCWarning(lcDb).noquote() << "LISTEN connection lost:" << QString::fromUtf8(PQerrorMessage(m_conn)).trimmed()
                                      << "- catalog caches bypassed until it is back";
            scheduleRetry();
            return;
        }
        while (PGnotify *n = PQnotifies(m_conn)) {
            const QString channel = QString::fromUtf8(n->relname);
            const QString payload = QString::fromUtf8(n->extra);
            PQfreemem(n);
            Q_EMIT m_owner->notification(channel, payload);
        }
    }

    void scheduleRetry()
    {
        disconnectNow();
        m_wasDown = true;
        m_retry.start(m_backoffMs);
        m_backoffMs = qMin(m_backoffMs * 2, 5000);
    }

    void disconnectNow()
    {
        const bool was = m_conn != nullptr && m_owner->listening();
        if (m_notifier) {
            // We may be inside its activated() signal: let it finish first.
            m_notifier->setEnabled(false);
            m_notifier->deleteLater();
            m_notifier = nullptr;
        }
        if (m_conn) {
            PQfinish(m_conn);
            m_conn = nullptr;
        }
        if (was)
            m_owner->setListening(false);
    }

    NotificationListener *m_owner;
    ConnectionOptions m_options;
    QStringList m_channels;
    PGconn *m_conn = nullptr;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_retry;
    int m_backoffMs = 250;
    bool m_wasDown = false;
};

NotificationListener::NotificationListener(ConnectionOptions options, QStringList channels, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_channels(std::move(channels))
{
}

NotificationListener::~NotificationListener()
{
    stop();
}

void NotificationListener::setListening(bool listening)
{
    if (m_listening.exchange(listening, std::memory_order_acq_rel) != listening)
        Q_EMIT listeningChanged(listening);
}

bool NotificationListener::start()
{
    if (m_thread)
        return listening();
    m_thread = new QThread;
    m_thread->setObjectName(u"shopdesk-listen"_s);
    m_worker = new ListenerWorker(this, m_options, m_channels);
    m_worker->moveToThread(m_thread);
    m_thread->start();
    bool connected = false;
    // The first attempt runs on the listener's thread while we wait, so start-up
    // knows whether the cache may serve from the first request on.
    QMetaObject::invokeMethod(m_worker, [this, &connected] { connected = m_worker->connectNow(); },
                              Qt::BlockingQueuedConnection);
    return connected;
}

void NotificationListener::stop()
{
    if (!m_thread)
        return;
    ListenerWorker *worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker] {
        worker->stop();
        delete worker;
    }, Qt::BlockingQueuedConnection);
    m_worker = nullptr;
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

} // namespace shop::db
