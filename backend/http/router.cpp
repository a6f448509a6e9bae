#include "router.h"

using namespace Qt::StringLiterals;

namespace shop::http {

void Router::add(QByteArray method, const QString &pattern, Handler handler, Execution execution)
{
    Route route{std::move(method), pattern, std::move(handler), execution, {}, {}};
    route.segments = pattern.split(u'/', Qt::SkipEmptyParts);
    m_routes.append(std::move(route));
}

void Router::cached(const QString &pattern, FastPath fast, Handler handler)
{
    gated("GET", pattern, std::move(fast), std::move(handler));
}

void Router::gated(QByteArray method, const QString &pattern, FastPath gate, Handler handler)
{
    add(std::move(method), pattern, std::move(handler), Execution::Worker);
    m_routes.last().fast = std::move(gate);
}

bool Router::matchSegments(const Route &route, const QList<QStringView> &parts,
                           QList<std::pair<QString, QString>> &params)
{
    params.clear();
    const auto &segments = route.segments;
    qsizetype i = 0;
    for (; i < segments.size(); ++i) {
        const QString &segment = segments.at(i);
        if (segment.startsWith(u'{') && segment.endsWith(u'}')) {
            QString name = segment.mid(1, segment.size() - 2);
            if (name.endsWith(u'*')) {
                name.chop(1);
                QStringList rest;
                for (qsizetype j = i; j < parts.size(); ++j)
                    rest.append(parts.at(j).toString());
                params.append({name, rest.join(u'/')});
                return true;
            }
            if (i >= parts.size())
                return false;
            QString type;
            if (const qsizetype colon = name.indexOf(u':'); colon >= 0) {
                type = name.mid(colon + 1);
                name.truncate(colon);
            }
            const QStringView value = parts.at(i);
            if (type == "int"_L1) {
                if (value.isEmpty() || value.size() > 18)
                    return false;
                for (QChar c : value) {
                    if (!c.isDigit())
                        return false;
                }
            }
            params.append({name, value.toString()});
        } else if (i >= parts.size() || parts.at(i) != segment) {
            return false;
        }
    }
    return i == parts.size();
}

Router::Match Router::match(QByteArrayView method, const QString &path) const
{
    const QList<QStringView> parts = QStringView(path).split(u'/', Qt::SkipEmptyParts);
    Match result;
    QList<std::pair<QString, QString>> params;
    for (const Route &route : m_routes) {
        if (!matchSegments(route, parts, params))
            continue;
        if (route.method == method) {
            result.route = &route;
            result.params = std::move(params);
            result.allowedMethods.clear();
            return result;
        }
        if (!result.allowedMethods.contains(route.method))
            result.allowedMethods.append(route.method);
    }
    return result;
}

} // namespace shop::http
