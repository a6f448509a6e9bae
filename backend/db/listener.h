#pragma once

#include "connectionoptions.h"

#include <QObject>
#include <QStringList>

#include <atomic>
#include <memory>

class QThread;

namespace shop::db {

class ListenerWorker;

// One dedicated libpq connection, outside the pool, that LISTENs on a few channels
// and turns PostgreSQL notifications into a Qt signal. It runs on its own thread;
// signals are emitted there (connect with Qt::QueuedConnection from the GUI).
//
// A notification sent while the connection was down is lost, so after every
// (re)connect `resynchronised()` is emitted: whoever caches must drop everything.
// While the connection is down, listening() is false and caches must not serve.
// Behind PgBouncer in transaction mode LISTEN does not work; point
// `--db-listen-url` at the server itself.
class NotificationListener : public QObject
{
    Q_OBJECT
public:
    NotificationListener(ConnectionOptions options, QStringList channels, QObject *parent = nullptr);
    ~NotificationListener() override;

    // Connects (blocking up to a few seconds for the first attempt) and starts the
    // thread. Returns whether the first connection succeeded; either way it keeps
    // retrying in the background.
    bool start();
    void stop();

    bool listening() const { return m_listening.load(std::memory_order_acquire); }

Q_SIGNALS:
    void notification(const QString &channel, const QString &payload);
    void resynchronised();
    void listeningChanged(bool listening);

private:
    friend class ListenerWorker;
    void setListening(bool listening);

    ConnectionOptions m_options;
    QStringList m_channels;
    std::atomic<bool> m_listening{false};
    QThread *m_thread = nullptr;
    ListenerWorker *m_worker = nullptr;
};

} // namespace shop::db
