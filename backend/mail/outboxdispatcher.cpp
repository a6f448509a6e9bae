#include "outboxdispatcher.h"

#include "core/logging.h"
#include "db/database.h"

#include <QThread>
#include <QTimer>
#include <QUrl>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace shop::mail {

// Lives on the dispatcher's thread: the poll timer and the passes it starts.
class DispatcherWorker : public QObject
{
public:
    explicit DispatcherWorker(OutboxDispatcher *owner) : m_owner(owner), m_poll(this)
    {
        m_poll.setInterval(qMax(100, owner->m_options.pollIntervalMs));
        connect(&m_poll, &QTimer::timeout, this, &DispatcherWorker::pass);
    }

    void begin()
    {
        m_poll.start();
        pass(); // what queued up while no dispatcher ran
    }

    void pass()
    {
        m_owner->m_wakePending.store(false);
        if (m_owner->m_stopping.load())
            return;
        if (auto attempted = m_owner->dispatchDue(); !attempted)
            qCWarning(lcMail).noquote() << "outbox pass failed:" << attempted.error().message();
    }

    void finish() { m_poll.stop(); }

private:
    OutboxDispatcher *m_owner;
    QTimer m_poll;
};

OutboxDispatcher::OutboxDispatcher(db::Database &database, Options options, QObject *parent)
    : QObject(parent), m_database(database), m_options(std::move(options))
{
}

OutboxDispatcher::~OutboxDispatcher()
{
    stop();
}

bool OutboxDispatcher::start()
{
    if (!m_options.smtp.configured()) {
        qCInfo(lcMail) << "no SMTP server configured (--smtp-url): messages stay in the outbox";
        return false;
    }
    QMutexLocker locker(&m_lock);
    if (m_thread)
        return true;
    if (!m_options.smtp.username.isEmpty() && QUrl(m_options.smtp.url).scheme() == "smtp"_L1
        && m_options.smtp.startTls != SmtpOptions::StartTls::Required) {
        qCWarning(lcMail) << "SMTP credentials may travel in clear text: use --smtp-starttls required or smtps://";
    }
    m_stopping.store(false);
    m_wakePending.store(false);
    m_thread = new QThread;
    m_thread->setObjectName(u"shopdesk-mail"_s);
    m_worker = new DispatcherWorker(this);
    m_worker->moveToThread(m_thread);
    m_thread->start();
    DispatcherWorker *worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker] { worker->begin(); }, Qt::QueuedConnection);
    qCInfo(lcMail).noquote() << "delivering the outbox through" << m_options.smtp.redactedUrl();
    return true;
}

void OutboxDispatcher::stop()
{
    QThread *thread = nullptr;
    DispatcherWorker *worker = nullptr;
    {
        QMutexLocker locker(&m_lock);
        if (!m_thread)
            return;
        if (QThread::currentThread() == m_thread) {
            // From a direct connection to our own signal: waiting for ourselves would hang.
            qCWarning(lcMail) << "OutboxDispatcher::stop() called on its own thread; ignored";
            return;
        }
        thread = m_thread;
        worker = std::exchange(m_worker, nullptr);
    }
    m_stopping.store(true); // aborts the transfer in flight and ends the pass
    // Runs after the current pass; the connection pool's per-thread connection must be
    // closed on the thread that opened it.
    QMetaObject::invokeMethod(worker, [this, worker] {
        worker->finish();
        delete worker;
        m_database.releaseThreadConnection();
    }, Qt::BlockingQueuedConnection);
    thread->quit();
    thread->wait();
    delete thread;
    {
        QMutexLocker locker(&m_lock);
        m_thread = nullptr;
    }
    m_stopping.store(false);
}

bool OutboxDispatcher::isRunning() const
{
    QMutexLocker locker(&m_lock);
    return m_thread != nullptr;
}

void OutboxDispatcher::wake()
{
    QMutexLocker locker(&m_lock);
    if (!m_worker || m_wakePending.exchange(true))
        return;
    DispatcherWorker *worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker] { worker->pass(); }, Qt::QueuedConnection);
}

std::chrono::seconds OutboxDispatcher::retryDelay(int attempts, const Options &options)
{
    const qint64 base = options.backoffBase.count();
    const qint64 cap = options.backoffCap.count();
    const int shift = std::clamp(attempts, 0, 30);
    return std::chrono::seconds(std::min(cap, base << shift));
}

Result<int> OutboxDispatcher::dispatchDue()
{
    if (!m_options.smtp.configured())
        return 0;
    SmtpSender sender(m_options.smtp);
    sender.setCancelFlag(&m_stopping);
    int attempted = 0;
    while (!m_stopping.load()) {
        auto batch = claim();
        if (!batch)
            return std::unexpected(batch.error());
        for (qsizetype i = 0; i < batch->size(); ++i) {
            if (m_stopping.load()) {
                QList<qint64> rest;
                for (qsizetype j = i; j < batch->size(); ++j)
                    rest.append(batch->at(j).id);
                unclaim(rest);
                return attempted;
            }
            const Claimed &claimed = batch->at(i);
            // No pool connection is held while SMTP talks: the pool is for requests.
            const Status outcome = sender.send(claimed.message);
            ++attempted;
            record(claimed, outcome);
        }
        if (batch->size() < m_options.batchSize)
            break;
    }
    return attempted;
}

