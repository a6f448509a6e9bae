#pragma once

#include "core/result.h"
#include "smtpsender.h"

#include <QMutex>
#include <QObject>

#include <atomic>
#include <chrono>

class QThread;

namespace shop::db {
class Database;
}

namespace shop::mail {

class DispatcherWorker;

// Delivers email_outbox by SMTP in the background, on a thread of its own.
//
// Every pollInterval (and at once when wake() is called) it claims up to batchSize due
// rows with UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING, so
// any number of instances can share one database and no row is claimed twice. The
// claim counts the attempt and pushes next_attempt_at past the time the batch can
// take (a lease): if the process dies mid-send the row becomes due again by itself.
// Each row then ends 'sent', or 'pending' again with last_error and an exponential
// backoff, or 'failed' after maxAttempts or a permanent (5yz) refusal.
//
// Delivery is at least once: a crash between the server's "250 OK" and recording it
// sends that message again after the lease.
//
// Without an SMTP URL it does not run and messages stay 'pending' for the Outbox view.
class OutboxDispatcher : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        SmtpOptions smtp;
        int pollIntervalMs = 5000;
        int batchSize = 10;
        int maxAttempts = 8;
        std::chrono::seconds backoffBase{30};  // after attempt n: base * 2^n ...
        std::chrono::seconds backoffCap{3600}; // ... at most this
    };

    // `database` must outlive the dispatcher (or at least its stop()).
    OutboxDispatcher(db::Database &database, Options options, QObject *parent = nullptr);
    ~OutboxDispatcher() override;

    // Starts the thread; false (and nothing runs) when no SMTP server is configured.
    bool start();
    // Finishes or aborts the message in flight, gives back unsent claims, closes the
    // thread's database connection and joins the thread. Safe to call twice; not from
    // a direct connection to this object's signals (they run on its thread).
    void stop();
    bool isRunning() const;

    // Look for due messages now instead of at the next poll. Any thread; wakes that
    // arrive while a pass runs fold into one more pass.
    void wake();

    // One pass on the calling thread: claims and sends due messages batch after batch
    // until none is left (or stop()). Returns how many it attempted. The thread calls
    // this; tests and one-shot commands may too.
    Result<int> dispatchDue();

    // The wait before the next try after `attempts` tries: base * 2^attempts, capped.
    static std::chrono::seconds retryDelay(int attempts, const Options &options);

    const Options &options() const { return m_options; }

Q_SIGNALS:
    // Emitted on the thread that ran the pass (the dispatcher's own): connect queued.
    void delivered(qint64 id);
    void deliveryFailed(qint64 id, const QString &error, bool gaveUp);

private:
    friend class DispatcherWorker;
    struct Claimed
    {
        qint64 id = 0;
        Message message;
        int attempts = 0;
    };
    Result<QList<Claimed>> claim();
    void record(const Claimed &claimed, const Status &outcome);
    void unclaim(const QList<qint64> &ids);

    db::Database &m_database;
    Options m_options;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_wakePending{false};
    mutable QMutex m_lock; // guards m_thread and m_worker against wake() from other threads
    QThread *m_thread = nullptr;
    DispatcherWorker *m_worker = nullptr;
};

} // namespace shop::mail
