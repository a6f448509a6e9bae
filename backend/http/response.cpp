#include "response.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace shop::http {

int httpStatus(Error::Kind kind)
{
    switch (kind) {
    case Error::Kind::InvalidRequest:
    case Error::Kind::MissingFields:
        return 400;
    case Error::Kind::Validation:
        return 422;
    case Error::Kind::Unauthorized:
        return 401;
    case Error::Kind::Forbidden:
        return 403;
    case Error::Kind::NotFound:
        return 404;
    case Error::Kind::MethodNotAllowed:
        return 405;
    case Error::Kind::Conflict:
        return 409;
    case Error::Kind::PayloadTooLarge:
        return 413;
    case Error::Kind::RateLimited:
        return 429;
    case Error::Kind::Unavailable:
        return 503;
    case Error::Kind::Internal:
        return 500;
    }
    return 500;
}

QString errorCode(const Error &error)
{
    if (!error.code().isEmpty())
        return error.code();
    switch (error.kind()) {
    case Error::Kind::InvalidRequest:
        return u"INVALID_REQUEST"_s;
    case Error::Kind::MissingFields:
        return u"MISSING_FIELDS"_s;
    case Error::Kind::Validation:
        return u"VALIDATION_FAILED"_s;
    case Error::Kind::Unauthorized:
        return u"UNAUTHORIZED"_s;
    case Error::Kind::Forbidden:
        return u"FORBIDDEN"_s;
    case Error::Kind::NotFound:
        return u"NOT_FOUND"_s;
    case Error::Kind::MethodNotAllowed:
        return u"METHOD_NOT_ALLOWED"_s;
    case Error::Kind::Conflict:
        return u"CONFLICT"_s;
    case Error::Kind::PayloadTooLarge:
        return u"PAYLOAD_TOO_LARGE"_s;
    case Error::Kind::RateLimited:
        return u"RATE_LIMITED"_s;
    case Error::Kind::Unavailable:
        return u"SERVICE_UNAVAILABLE"_s;
    case Error::Kind::Internal:
        return u"INTERNAL_ERROR"_s;
    }
    return u"INTERNAL_ERROR"_s;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

Response Response::ok(const QJsonValue &data, int status)
{
    QJsonObject envelope{{u"success"_s, true}, {u"data"_s, data}};
    Response r;
    r.status = status;
    r.body = QJsonDocument(envelope).toJson(QJsonDocument::Compact);
    return r;
}

Response Response::okJson(const QByteArray &dataJson, int status)
{
    Response r;
    r.status = status;
    r.body.reserve(dataJson.size() + 26);
    r.body += "{\"success\":true,\"data\":";
    r.body += dataJson;
    r.body += '}';
    return r;
}

Response Response::error(int status, const QString &code, const QString &message)
{
    QJsonObject envelope{{u"success"_s, false},
                         {u"error"_s, QJsonObject{{u"code"_s, code}, {u"message"_s, message}}}};
    Response r;
    r.status = status;
    r.body = QJsonDocument(envelope).toJson(QJsonDocument::Compact);
    return r;
}

Response Response::error(const Error &error)
{
    QJsonObject body{{u"code"_s, errorCode(error)}, {u"message"_s, error.message()}};
    if (!error.fields().isEmpty()) {
        QJsonObject fields;
        for (const FieldError &f : error.fields())
            fields.insert(f.field, f.message);
        body.insert(u"fields"_s, fields);
    }
    Response r;
    r.status = httpStatus(error.kind());
    r.body = QJsonDocument(QJsonObject{{u"success"_s, false}, {u"error"_s, body}}).toJson(QJsonDocument::Compact);
    if (r.status == 401) // RFC 9110 15.5.2, RFC 6750 3
        r.withHeader("WWW-Authenticate", "Bearer realm=\"shopdesk\"");
    if (error.retryAfter() > 0)
        r.withHeader("Retry-After", QByteArray::number(error.retryAfter()));
    else if (r.status == 503 || r.status == 429)
        r.withHeader("Retry-After", "1");
    return r;
}

Response Response::text(int status, QByteArray contentType, QByteArray body)
{
    Response r;
    r.status = status;
    r.contentType = std::move(contentType);
    r.body = std::move(body);
    return r;
}

Response Response::notModified(QByteArray etag)
{
    Response r;
    r.status = 304;
    r.contentType.clear();
    r.withHeader("ETag", std::move(etag));
    return r;
}

} // namespace shop::http
