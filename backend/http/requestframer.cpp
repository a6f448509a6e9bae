#include "requestframer.h"

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

bool isTokenChar(char c)
{
    // RFC 9110 §5.6.2 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

QByteArray lower(QByteArrayView s)
{
    return s.toByteArray().toLower();
}

bool hasToken(QByteArrayView list, QByteArrayView token)
{
    for (QByteArrayView part : QByteArray(list.toByteArray()).split(',')) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

bool RequestFramer::reject(int status, QString message)
{
    m_rejection = Rejection{status, std::move(message)};
    return false;
}

bool RequestFramer::feed(QByteArrayView data)
{
    if (m_rejection)
        return false;
    while (!data.isEmpty()) {
        switch (m_state) {
        case State::Idle:
            // Bare CRLFs between requests are allowed (RFC 9112 §2.2).
            if (data.front() == '\r' || data.front() == '\n') {
                data = data.sliced(1);
                continue;
            }
            m_state = State::Head;
            m_headBuffer.clear();
            [[fallthrough]];
        case State::Head:
            if (!feedHead(data))
                return false;
            break;
        case State::Body: {
            const qint64 take = qMin<qint64>(m_remaining, data.size());
            m_remaining -= take;
            data = data.sliced(take);
            if (m_remaining == 0 && !finishRequest())
                return false;
            break;
        }
        case State::ChunkSize:
            if (!feedChunkSize(data))
                return false;
            break;
        case State::ChunkData: {
            const qint64 take = qMin<qint64>(m_remaining, data.size());
            m_remaining -= take;
            data = data.sliced(take);
            if (m_remaining == 0) {
                m_state = State::ChunkDataEnd;
                m_line.clear();
            }
            break;
        }
        case State::ChunkDataEnd:
            m_line.append(data.front());
            data = data.sliced(1);
            if (m_line == "\r")
                break;
            if (m_line != "\r\n" && m_line != "\n")
                return reject(400, u"malformed chunked body"_s);
            m_line.clear();
            m_state = State::ChunkSize;
            break;
        case State::Trailers:
            if (!feedTrailers(data))
                return false;
            break;
        }
    }
    return true;
}

bool RequestFramer::feedHead(QByteArrayView &data)
{
    const qsizetype searchFrom = qMax<qsizetype>(0, m_headBuffer.size() - 3);
    const qsizetype room = m_limits.maxHeaderBytes - m_headBuffer.size();
    const QByteArrayView slice = data.first(qMin<qsizetype>(data.size(), room + 4));
    m_headBuffer.append(slice);
    qsizetype end = m_headBuffer.indexOf("\r\n\r\n", searchFrom);
    qsizetype terminator = 4;
    if (end < 0) {
        end = m_headBuffer.indexOf("\n\n", searchFrom);
        terminator = 2;
    }
    if (end < 0) {
        if (m_headBuffer.size() > m_limits.maxHeaderBytes) {
            if (!m_headBuffer.contains('\n'))
                return reject(414, u"the request line is too long"_s);
            return reject(431, u"the request headers are too large"_s);
        }
        data = data.sliced(slice.size());
        return true;
    }
    const qsizetype headSize = end + terminator;
    if (headSize > m_limits.maxHeaderBytes + 4)
        return reject(431, u"the request headers are too large"_s);
    // Give back what belongs to the body or the next request.
    const qsizetype consumedFromSlice = slice.size() - (m_headBuffer.size() - headSize);
    data = data.sliced(consumedFromSlice);
    m_headBuffer.truncate(end);
    if (!parseHead())
        return false;
    m_headBuffer.clear();
    m_bodySoFar = 0;
    if (m_current.chunked) {
        m_state = State::ChunkSize;
        m_line.clear();
    } else if (m_current.contentLength > 0) {
        m_state = State::Body;
        m_remaining = m_current.contentLength;
    } else {
        return finishRequest();
    }
    if (m_current.expectContinue)
        m_continue = m_current;
    return true;
}

bool RequestFramer::parseHead()
{
    QList<QByteArray> lines = m_headBuffer.split('\n');
    for (QByteArray &line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
    }
    const QList<QByteArray> parts = lines.first().split(' ');
    if (parts.size() != 3 || !isToken(parts[0]) || parts[1].isEmpty())
        return reject(400, u"malformed request line"_s);
    Head head;
    head.method = parts[0];
    head.target = parts[1];
    const QByteArray &version = parts[2];
    if (version == "HTTP/1.1") {
        head.minorVersion = 1;
    } else if (version == "HTTP/1.0") {
        head.minorVersion = 0;
    } else if (version.startsWith("HTTP/") && version.size() == 8) {
        return reject(505, u"only HTTP/1.0 and HTTP/1.1 are supported"_s);
    } else {
        return reject(400, u"malformed request line"_s);
    }
    if (head.target.front() != '/' && head.target != "*"
        && !head.target.startsWith("http://") && !head.target.startsWith("https://"))
        return reject(400, u"malformed request target"_s);
    for (char c : std::as_const(head.target)) {
        if (uchar(c) <= 0x20 || uchar(c) == 0x7f)
            return reject(400, u"malformed request target"_s);
    }

    bool hasHost = false;
    bool hasLength = false;
    QByteArray connection;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        if (line.isEmpty())
            return reject(400, u"malformed header block"_s);
        if (line.front() == ' ' || line.front() == '\t')
            return reject(400, u"obsolete header line folding is not accepted"_s);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(QByteArrayView(line).first(colon)))
            return reject(400, u"malformed header line"_s);
        const QByteArray name = lower(QByteArrayView(line).first(colon));
        const QByteArrayView value = QByteArrayView(line).sliced(colon + 1).trimmed();
        if (name == "host") {
            if (hasHost)
                return reject(400, u"more than one Host header"_s);
            hasHost = true;
        } else if (name == "content-length") {
            bool ok = false;
            const qint64 length = value.toLongLong(&ok);
            for (char c : value) {
                if (c < '0' || c > '9')
                    ok = false;
            }
            if (!ok || length < 0 || (hasLength && length != head.contentLength))
                return reject(400, u"invalid Content-Length"_s);
            hasLength = true;
            head.contentLength = length;
        } else if (name == "transfer-encoding") {
            if (value.compare("chunked", Qt::CaseInsensitive) != 0)
                return reject(501, u"only chunked transfer coding is supported"_s);
            head.chunked = true;
        } else if (name == "connection") {
            connection += value.toByteArray() + ',';
        } else if (name == "expect") {
            if (value.compare("100-continue", Qt::CaseInsensitive) != 0)
                return reject(417, u"unsupported expectation"_s);
            head.expectContinue = true;
        }
    }
    if (head.chunked && hasLength)
        return reject(400, u"Content-Length together with chunked transfer coding"_s);
    if (head.minorVersion == 1 && !hasHost)
        return reject(400, u"HTTP/1.1 requests need a Host header"_s);
    head.keepAlive = head.minorVersion == 1 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
    if (head.contentLength > m_limits.maxBodyBytes)
        return reject(413, u"the request body is larger than %1 bytes"_s.arg(m_limits.maxBodyBytes));
    m_current = head;
    return true;
}

