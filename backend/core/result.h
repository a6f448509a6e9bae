#pragma once

#include <QList>
#include <QString>

#include <expected>
#include <utility>

namespace shop {

// One error type for every layer. The kind decides the HTTP status and the public
// error code (see http/errormapping); the message is safe to show to the client.
// Internal detail (SQL text, file paths) goes to the log, never into an Error.
struct FieldError
{
    QString field;
    QString message;
};

class Error
{
public:
    enum class Kind {
        InvalidRequest,   // malformed input: 400
        MissingFields,    // required fields absent: 400
        Validation,       // field-level validation failed: 422
        Unauthorized,     // no or bad credentials: 401
        Forbidden,        // authenticated but not allowed: 403
        NotFound,         // 404
        MethodNotAllowed, // 405
        Conflict,         // optimistic lock or uniqueness: 409
        PayloadTooLarge,  // 413
        RateLimited,      // 429
        Unavailable,      // dependency down or pool exhausted: 503
        Internal,         // a bug or an unexpected failure: 500
    };

    Error() = default;
    Error(Kind kind, QString message, QString code = {})
        : m_kind(kind), m_message(std::move(message)), m_code(std::move(code))
    {}

    Kind kind() const { return m_kind; }
    const QString &message() const { return m_message; }
    // An explicit public code (e.g. EMAIL_EXISTS); empty means "the kind's default".
    const QString &code() const { return m_code; }
    const QList<FieldError> &fields() const { return m_fields; }

    Error &withField(QString field, QString message)
    {
        m_fields.append({std::move(field), std::move(message)});
        return *this;
    }

    // Seconds a client should wait before retrying (429, 503): the Retry-After header.
    int retryAfter() const { return m_retryAfter; }
    Error &withRetryAfter(int seconds)
    {
        m_retryAfter = seconds;
        return *this;
    }

    static Error internal(QString message) { return {Kind::Internal, std::move(message)}; }
    static Error unavailable(QString message) { return {Kind::Unavailable, std::move(message)}; }
    static Error invalid(QString message) { return {Kind::InvalidRequest, std::move(message)}; }
    static Error notFound(QString message) { return {Kind::NotFound, std::move(message)}; }

private:
    Kind m_kind = Kind::Internal;
    QString m_message;
    QString m_code;
    QList<FieldError> m_fields;
    int m_retryAfter = 0;
};

template<typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error error)
{
    return std::unexpected<Error>(std::move(error));
}

inline std::unexpected<Error> fail(Error::Kind kind, QString message)
{
    return std::unexpected<Error>(Error(kind, std::move(message)));
}

} // namespace shop
