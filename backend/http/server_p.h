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
#include <QSocketNotifier>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <map>
#include <memory>

namespace shop::http {

class IoServer;

// One client connection's HTTP layer. Sees every byte before QtHttpServer does (its
// readyRead slot is connected first), so oversized, malformed or too-slow requests are
// answered and closed before Qt buffers them; and writes every response itself, in
// request order. It lives beside the socket class in PlainConnection (a bare
// QTcpSocket, as fast as before HTTPS existed) and TlsConnection (a QSslSocket, which
// in unencrypted mode would copy every byte through an inner socket); the two differ
// only where TLS must: abort(), the write-buffer check and the handshake deadline.
class HttpConnection
{
public:
    virtual ~HttpConnection();
    HttpConnection(const HttpConnection &) = delete;
    HttpConnection &operator=(const HttpConnection &) = delete;

    // The connection behind a socket QtHttpServer hands over; null for a foreign one.
    static HttpConnection *from(QTcpSocket *socket);

    QTcpSocket &socket() { return m_socket; }
    // The framing facts of the request QtHttpServer is about to hand over.
    RequestFramer::Head takeHead();
    quint64 nextSequence() { return m_nextSequence++; }
    // Writes a serialised response once every earlier one has been written.
    void deliver(quint64 sequence, QByteArray bytes, bool close);
    void sweep(qint64 nowMs);
    void rejectWith(int status, const QString &message);
    void abort();

protected:
    // `tls` is the same object as `socket` for an HTTPS connection, else null.
    HttpConnection(QTcpSocket &socket, QSslSocket *tls, HttpServer &server, IoServer &io);

private:
    void inspect();
    void drainInput();
    void writeNow(const QByteArray &bytes, bool close);
    void onBytesWritten();
    bool outputFlushed() const;
    void shutDownWrite();
    void closeTlsLingering();

    QTcpSocket &m_socket;
    QSslSocket *m_tls;
    HttpServer &m_server;
    IoServer &m_io;
    RequestFramer m_framer;
    QMetaObject::Connection m_readyRead;
    QMetaObject::Connection m_bytesWritten;
    QMetaObject::Connection m_encryptedBytesWritten;
    QMetaObject::Connection m_disconnected;
    int m_lingerFd = -1; // TLS: the duplicate descriptor that outlives the socket (linger)
    quint64 m_nextSequence = 0;
    quint64 m_nextToWrite = 0;
    std::map<quint64, std::pair<QByteArray, bool>> m_outOfOrder;
    qint64 m_acceptedMs = 0;
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

class PlainConnection final : public QTcpSocket, public HttpConnection
{
    Q_OBJECT
public:
    PlainConnection(HttpServer &server, IoServer &io, QObject *parent)
        : QTcpSocket(parent), HttpConnection(*this, nullptr, server, io)
    {}
};

class TlsConnection final : public QSslSocket, public HttpConnection
{
    Q_OBJECT
public:
    TlsConnection(HttpServer &server, IoServer &io, QObject *parent);
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
    // The server's TLS configuration; null for plain HTTP.
    const QSslConfiguration *tls() const { return m_tls ? &*m_server.options().tls : nullptr; }
    QByteArray newRequestId();

    // Serialises a response with the headers every response carries.
    QByteArray serialize(const Response &response, const QByteArray &requestId, bool head, bool keepAlive,
                         int minorVersion) const;
    // Metrics and access log for one finished request.
    void account(const QString &route, const QByteArray &method, const QString &logPath, int status, qint64 bytes,
                 const QByteArray &requestId, const QHostAddress &peer, qint64 startedNs);

    // Takes over a descriptor whose response is written: half-closes it, discards what
    // the client still sends for a moment, then closes it (the TLS lingering close).
    void linger(int fd);

    void track(HttpConnection *connection) { m_connections.insert(connection); }
    void untrack(HttpConnection *connection) { m_connections.remove(connection); }
    void closeAll();
    qint64 elapsedNs() const { return m_clock.nsecsElapsed(); }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    void sweep();
    void drainLingering(int fd);
    void endLinger(int fd);
    void finish(HttpConnection *connection, quint64 sequence, const RequestFramer::Head &head,
                const Request &request, const QString &route, const QString &logPath, const Response &response,
                qint64 startedNs);

    HttpServer &m_server;
    int m_index;
    bool m_tls;                  // every response carries HSTS
    quint16 m_redirectToHttpsPort; // the redirect listener: every answer is a 308
    QElapsedTimer m_clock;
    QTimer m_sweepTimer;
    QByteArray m_date;
    QByteArray m_idPrefix;
    quint64 m_idCounter = 0;
    QSet<HttpConnection *> m_connections;
    struct Lingering
    {
        std::unique_ptr<QSocketNotifier> notifier;
        qint64 deadlineMs = 0;
        qint64 drained = 0;
    };
    std::map<int, Lingering> m_lingering;
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
