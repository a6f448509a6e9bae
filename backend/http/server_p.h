#pragma once

// Internal to the HTTP layer: the I/O thread, its QHttpServer subclass, its listening
// socket and the per-connection guard. Only server.cpp and the tests include this.

#include "requestframer.h"
#include "server.h"

#include <QAbstractHttpServer>
#include <QElapsedTimer>
#include <QPointer>
#include <QSemaphore>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <map>

namespace shop::http {

class IoServer;

// One client connection. Sees every byte before QtHttpServer does (its readyRead slot
// is connected first), so oversized, malformed or too-slow requests are answered and
// closed before Qt buffers them; and writes every response itself, in request order.
class HttpConnection : public QTcpSocket
{
    Q_OBJECT
public:
    HttpConnection(HttpServer &server, IoServer &io, QObject *parent);
    ~HttpConnection() override;

    // The framing facts of the request QtHttpServer is about to hand over.
    RequestFramer::Head takeHead();
    quint64 nextSequence() { return m_nextSequence++; }
    // Writes a serialised response once every earlier one has been written.
    void deliver(quint64 sequence, QByteArray bytes, bool close);
    void sweep(qint64 nowMs);
    void rejectWith(int status, const QString &message);

private:
    void inspect();
    void drainInput();
    void writeNow(const QByteArray &bytes, bool close);

    HttpServer &m_server;
    IoServer &m_io;
    RequestFramer m_framer;
    quint64 m_nextSequence = 0;
    quint64 m_nextToWrite = 0;
    std::map<quint64, std::pair<QByteArray, bool>> m_outOfOrder;
    qint64 m_lastActivityMs = 0;
    qint64 m_requestStartedMs = -1;
    bool m_closing = false;   // the last response is written; nothing more goes out
    bool m_rejected = false;  // the framer or a timeout refused the stream
    // Lingering close after refusing a request the client is still sending: shut our
    // side down once the error is written, keep reading and discarding for a moment,
    // then close. Closing at once would make the kernel answer the unread bytes with a
    // reset, and many clients then lose the 413 they were sent.
    bool m_lingerOnClose = false;
    bool m_lingering = false;
    bool m_writeShutDown = false;
    qint64 m_lingerDeadlineMs = 0;
    qint64 m_lingerDrained = 0;
};

class Listener : public QTcpServer
{
    Q_OBJECT
public:
    Listener(HttpServer &server, IoServer &io) : m_server(server), m_io(io) {}

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    HttpServer &m_server;
    IoServer &m_io;
};

class IoServer : public QAbstractHttpServer
{
    Q_OBJECT
public:
    IoServer(HttpServer &server, int index);
    ~IoServer() override;

    int index() const { return m_index; }
    qint64 nowMs() const { return m_clock.elapsed(); }
    const QByteArray &dateHeader() const { return m_date; }
    QByteArray newRequestId();

    // Serialises a response with the headers every response carries.
    QByteArray serialize(const Response &response, const QByteArray &requestId, bool head, bool keepAlive,
                         int minorVersion) const;
    // Metrics and access log for one finished request.
    void account(const QString &route, const QByteArray &method, const QString &logPath, int status, qint64 bytes,
                 const QByteArray &requestId, const QHostAddress &peer, qint64 startedNs);

    void track(HttpConnection *connection) { m_connections.insert(connection); }
    void untrack(HttpConnection *connection) { m_connections.remove(connection); }
    void closeAll();
    qint64 elapsedNs() const { return m_clock.nsecsElapsed(); }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    void sweep();
    void finish(HttpConnection *connection, quint64 sequence, const RequestFramer::Head &head,
                const Request &request, const QString &route, const QString &logPath, const Response &response,
                qint64 startedNs);

    HttpServer &m_server;
    int m_index;
    QElapsedTimer m_clock;
    QTimer m_sweepTimer;
    QByteArray m_date;
    QByteArray m_idPrefix;
    quint64 m_idCounter = 0;
    QSet<HttpConnection *> m_connections;
    qsizetype m_peakSinceTrim = 0;
};

class IoThread : public QThread
{
    Q_OBJECT
public:
    IoThread(HttpServer &server, int index, int descriptor);

    // Blocks until the thread's server is listening (or failed to).
    Status waitUntilReady();
    void stopAccepting();

protected:
    void run() override;

private:
    HttpServer &m_server;
    int m_index;
    int m_descriptor;
    QSemaphore m_ready;
    Status m_startStatus;
    QPointer<Listener> m_listener;
};

} // namespace shop::http