bool RequestFramer::feedChunkSize(QByteArrayView &data)
{
    const qsizetype newline = data.indexOf('\n');
    const qsizetype take = newline < 0 ? data.size() : newline + 1;
    m_line.append(data.first(take));
    data = data.sliced(take);
    if (m_line.size() > 1024)
        return reject(400, u"malformed chunked body"_s);
    if (newline < 0)
        return true;
    QByteArray line = m_line.trimmed();
    m_line.clear();
    if (const qsizetype semicolon = line.indexOf(';'); semicolon >= 0)
        line.truncate(semicolon); // chunk extensions are ignored
    bool ok = false;
    const qint64 size = line.trimmed().toLongLong(&ok, 16);
    if (!ok || size < 0 || line.isEmpty())
        return reject(400, u"malformed chunk size"_s);
    if (size == 0) {
        m_state = State::Trailers;
        m_trailerBytes = 0;
        return true;
    }
    m_bodySoFar += size;
    if (m_bodySoFar > m_limits.maxBodyBytes)
        return reject(413, u"the request body is larger than %1 bytes"_s.arg(m_limits.maxBodyBytes));
    m_remaining = size;
    m_state = State::ChunkData;
    return true;
}

bool RequestFramer::feedTrailers(QByteArrayView &data)
{
    while (!data.isEmpty()) {
        const qsizetype newline = data.indexOf('\n');
        const qsizetype take = newline < 0 ? data.size() : newline + 1;
        m_line.append(data.first(take));
        m_trailerBytes += int(take);
        data = data.sliced(take);
        if (m_trailerBytes > m_limits.maxHeaderBytes)
            return reject(431, u"the request trailers are too large"_s);
        if (newline < 0)
            return true;
        const bool empty = m_line == "\r\n" || m_line == "\n";
        m_line.clear();
        if (empty)
            return finishRequest();
    }
    return true;
}

bool RequestFramer::finishRequest()
{
    m_completed.append(m_current);
    m_continue.reset();
    m_state = State::Idle;
    return true;
}

} // namespace shop::http
