#pragma once

#include "core/result.h"
#include "request.h"

#include <QHostAddress>
#include <QList>
#include <QString>

namespace shop::http {

// The client's address as rate limits and logs should see it. X-Forwarded-For is
// believed only when the connection comes from a configured trusted proxy (the
// learning lab keyed its limiter on a header anyone can send); then the rightmost
// address that is not itself a trusted proxy is the client.
class ClientAddress
{
public:
    // "10.0.0.1, 10.1.0.0/16, ::1"; invalid entries are reported.
    static Result<ClientAddress> parse(const QString &trustedProxies);

    QHostAddress of(const Request &request) const;
    bool isTrusted(const QHostAddress &address) const;

private:
    QList<std::pair<QHostAddress, int>> m_trusted;
};

} // namespace shop::http
