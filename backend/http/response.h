#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>

#include <utility>

namespace shop::http {

struct Response
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<std::pair<QByteArray, QByteArray>> headers; // beyond the ones every response gets
    // When set, the answer leaves at the next multiple of this many milliseconds after
    // the request arrived, whatever the handler took: sign-in failures and password
    // resets use it so their timing cannot tell a known address from an unknown one.
    // The wait is a timer on the I/O thread; no worker is held.
    int quantumMs = 0;

    Response &withHeader(QByteArray name, QByteArray value)
    {
        headers.append({std::move(name), std::move(value)});
        return *this;
    }

    // {"success":true,"data":...} (DESIGN.md "HTTP API").
    static Response ok(const QJsonValue &data, int status = 200);
    // The same envelope around JSON text built elsewhere (PostgreSQL's json_agg).
    static Response okJson(const QByteArray &dataJson, int status = 200);
    // {"success":false,"error":{"code":...,"message":...[,"fields":{...}]}}
    static Response error(const Error &error);
    static Response error(int status, const QString &code, const QString &message);
    static Response text(int status, QByteArray contentType, QByteArray body);
    static Response notModified(QByteArray etag);

    template<typename T, typename F>
    static Response from(const Result<T> &result, F &&toJson, int status = 200)
    {
        if (!result)
            return error(result.error());
        return ok(toJson(*result), status);
    }
};

// The single place that turns an error kind into an HTTP status and public code.
int httpStatus(Error::Kind kind);
QString errorCode(const Error &error);
QByteArray reasonPhrase(int status);

} // namespace shop::http
