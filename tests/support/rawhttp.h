#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>

#include <optional>

namespace shop::test {

struct RawResponse
{
    int status = 0;
    QMap<QByteArray, QByteArray> headers; // names lower-case
    QByteArray body;
    QByteArray head;                      // status line and headers as received
    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
};

// A plain blocking TCP client that sends exactly the bytes a test gives it: the
// server-core tests need malformed, partial and oversized requests that no HTTP
// client library would produce.
class RawConnection
{
public:
    explicit RawConnection(quint16 port);
    ~RawConnection();
    RawConnection(const RawConnection &) = delete;
    RawConnection &operator=(const RawConnection &) = delete;

    bool isConnected() const { return m_fd >= 0; }
    // Sends everything; false if the peer closed or reset meanwhile.
    bool send(const QByteArray &bytes);
    // Reads one response; expectBody=false for answers to HEAD.
    std::optional<RawResponse> readResponse(int timeoutMs = 10000, bool expectBody = true);
    // True once the server has closed the connection (EOF or reset) within the time.
    bool waitClosed(int timeoutMs = 10000);
    void close();

private:
    bool fill(int timeoutMs);
    int m_fd = -1;
    QByteArray m_buffer;
    bool m_eof = false;
};

// Sends one request on a fresh connection and reads the response.
std::optional<RawResponse> rawRequest(quint16 port, const QByteArray &request, bool expectBody = true);

} // namespace shop::test