Result<QList<OutboxDispatcher::Claimed>> OutboxDispatcher::claim()
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    // The lease: long enough for the whole batch to time out message by message.
    const qint64 leaseSeconds = qint64(m_options.batchSize) * (m_options.smtp.timeoutMs / 1000 + 5) + 60;
    // SKIP LOCKED: rows another instance is claiming right now are passed over, not
    // waited for; the partial index email_outbox_due_idx finds the due rows.
    auto q = conn->query(
        u"UPDATE email_outbox o SET attempts = o.attempts + 1,"
        " next_attempt_at = now() + make_interval(secs => :lease)"
        " WHERE o.id IN (SELECT id FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT :batch FOR UPDATE SKIP LOCKED)"
        " RETURNING o.id, o.to_address, o.subject, o.body_text, o.kind, o.attempts"_s);
    q.bind(u":lease"_s, leaseSeconds);
    q.bind(u":batch"_s, m_options.batchSize);
    if (auto ok = q.exec(); !ok) {
        qCWarning(lcMail).noquote() << "could not claim outbox messages:" << ok.error().message();
        return std::unexpected(ok.error());
    }
    QList<Claimed> batch;
    batch.reserve(q.size());
    while (q.next()) {
        Claimed c;
        c.id = q.value(0).toLongLong();
        c.message.to = q.value(1).toString();
        c.message.subject = q.value(2).toString();
        c.message.bodyText = q.value(3).toString();
        c.message.kind = q.value(4).toString();
        c.attempts = int(q.value(5).toLongLong());
        batch.append(std::move(c));
    }
    std::sort(batch.begin(), batch.end(), [](const Claimed &a, const Claimed &b) { return a.id < b.id; });
    return batch;
}

void OutboxDispatcher::record(const Claimed &claimed, const Status &outcome)
{
    auto conn = m_database.acquire();
    if (!conn) {
        // The row keeps its lease and is tried again after it: at least once.
        qCWarning(lcMail).noquote() << "message" << claimed.id << (outcome ? "was sent" : "failed")
                                    << "but the outcome cannot be recorded:" << conn.error().message();
        return;
    }
    if (outcome) {
        auto q = conn->query(u"UPDATE email_outbox SET status = 'sent', sent_at = now(), last_error = ''"
                             " WHERE id = :id"_s);
        q.bind(u":id"_s, claimed.id);
        if (auto ok = q.exec(); !ok) {
            qCWarning(lcMail).noquote() << "message" << claimed.id << "was sent but cannot be marked sent:"
                                        << ok.error().message();
            return;
        }
        qCInfo(lcMail) << "sent message" << claimed.id << "kind" << claimed.message.kind << "attempt"
                       << claimed.attempts;
        Q_EMIT delivered(claimed.id);
        return;
    }
    const QString error = outcome.error().message().left(1000);
    const bool gaveUp = isPermanentFailure(outcome.error()) || claimed.attempts >= m_options.maxAttempts;
    const std::chrono::seconds delay = gaveUp ? std::chrono::seconds(0) : retryDelay(claimed.attempts, m_options);
    auto q = conn->query(u"UPDATE email_outbox SET status = :status, last_error = :error,"
                         " next_attempt_at = now() + make_interval(secs => :delay) WHERE id = :id"_s);
    q.bind(u":status"_s, gaveUp ? u"failed"_s : u"pending"_s);
    q.bind(u":error"_s, error);
    q.bind(u":delay"_s, qint64(delay.count()));
    q.bind(u":id"_s, claimed.id);
    if (auto ok = q.exec(); !ok) {
        qCWarning(lcMail).noquote() << "message" << claimed.id << "failed and the failure cannot be recorded:"
                                    << ok.error().message();
        return;
    }
    if (gaveUp)
        qCWarning(lcMail).noquote() << "gave up on message" << claimed.id << "after" << claimed.attempts
                                    << "attempt(s):" << error;
    else
        qCInfo(lcMail).noquote() << "message" << claimed.id << "attempt" << claimed.attempts << "failed; next in"
                                 << delay.count() << "s:" << error;
    Q_EMIT deliveryFailed(claimed.id, error, gaveUp);
}

void OutboxDispatcher::unclaim(const QList<qint64> &ids)
{
    if (ids.isEmpty())
        return;
    auto conn = m_database.acquire();
    if (!conn)
        return; // the lease runs out instead
    QStringList list;
    for (qint64 id : ids)
        list.append(QString::number(id));
    auto q = conn->query(u"UPDATE email_outbox SET attempts = attempts - 1, next_attempt_at = now()"
                         " WHERE id = ANY(:ids::bigint[]) AND status = 'pending'"_s);
    q.bind(u":ids"_s, QString(u'{' + list.join(u',') + u'}'));
    if (auto ok = q.exec(); !ok)
        qCWarning(lcMail).noquote() << "could not give back" << ids.size() << "claimed messages:" << ok.error().message();
}

} // namespace shop::mail
