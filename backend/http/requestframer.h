#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>

namespace shop::http {

// Reads the raw byte stream of one connection ahead of QtHttpServer and enforces what
// Qt 6.4 does not: a cap on the request line plus headers (431/414), a cap on the body
// (413, decided from Content-Length before the body arrives, or while chunks arrive),
// a well-formed request line (400/505), and unambiguous framing (no Content-Length
// together with chunked, RFC 9112 §6.3). It remembers, per request, what the response
// writer needs: HTTP version, keep-alive, HEAD.
class RequestFramer
{
public:
    struct Limits
    {
        qint64 maxBodyBytes = 1 << 20;
        int maxHeaderBytes = 16 * 1024;
    };

    struct Head
    {
        QByteArray method;
        QByteArray target;
        int minorVersion = 1;
        bool keepAlive = true;
        bool expectContinue = false;
        bool chunked = false;
        qint64 contentLength = 0;
    };

    struct Rejection
    {
        int status = 400;
        QString message;
    };

    explicit RequestFramer(Limits limits) : m_limits(limits) {}

    // Consumes bytes. Returns false once the stream must be refused (see rejection()).
    bool feed(QByteArrayView data);

    const std::optional<Rejection> &rejection() const { return m_rejection; }
    // Heads of requests whose bytes have fully arrived, oldest first.
    QList<Head> &completed() { return m_completed; }
    // A head that asked for "Expect: 100-continue" and whose body has not arrived yet.
    std::optional<Head> takeContinueRequest() { return std::exchange(m_continue, std::nullopt); }
    // True while part of a request has arrived but not all of it.
    bool midRequest() const { return m_state != State::Idle || !m_headBuffer.isEmpty(); }

private:
    enum class State { Idle, Head, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers };

    bool reject(int status, QString message);
    bool parseHead();
    bool finishRequest();
    bool feedHead(QByteArrayView &data);
    bool feedChunkSize(QByteArrayView &data);
    bool feedTrailers(QByteArrayView &data);

    Limits m_limits;
    State m_state = State::Idle;
    QByteArray m_headBuffer;
    QByteArray m_line;
    Head m_current;
    qint64 m_remaining = 0;
    qint64 m_bodySoFar = 0;
    int m_trailerBytes = 0;
    QList<Head> m_completed;
    std::optional<Head> m_continue;
    std::optional<Rejection> m_rejection;
};

} // namespace shop::http
