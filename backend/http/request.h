#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QUrlQuery>

#include <optional>
#include <utility>

namespace shop::http {

// A request as handlers see it: a plain value, safe to copy to a worker thread
// (QHttpServerRequest belongs to the connection and may be gone by then).
struct Request
{
    QByteArray method;             // "GET", "POST", ...; HEAD arrives as GET with head = true
    bool head = false;
    QString path;                  // decoded path, no query
    QUrlQuery query;
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-case
    QByteArray body;
    QHostAddress peer;
    QByteArray requestId;
    QList<std::pair<QString, QString>> params; // from the route pattern, e.g. {"id", "42"}

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &[key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }

    QString param(QStringView name) const
    {
        for (const auto &[key, value] : params) {
            if (key == name)
                return value;
        }
        return {};
    }

    std::optional<qint64> intParam(QStringView name) const
    {
        bool ok = false;
        const qint64 v = param(name).toLongLong(&ok);
        return ok ? std::optional<qint64>(v) : std::nullopt;
    }
};

} // namespace shop::http
