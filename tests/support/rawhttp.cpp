#include "rawhttp.h"

#include <QElapsedTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shop::test {

RawConnection::RawConnection(quint16 port)
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

RawConnection::~RawConnection()
{
    close();
}

void RawConnection::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

bool RawConnection::send(const QByteArray &bytes)
{
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.data() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        sent += n;
    }
    return true;
}

bool RawConnection::fill(int timeoutMs)
{
    if (m_eof || m_fd < 0)
        return false;
    pollfd p{m_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeoutMs);
    if (ready <= 0)
        return false;
    char chunk[65536];
    const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
        m_eof = true;
        return false;
    }
    m_buffer.append(chunk, n);
    return true;
}

std::optional<RawResponse> RawConnection::readResponse(int timeoutMs, bool expectBody)
{
    QElapsedTimer timer;
    timer.start();
    qsizetype end = -1;
    while ((end = m_buffer.indexOf("\r\n\r\n")) < 0) {
        const int left = timeoutMs - int(timer.elapsed());
        if (left <= 0 || !fill(left))
            return std::nullopt;
    }
    RawResponse r;
    r.head = m_buffer.left(end);
    const QList<QByteArray> lines = r.head.split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    if (statusLine.size() < 2)
        return std::nullopt;
    r.status = statusLine.at(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
    }
    m_buffer.remove(0, end + 4);
    const bool hasBody = expectBody && r.status != 304 && r.status != 204 && r.status >= 200;
    const qint64 length = hasBody ? r.header("content-length").toLongLong() : 0;
    while (m_buffer.size() < length) {
        const int left = timeoutMs - int(timer.elapsed());
        if (left <= 0 || !fill(left))
            return std::nullopt;
    }
    r.body = m_buffer.left(length);
    m_buffer.remove(0, length);
    return r;
}

bool RawConnection::waitClosed(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!m_eof) {
        const int left = timeoutMs - int(timer.elapsed());
        if (left <= 0)
            return false;
        if (!fill(left) && !m_eof)
            return false;
    }
    return true;
}

std::optional<RawResponse> rawRequest(quint16 port, const QByteArray &request, bool expectBody)
{
    RawConnection c(port);
    if (!c.isConnected() || !c.send(request))
        return std::nullopt;
    return c.readResponse(10000, expectBody);
}

} // namespace shop::test
