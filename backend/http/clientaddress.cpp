#include "clientaddress.h"

using namespace Qt::StringLiterals;

namespace shop::http {

Result<ClientAddress> ClientAddress::parse(const QString &trustedProxies)
{
    ClientAddress out;
    for (const QString &part : trustedProxies.split(u',', Qt::SkipEmptyParts)) {
        const QString entry = part.trimmed();
        if (entry.isEmpty())
            continue;
        auto subnet = QHostAddress::parseSubnet(entry.contains(u'/') ? entry
                                                : entry + (entry.contains(u':') ? u"/128"_s : u"/32"_s));
        if (subnet.first.isNull())
            return fail(Error::invalid(u"trusted proxy \"%1\" is not an address or CIDR"_s.arg(entry)));
        out.m_trusted.append(subnet);
    }
    return out;
}

bool ClientAddress::isTrusted(const QHostAddress &address) const
{
    for (const auto &[network, prefix] : m_trusted) {
        if (address.isInSubnet(network, prefix))
            return true;
        // An IPv4 proxy seen through a dual-stack socket (::ffff:10.0.0.1).
        bool v4 = false;
        const quint32 mapped = address.toIPv4Address(&v4);
        if (v4 && QHostAddress(mapped).isInSubnet(network, prefix))
            return true;
    }
    return false;
}

QHostAddress ClientAddress::of(const Request &request) const
{
    if (m_trusted.isEmpty() || !isTrusted(request.peer))
        return request.peer;
    const QList<QByteArray> hops = request.header("x-forwarded-for").split(',');
    for (auto it = hops.crbegin(); it != hops.crend(); ++it) {
        const QHostAddress hop(QString::fromLatin1(it->trimmed()));
        if (hop.isNull())
            return request.peer; // a malformed chain: trust nothing in it
        if (!isTrusted(hop))
            return hop;
    }
    return request.peer;
}

} // namespace shop::http
