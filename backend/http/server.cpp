#include "server_p.h"

#include "core/logging.h"

#include <QDateTime>
#include <QHttpServerRequest>
#include <QRandomGenerator>
#include <QSemaphore>
#include <QThreadPool>
#include <QTimer>
#include <QUrl>

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

// Built once; DESIGN.md "Security baseline". HSTS is added by the TLS listener.
const QByteArray kSecurityHeaders =
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: strict-origin-when-cross-origin\r\n"
    "Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=(self)\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'\r\n";

// The same for a shop that takes cards through Stripe: its Payment Element is
// Stripe.js from js.stripe.com, which talks to api.stripe.com and draws the card
// fields in its own frames (Stripe's CSP guidance). Nothing else is let in.
const QByteArray kSecurityHeadersStripe = QByteArray(kSecurityHeaders)
    .replace("script-src 'self';", "script-src 'self' https://js.stripe.com https://*.js.stripe.com;")
    .replace("connect-src 'self';", "connect-src 'self' https://api.stripe.com;")
    .replace("object-src 'none';",
             "object-src 'none'; frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;")
    .replace("payment=(self)", "payment=(self \"https://js.stripe.com\")"); // wallets inside Stripe's frame

// HSTS (RFC 6797) on every HTTPS response, never on plain ones (where it is ignored
// and would only mislead). A year. No includeSubDomains: the shop usually runs on
// localhost or a LAN address whose other services may still speak plain HTTP, and
// the header would otherwise bind every sibling name; a deployment that owns its
// whole domain sets it at its reverse proxy.
const QByteArray kHsts = "Strict-Transport-Security: max-age=31536000\r\n";

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return "GET";
    case QHttpServerRequest::Method::Put: return "PUT";
    case QHttpServerRequest::Method::Delete: return "DELETE";
    case QHttpServerRequest::Method::Post: return "POST";
    case QHttpServerRequest::Method::Head: return "HEAD";
    case QHttpServerRequest::Method::Options: return "OPTIONS";
    case QHttpServerRequest::Method::Patch: return "PATCH";
    case QHttpServerRequest::Method::Connect: return "CONNECT";
    case QHttpServerRequest::Method::Trace: return "TRACE";
    default: return "UNKNOWN";
    }
}

bool isSaneRequestId(QByteArrayView id)
{
    if (id.isEmpty() || id.size() > 64)
        return false;
    for (char c : id) {
        if (!(std::isalnum(uchar(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

Result<int> openListeningSocket(const QHostAddress &address, quint16 port, int backlog)
{
    const bool v6 = address.protocol() == QAbstractSocket::IPv6Protocol;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(Error::unavailable(u"socket(): "_s + QString::fromLocal8Bit(strerror(errno))));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Every I/O thread listens on its own socket; the kernel spreads connections.
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        ::close(fd);
        return fail(Error::unavailable(u"SO_REUSEPORT: "_s + QString::fromLocal8Bit(strerror(errno))));
    }
    int rc = 0;
    if (v6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(port);
        const Q_IPV6ADDR raw = address.toIPv6Address();
        memcpy(&sa.sin6_addr, &raw, sizeof raw);
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(address.toIPv4Address());
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
    }
    if (rc != 0 || ::listen(fd, backlog) != 0) {
        const QString why = QString::fromLocal8Bit(strerror(errno));
        ::close(fd);
        return fail(Error::unavailable(u"cannot listen on %1 port %2: %3"_s.arg(address.toString()).arg(port).arg(why)));
    }
    return fd;
}

quint16 boundPort(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
}

QString statusCode(int status)
{
    switch (status) {
    case 408: return u"REQUEST_TIMEOUT"_s;
    case 413: return u"PAYLOAD_TOO_LARGE"_s;
    case 414: return u"URI_TOO_LONG"_s;
    case 417: return u"EXPECTATION_FAILED"_s;
    case 431: return u"HEADERS_TOO_LARGE"_s;
    case 501: return u"NOT_IMPLEMENTED"_s;
    case 503: return u"SERVICE_UNAVAILABLE"_s;
    case 505: return u"HTTP_VERSION_NOT_SUPPORTED"_s;
    default: return u"INVALID_REQUEST"_s;
    }
}

// The host part of a Host header ("shop.example", "127.0.0.1:8080", "[::1]:80"),
// checked character by character: it goes into the Location of a redirect, so only a
// host name or an IP literal may pass, never a header or a second URL.
std::optional<QByteArray> hostPart(QByteArrayView value)
{
    if (value.isEmpty() || value.size() > 260)
        return std::nullopt;
    QByteArrayView host;
    QByteArrayView rest;
    if (value.startsWith('[')) {
        const qsizetype close = value.indexOf(']');
        if (close < 3)
            return std::nullopt;
        for (char c : value.sliced(1, close - 1)) {
            if (!(std::isxdigit(uchar(c)) || c == ':' || c == '.'))
                return std::nullopt;
        }
        host = value.first(close + 1);
        rest = value.sliced(close + 1);
    } else {
        const qsizetype colon = value.indexOf(':');
        host = colon < 0 ? value : value.first(colon);
        rest = colon < 0 ? QByteArrayView() : value.sliced(colon);
        if (host.isEmpty() || host.size() > 253)
            return std::nullopt;
        for (char c : host) {
            if (!(std::isalnum(uchar(c)) || c == '-' || c == '.' || c == '_'))
                return std::nullopt;
        }
    }
    if (!rest.isEmpty()) {
        if (rest.front() != ':' || rest.size() > 6)
            return std::nullopt;
        for (char c : rest.sliced(1)) {
            if (!std::isdigit(uchar(c)))
                return std::nullopt;
        }
    }
    return host.toByteArray();
}

// The answer of the plain listener beside HTTPS (--http-redirect-port): the same path
// and query over HTTPS. 308, not 301: a POST stays a POST (RFC 9110 15.4.9).
Response httpsRedirect(const Request &request, const QUrl &url, quint16 httpsPort)
{
    const std::optional<QByteArray> host = hostPart(request.header("host"));
    if (!host)
        return Response::error(400, u"INVALID_REQUEST"_s, u"the Host header is missing or not a host name"_s);
    QByteArray location = "https://" + *host;
    if (httpsPort != 443)
        location += ':' + QByteArray::number(httpsPort);
    const QByteArray path = url.path(QUrl::FullyEncoded).toLatin1();
    if (!path.startsWith('/'))
        location += '/';
    location += path;
    if (url.hasQuery())
        location += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    Response response =
        Response::text(308, "text/plain; charset=utf-8", "This shop is served over HTTPS: " + location + '\n');
    response.withHeader("Location", location);
    return response;
}

// Lingering close: at most this long, and this many discarded bytes.
constexpr qint64 kLingerMs = 2000;
constexpr qint64 kLingerMaxBytes = 16 << 20;

} // namespace

// ---------------------------------------------------------------------------------
// HttpConnection

HttpConnection::HttpConnection(QTcpSocket &socket, QSslSocket *tls, HttpServer &server, IoServer &io)
    : m_socket(socket),
      m_tls(tls),
      m_server(server),
      m_io(io),
      m_framer({server.options().maxBodyBytes, server.options().maxHeaderBytes})
{
    m_acceptedMs = m_lastActivityMs = io.nowMs();
    ++m_server.metrics().openConnections;
    ++m_server.metrics().acceptedConnections;
    m_io.track(this);
    // Connected before QtHttpServer connects its own slot, so it runs first.
    m_readyRead = QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { inspect(); });
    m_bytesWritten =
        QObject::connect(&m_socket, &QTcpSocket::bytesWritten, &m_socket, [this] { onBytesWritten(); });
    // QSslSocket reports plaintext as written once it is encrypted; the ciphertext
    // reaches the kernel later, reported by this one.
    if (m_tls) {
        m_encryptedBytesWritten = QObject::connect(m_tls, &QSslSocket::encryptedBytesWritten, m_tls,
                                                   [this] { onBytesWritten(); });
        m_disconnected = QObject::connect(m_tls, &QAbstractSocket::disconnected, m_tls, [this] {
            if (m_lingerFd >= 0)
                m_io.linger(std::exchange(m_lingerFd, -1));
        });
    }
}

HttpConnection::~HttpConnection()
{
    // The socket part outlives this one by a moment; nothing may call back into it.
    QObject::disconnect(m_readyRead);
    QObject::disconnect(m_bytesWritten);
    QObject::disconnect(m_encryptedBytesWritten);
    QObject::disconnect(m_disconnected);
    if (m_lingerFd >= 0)
        m_io.linger(m_lingerFd);
    --m_server.metrics().openConnections;
    m_io.untrack(this);
}

HttpConnection *HttpConnection::from(QTcpSocket *socket)
{
    if (auto *plain = qobject_cast<PlainConnection *>(socket))
        return plain;
    return qobject_cast<TlsConnection *>(socket);
}

void HttpConnection::abort()
{
    // QSslSocket::abort() hides QAbstractSocket's (not virtual): the TLS socket's own
    // socket layer is the inner one.
    if (m_tls)
        m_tls->abort();
    else
        m_socket.abort();
}

bool HttpConnection::outputFlushed() const
{
    if (m_tls)
        return m_tls->bytesToWrite() == 0 && m_tls->encryptedBytesToWrite() == 0;
    return m_socket.bytesToWrite() == 0;
}

void HttpConnection::shutDownWrite()
{
    m_writeShutDown = true;
    ::shutdown(int(m_socket.socketDescriptor()), SHUT_WR);
}

void HttpConnection::closeTlsLingering()
{
    // TLS ends with close_notify, and a client that gets the connection's end without
    // one may throw the response away (Qt's QSslSocket does). Only disconnectFromHost()
    // sends it, and that closes the descriptor once everything is written; a duplicate
    // keeps the connection open past that, so the I/O server can half-close and drain
    // it as the plain path does (linger()).
    m_lingerFd = ::fcntl(int(m_socket.socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    m_tls->disconnectFromHost();
}

void HttpConnection::onBytesWritten()
{
    m_lastActivityMs = m_io.nowMs();
    if (m_lingering && !m_writeShutDown && outputFlushed())
        shutDownWrite();
}

RequestFramer::Head HttpConnection::takeHead()
{
    auto &completed = m_framer.completed();
    if (completed.isEmpty())
        return {};
    return completed.takeFirst();
}

void HttpConnection::inspect()
{
    const qint64 available = m_socket.bytesAvailable();
    if (available <= 0)
        return;
    if (m_closing || m_rejected) {
        m_lingerDrained += available;
        drainInput();
        if (m_lingering && m_lingerDrained > kLingerMaxBytes)
            abort();
        return;
    }
    const qint64 now = m_io.nowMs();
    m_lastActivityMs = now;
    if (!m_framer.midRequest())
        m_requestStartedMs = now;
    const QByteArray data = m_socket.peek(available);
    if (!m_framer.feed(data)) {
        const auto &rejection = *m_framer.rejection();
        rejectWith(rejection.status, rejection.message);
        return;
    }
    if (m_framer.takeContinueRequest() && m_nextToWrite == m_nextSequence)
        m_socket.write("HTTP/1.1 100 Continue\r\n\r\n");
    if (!m_framer.midRequest())
        m_requestStartedMs = -1;
}

void HttpConnection::drainInput()
{
    // QtHttpServer keeps an open read transaction while a request is incomplete;
    // end it so the discarded bytes are really freed.
    if (m_socket.isTransactionStarted())
        m_socket.commitTransaction();
    m_socket.skip(m_socket.bytesAvailable());
}

void HttpConnection::rejectWith(int status, const QString &message)
{
    if (m_closing || m_rejected)
        return;
    // From here on input is discarded; the error is written after any response still
    // owed to earlier requests, then the connection closes (lingering).
    m_rejected = true;
    const qint64 started = m_io.elapsedNs();
    drainInput();
    ++m_server.metrics().rejectedRequests;
    const QByteArray requestId = m_io.newRequestId();
    Response response = Response::error(status, statusCode(status), message);
    if (status == 503)
        response.withHeader("Retry-After", "1");
    const QByteArray bytes = m_io.serialize(response, requestId, false, false, 1);
    m_io.account(u"(rejected)"_s, "-", u"-"_s, status, bytes.size(), requestId, m_socket.peerAddress(), started);
    m_lingerOnClose = true;
    deliver(m_nextSequence++, bytes, true);
}

void HttpConnection::deliver(quint64 sequence, QByteArray bytes, bool close)
{
    if (m_closing || m_socket.state() != QAbstractSocket::ConnectedState)
        return;
    if (sequence != m_nextToWrite) {
        m_outOfOrder.emplace(sequence, std::make_pair(std::move(bytes), close));
        return;
    }
    writeNow(bytes, close);
    while (!m_closing) {
        auto it = m_outOfOrder.find(m_nextToWrite);
        if (it == m_outOfOrder.end())
            break;
        auto [queued, queuedClose] = std::move(it->second);
        m_outOfOrder.erase(it);
        writeNow(queued, queuedClose);
    }
}

void HttpConnection::writeNow(const QByteArray &bytes, bool close)
{
    ++m_nextToWrite;
    m_socket.write(bytes);
    m_lastActivityMs = m_io.nowMs();
    if (close) {
        m_closing = true;
        m_outOfOrder.clear();
        drainInput();
        if (m_lingerOnClose && m_tls) {
            closeTlsLingering();
        } else if (m_lingerOnClose) {
            m_lingering = true;
            m_lingerDeadlineMs = m_io.nowMs() + kLingerMs;
            if (outputFlushed())
                shutDownWrite();
        } else {
            m_socket.disconnectFromHost(); // after the write buffer is flushed
        }
    }
}

void HttpConnection::sweep(qint64 nowMs)
{
    const auto &o = m_server.options();
    if (m_closing) {
        // A peer that never reads its response cannot hold the socket forever.
        if ((m_lingering && nowMs > m_lingerDeadlineMs) || nowMs - m_lastActivityMs > o.idleTimeoutMs)
            abort();
        return;
    }
    // The handshake is part of the first request's time: a client that opens the
    // connection and never completes it is dropped like one that never sends a request.
    if (m_tls && !m_tls->isEncrypted() && nowMs - m_acceptedMs > o.readTimeoutMs) {
        qCInfo(lcHttp).noquote() << "TLS handshake with" << m_socket.peerAddress().toString()
                                 << "did not finish in time; closing";
        abort();
        return;
    }
    if (m_requestStartedMs >= 0 && nowMs - m_requestStartedMs > o.readTimeoutMs) {
        rejectWith(408, u"the request did not arrive in time"_s);
        return;
    }
    const bool idle = !m_framer.midRequest() && m_nextToWrite == m_nextSequence && m_socket.bytesToWrite() == 0;
    if (idle && nowMs - m_lastActivityMs > o.idleTimeoutMs)
        m_socket.disconnectFromHost();
}

TlsConnection::TlsConnection(HttpServer &server, IoServer &io, QObject *parent)
    : QSslSocket(parent), HttpConnection(*this, this, server, io)
{
    // Plain HTTP sent to the HTTPS port, a scanner, an old client: OpenSSL refuses the
    // handshake and QSslSocket aborts the connection. One line says why; it is the
    // operator's only clue when a browser "cannot connect".
    connect(this, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::SslHandshakeFailedError)
            qCInfo(lcHttp).noquote() << "TLS handshake with" << peerAddress().toString()
                                     << "failed:" << errorString();
    });
}

// ---------------------------------------------------------------------------------
// Listener

void Listener::incomingConnection(qintptr descriptor)
{
    auto &metrics = m_server.metrics();
    if (metrics.openConnections.load() >= m_server.options().maxConnections) {
        ++metrics.refusedConnections;
        // Over the cap: a short 503 written straight to the socket, no Qt objects. Not
        // over TLS, where plain bytes would only be a protocol error: just close.
        if (!m_io.tls()) {
            static const QByteArray body =
                R"({"success":false,"error":{"code":"SERVICE_UNAVAILABLE","message":"too many connections"}})";
            static const QByteArray reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                            "Retry-After: 1\r\nConnection: close\r\n" + kSecurityHeaders
                                            + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
            [[maybe_unused]] const auto sent = ::send(int(descriptor), reply.constData(), size_t(reply.size()),
                                                      MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        ::close(int(descriptor));
        return;
    }
    // QtHttpServer keeps a request's bytes buffered until it is complete, so the
    // buffer must hold one whole request; beyond that Qt would read whatever the
    // kernel has queued (megabytes) before the framer can refuse it. 64 KiB of slack
    // covers chunk framing; a client that frames a body in tiny chunks so that it
    // needs more gets no further and times out (408) rather than costing memory.
    const auto &o = m_server.options();
    const qint64 readBuffer = o.maxHeaderBytes + o.maxBodyBytes + 64 * 1024;
    if (const QSslConfiguration *tls = m_io.tls()) {
        auto *connection = new TlsConnection(m_server, m_io, this);
        if (!connection->setSocketDescriptor(descriptor)) {
            delete connection;
            ::close(int(descriptor));
            return;
        }
        connection->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        connection->setReadBufferSize(readBuffer);
        connection->setSslConfiguration(*tls);
        addPendingConnection(connection);
        connection->startServerEncryption();
        return;
    }
    auto *connection = new PlainConnection(m_server, m_io, this);
    if (!connection->setSocketDescriptor(descriptor)) {
        delete connection;
        ::close(int(descriptor));
        return;
    }
    connection->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    connection->setReadBufferSize(readBuffer);
    addPendingConnection(connection);
}

// ---------------------------------------------------------------------------------
// IoServer

IoServer::IoServer(HttpServer &server, int index)
    : m_server(server),
      m_index(index),
      m_tls(server.options().tls.has_value()),
      m_redirectToHttpsPort(server.options().redirectToHttpsPort)
{
    m_clock.start();
    m_idPrefix = QByteArray::number(QRandomGenerator::system()->generate(), 16).rightJustified(8, '0');
    const auto &o = server.options();
    const int interval = std::clamp(qMin(o.readTimeoutMs, o.idleTimeoutMs) / 4, 50, 1000);
    m_sweepTimer.setInterval(interval);
    connect(&m_sweepTimer, &QTimer::timeout, this, &IoServer::sweep);
    m_sweepTimer.start();
    m_date = QDateTime::currentDateTimeUtc().toString(u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s).toLatin1();
}

IoServer::~IoServer()
{
    // The listener and its connections are QObject children, which ~QObject would
    // delete only after this object's members are gone; connections untrack
    // themselves from m_connections on the way out, so delete them while it exists.
    closeAll();
    const auto listeners = findChildren<Listener *>(Qt::FindDirectChildrenOnly);
    qDeleteAll(listeners);
    const auto connections = m_connections.values();
    qDeleteAll(connections);
    for (auto &[fd, lingering] : m_lingering) {
        lingering.notifier.reset();
        ::close(fd);
    }
    m_lingering.clear();
}

QByteArray IoServer::newRequestId()
{
    return m_idPrefix + QByteArray::number(++m_idCounter, 16).rightJustified(8, '0');
}

void IoServer::sweep()
{
    m_date = QDateTime::currentDateTimeUtc().toString(u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s).toLatin1();
    const qint64 now = nowMs();
    // Each connection holds ~50 KiB of socket buffers; after a burst of thousands of
    // connections glibc keeps the freed memory. Hand it back once a burst is over.
    const qsizetype open = m_connections.size();
    if (m_peakSinceTrim - open > 1000) {
        ::malloc_trim(0);
        m_peakSinceTrim = open;
    }
    m_peakSinceTrim = qMax(m_peakSinceTrim, open);
    // Copy: a sweep may close (and later delete) connections.
    const auto connections = m_connections.values();
    for (HttpConnection *c : connections) {
        if (m_connections.contains(c))
            c->sweep(now);
    }
    QList<int> overdue;
    for (const auto &[fd, lingering] : m_lingering) {
        if (now > lingering.deadlineMs)
            overdue.append(fd);
    }
    for (int fd : std::as_const(overdue))
        endLinger(fd);
}

void IoServer::closeAll()
{
    const auto connections = m_connections.values();
    for (HttpConnection *c : connections)
        c->abort();
}

void IoServer::linger(int fd)
{
    // Our side is done: the FIN goes after everything already written.
    ::shutdown(fd, SHUT_WR);
    auto notifier = std::make_unique<QSocketNotifier>(qintptr(fd), QSocketNotifier::Read);
    connect(notifier.get(), &QSocketNotifier::activated, this, [this, fd] { drainLingering(fd); });
    m_lingering[fd] = Lingering{std::move(notifier), nowMs() + kLingerMs, 0};
}

void IoServer::drainLingering(int fd)
{
    const auto it = m_lingering.find(fd);
    if (it == m_lingering.end())
        return;
    char discard[16384];
    for (;;) {
        const ssize_t n = ::recv(fd, discard, sizeof discard, MSG_DONTWAIT);
        if (n > 0) {
            it->second.drained += n;
            if (it->second.drained > kLingerMaxBytes)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break; // the client's end, or an error
    }
    endLinger(fd);
}

void IoServer::endLinger(int fd)
{
    const auto it = m_lingering.find(fd);
    if (it == m_lingering.end())
        return;
    // Possibly inside the notifier's own signal: disable now, delete later.
    QSocketNotifier *notifier = it->second.notifier.release();
    notifier->setEnabled(false);
    notifier->deleteLater();
    m_lingering.erase(it);
    ::close(fd);
}

QByteArray IoServer::serialize(const Response &response, const QByteArray &requestId, bool head, bool keepAlive,
                               int minorVersion) const
{
    QByteArray out;
    out.reserve(640 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    out += "Date: " + m_date + "\r\n";
    const bool bodyless = response.status == 304 || response.status == 204 || response.status < 200;
    if (!bodyless) {
        if (!response.contentType.isEmpty())
            out += "Content-Type: " + response.contentType + "\r\n";
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    }
    out += "X-Request-Id: " + requestId + "\r\n";
    out += m_server.options().stripeJs ? kSecurityHeadersStripe : kSecurityHeaders;
    if (m_tls)
        out += kHsts;
    bool cacheControl = false;
    for (const auto &[name, value] : response.headers) {
        out += name + ": " + value + "\r\n";
        cacheControl = cacheControl || name.compare("Cache-Control", Qt::CaseInsensitive) == 0;
    }
    if (!cacheControl)
        out += "Cache-Control: no-store\r\n";
    if (!keepAlive)
        out += "Connection: close\r\n";
    else if (minorVersion == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!head && !bodyless)
        out += response.body;
    return out;
}

void IoServer::account(const QString &route, const QByteArray &method, const QString &logPath, int status,
                       qint64 bytes, const QByteArray &requestId, const QHostAddress &peer, qint64 startedNs)
{
    const qint64 nanos = m_clock.nsecsElapsed() - startedNs;
    m_server.metrics().record(m_index, route, method, status, nanos);
    if (m_server.options().accessLog) {
        qCInfo(lcAccess).noquote().nospace()
            << "method=" << method << " path=" << logPath << " status=" << status
            << " dur_ms=" << QString::number(double(nanos) / 1e6, 'f', 3) << " bytes=" << bytes
            << " rid=" << requestId << " peer=" << peer.toString();
    }
}

bool IoServer::handleRequest(const QHttpServerRequest &qrequest, QTcpSocket *socket)
{
    HttpConnection *connection = HttpConnection::from(socket);
    if (!connection)
        return false;
    const qint64 started = m_clock.nsecsElapsed();
    const RequestFramer::Head head = connection->takeHead();
    const quint64 sequence = connection->nextSequence();
    ++m_server.metrics().inFlight;

    Request request;
    request.method = methodName(qrequest.method());
    if (request.method == "HEAD") {
        request.head = true;
        request.method = "GET";
    }
    const QUrl url = qrequest.url();
    request.path = url.path(QUrl::FullyDecoded);
    request.query = qrequest.query();
    const auto headers = qrequest.headers();
    request.headers.reserve(headers.size());
    for (const auto &[name, value] : headers)
        request.headers.append({name.toLower(), value});
    request.body = qrequest.body();
    request.peer = socket->peerAddress();
    const QByteArray incomingId = request.header("x-request-id");
    request.requestId = isSaneRequestId(incomingId) ? incomingId : newRequestId();
    const QString logPath = url.path(QUrl::FullyEncoded);

    if (m_redirectToHttpsPort != 0) {
        finish(connection, sequence, head, request, u"(https redirect)"_s, logPath,
               httpsRedirect(request, url, m_redirectToHttpsPort), started);
        return true;
    }

    // CORS preflight (Fetch standard): answered here for every route, granted only to
    // configured origins.
    if (request.method == "OPTIONS" && !request.header("access-control-request-method").isEmpty()) {
        Response preflight;
        if (m_server.options().corsOrigins.contains(request.header("origin"))) {
            preflight.status = 204;
            preflight.contentType.clear();
            preflight.withHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
            preflight.withHeader("Access-Control-Allow-Headers",
                                 "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
            preflight.withHeader("Access-Control-Max-Age", "600");
        } else {
            preflight = Response::error(403, u"FORBIDDEN"_s, u"this origin may not call the API"_s);
        }
        finish(connection, sequence, head, request, u"(cors preflight)"_s, logPath, preflight, started);
        return true;
    }

    Router::Match match = m_server.router().match(request.method, request.path);
    if (!match.route) {
        Response response;
        QString route;
        if (!match.allowedMethods.isEmpty()) {
            route = u"(method not allowed)"_s;
            response = Response::error(405, u"METHOD_NOT_ALLOWED"_s, u"this resource does not accept that method"_s);
            QByteArray allow = match.allowedMethods.join(", ");
            if (match.allowedMethods.contains("GET"))
                allow += ", HEAD";
            response.withHeader("Allow", allow);
        } else {
            route = u"(fallback)"_s;
            response = m_server.fallback()(request);
        }
        finish(connection, sequence, head, request, route, logPath, response, started);
        return true;
    }
    request.params = std::move(match.params);
    const Router::Route &route = *match.route;

    if (route.fast) {
        if (std::optional<Response> answered = route.fast(request)) {
            finish(connection, sequence, head, request, route.pattern, logPath, *answered, started);
            return true;
        }
    }

    if (route.execution == Execution::Inline) {
        finish(connection, sequence, head, request, route.pattern, logPath, route.handler(request), started);
        return true;
    }

    if (!m_server.reserveWorkerSlot()) {
        finish(connection, sequence, head, request, route.pattern, logPath,
               Response::error(Error::unavailable(u"the server is busy; try again shortly"_s)), started);
        return true;
    }
    // The socket and its connection are one object: while the guard holds, so does it.
    QPointer<QTcpSocket> guarded(socket);
    m_server.workers().start([this, guarded, connection, sequence, head, request = std::move(request),
                              handler = route.handler, pattern = route.pattern, logPath, started]() {
        m_server.releaseWorkerSlot();
        Response response = handler(request);
        // Back on the I/O thread; the connection may have gone meanwhile (QTBUG-105202).
        QMetaObject::invokeMethod(this, [this, guarded, connection, sequence, head, request, pattern, logPath,
                                         started, response = std::move(response)]() {
            auto deliver = [this, guarded, connection, sequence, head, request, pattern, logPath, started, response] {
                if (!guarded) {
                    --m_server.metrics().inFlight;
                    account(pattern, request.method, logPath, 499, 0, request.requestId, request.peer, started);
                    return;
                }
                finish(connection, sequence, head, request, pattern, logPath, response, started);
            };
            if (response.quantumMs > 0) {
                const qint64 quantumNs = qint64(response.quantumMs) * 1'000'000;
                const qint64 elapsed = m_clock.nsecsElapsed() - started;
                const qint64 waitNs = (elapsed / quantumNs + 1) * quantumNs - elapsed;
                QTimer::singleShot(std::chrono::ceil<std::chrono::milliseconds>(std::chrono::nanoseconds(waitNs)),
                                   Qt::PreciseTimer, this, deliver);
                return;
            }
            deliver();
        }, Qt::QueuedConnection);
    });
    return true;
}

void IoServer::finish(HttpConnection *connection, quint64 sequence, const RequestFramer::Head &head,
                      const Request &request, const QString &route, const QString &logPath,
                      const Response &response, qint64 startedNs)
{
    const bool keepAlive = head.keepAlive && !m_server.draining();
    const QByteArray origin = request.header("origin");
    QByteArray bytes;
    if (!origin.isEmpty() && m_server.options().corsOrigins.contains(origin)) {
        Response withCors = response;
        withCors.withHeader("Access-Control-Allow-Origin", origin);
        withCors.withHeader("Access-Control-Allow-Credentials", "true");
        withCors.withHeader("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, ETag");
        withCors.withHeader("Vary", "Origin");
        bytes = serialize(withCors, request.requestId, request.head, keepAlive, head.minorVersion);
    } else {
        bytes = serialize(response, request.requestId, request.head, keepAlive, head.minorVersion);
    }
    connection->deliver(sequence, bytes, !keepAlive);
    --m_server.metrics().inFlight;
    account(route, request.head ? QByteArray("HEAD") : request.method, logPath, response.status,
            bytes.size(), request.requestId, request.peer, startedNs);
}

void IoServer::missingHandler(const QHttpServerRequest &, QTcpSocket *socket)
{
    // Unreachable: handleRequest answers everything. Close rather than leave it hanging.
    socket->disconnectFromHost();
}

// ---------------------------------------------------------------------------------
// IoThread

IoThread::IoThread(HttpServer &server, int index, int descriptor)
    : m_server(server), m_index(index), m_descriptor(descriptor)
{
    setObjectName(u"http-io-%1"_s.arg(index));
}

Status IoThread::waitUntilReady()
{
    m_ready.acquire();
    return m_startStatus;
}

void IoThread::stopAccepting()
{
    QMetaObject::invokeMethod(
        m_listener, [listener = m_listener] {
            if (listener)
                listener->close();
        },
        Qt::BlockingQueuedConnection);
}

void IoThread::run()
{
    {
        IoServer io(m_server, m_index);
        auto *listener = new Listener(m_server, io);
        listener->setMaxPendingConnections(4096);
        if (!listener->setSocketDescriptor(m_descriptor)) {
            m_startStatus = fail(Error::unavailable(u"cannot adopt the listening socket: "_s + listener->errorString()));
            delete listener;
            ::close(m_descriptor);
            m_ready.release();
            return;
        }
        io.bind(listener); // reparents the listener to io
        m_listener = listener;
        m_ready.release();
        exec();
        io.closeAll();
    }
    if (const auto &hook = m_server.threadExitHook())
        hook();
}

// ---------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(Options options, Router router, Handler fallback)
    : m_options(std::move(options)),
      m_router(std::move(router)),
      m_fallback(std::move(fallback)),
      m_metrics(std::make_unique<HttpMetrics>(qMax(1, m_options.ioThreads))),
      m_workers(std::make_unique<QThreadPool>())
{
    m_workers->setMaxThreadCount(qMax(1, m_options.workerThreads));
    m_workers->setExpiryTimeout(-1); // worker threads keep their database connections
}

HttpServer::~HttpServer()
{
    stop(0);
}

qint64 HttpServer::raiseFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
            qCWarning(lcHttp) << "cannot raise the open-file limit:" << strerror(errno);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return qint64(limit.rlim_cur);
}

bool HttpServer::reserveWorkerSlot()
{
    if (m_queuedWork.fetch_add(1) >= m_options.workerQueueLimit + m_options.workerThreads) {
        m_queuedWork.fetch_sub(1);
        return false;
    }
    return true;
}

void HttpServer::releaseWorkerSlot()
{
    m_queuedWork.fetch_sub(1);
}

Status HttpServer::start()
{
    if (m_running)
        return {};
    const qint64 files = raiseFileLimit();
    qCInfo(lcHttp) << "open-file limit" << files;

    const int threads = qMax(1, m_options.ioThreads);
    QList<int> descriptors;
    quint16 port = m_options.port;
    for (int i = 0; i < threads; ++i) {
        auto fd = openListeningSocket(m_options.address, port, m_options.backlog);
        if (!fd) {
            for (int open : std::as_const(descriptors))
                ::close(open);
            return std::unexpected(fd.error());
        }
        if (port == 0)
            port = boundPort(*fd); // the rest share the port the first one got
        descriptors.append(*fd);
    }
    m_port = port;
    m_draining = false;
    for (int i = 0; i < threads; ++i) {
        auto thread = std::make_unique<IoThread>(*this, i, descriptors.at(i));
        thread->start();
        m_threads.push_back(std::move(thread));
    }
    Status status;
    for (auto &thread : m_threads) {
        if (auto ok = thread->waitUntilReady(); !ok && status)
            status = ok;
    }
    m_running = true;
    if (!status) {
        stop(0);
        return status;
    }
    const QString where = m_options.address.toString() + u':' + QString::number(m_port);
    if (m_options.redirectToHttpsPort != 0) {
        qCInfo(lcHttp).noquote() << "redirecting plain HTTP on" << where << "to HTTPS on port"
                                 << m_options.redirectToHttpsPort;
        return {};
    }
    qCInfo(lcHttp).noquote() << "listening on" << where << (m_options.tls ? "(HTTPS)" : "(HTTP)") << "with"
                             << threads << "I/O threads and" << m_options.workerThreads << "workers";
    if (m_options.tls && m_options.httpRedirectPort != 0) {
        // Its own SO_REUSEPORT socket would happily share the HTTPS port and split the
        // connections between the two, so the same port is refused outright.
        if (m_options.httpRedirectPort == m_port) {
            stop(0);
            return fail(Error::invalid(u"the HTTP redirect port must differ from the HTTPS port"_s));
        }
        Options redirect = m_options;
        redirect.port = m_options.httpRedirectPort;
        redirect.tls.reset();
        redirect.httpRedirectPort = 0;
        redirect.redirectToHttpsPort = m_port;
        redirect.ioThreads = 1;
        redirect.workerThreads = 1;
        redirect.corsOrigins.clear();
        m_redirect = std::make_unique<HttpServer>(redirect, Router(), [](const Request &) {
            return Response::error(404, u"NOT_FOUND"_s, u"no such route"_s); // unreachable: all is redirected
        });
        if (auto ok = m_redirect->start(); !ok) {
            m_redirect.reset();
            stop(0);
            return ok;
        }
    }
    return {};
}

quint16 HttpServer::redirectPort() const
{
    return m_redirect ? m_redirect->port() : 0;
}

void HttpServer::stop(int drainTimeoutMs)
{
    if (!m_running)
        return;
    m_running = false;
    if (m_redirect) {
        m_redirect->stop(drainTimeoutMs);
        m_redirect.reset();
    }
    m_draining = true;
    for (auto &thread : m_threads)
        thread->stopAccepting();
    QElapsedTimer waited;
    waited.start();
    while (m_metrics->inFlight.load() > 0 && waited.elapsed() < drainTimeoutMs)
        QThread::msleep(5);
    if (m_metrics->inFlight.load() > 0)
        qCWarning(lcHttp) << m_metrics->inFlight.load() << "requests still in flight after the drain period";
    m_workers->waitForDone(qMax(0, drainTimeoutMs - int(waited.elapsed())) + 1000);
    for (auto &thread : m_threads) {
        thread->quit();
        thread->wait();
    }
    m_threads.clear();
    m_workers->waitForDone();
}

} // namespace shop::http
