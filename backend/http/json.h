#pragma once

#include "core/result.h"
#include "request.h"

#include <QJsonObject>
#include <QJsonValue>

#include <optional>

namespace shop::http {

// The request body as a JSON object, or a 400 that says what is wrong with it.
Result<QJsonObject> jsonObject(const Request &request);

// Typed reads of one member that collect field errors instead of failing at the
// first: a handler reads every field, then reports all problems in one 422.
class JsonReader
{
public:
    explicit JsonReader(const QJsonObject &object) : m_object(object) {}

    bool has(const QString &key) const { return m_object.contains(key); }
    std::optional<QString> string(const QString &key, int maxLength = 10'000);
    std::optional<qint64> integer(const QString &key, qint64 min, qint64 max);
    std::optional<bool> boolean(const QString &key);
    // A money amount: a number (19.99), a decimal string ("19.99"), at most 2 decimals.
    std::optional<qint64> cents(const QString &key);
    // null or absent -> nullopt in `value`, with `present` telling which.
    std::optional<std::optional<qint64>> nullableInteger(const QString &key, qint64 min, qint64 max);

    void require(const QStringList &keys); // absent ones become MISSING_FIELDS
    void addError(const QString &field, const QString &message) { m_invalid.withField(field, message); }

    // MissingFields if any required one is absent, else Validation with every field
    // error, else ok.
    Status status() const;

private:
    const QJsonObject &m_object;
    Error m_missing{Error::Kind::MissingFields, QStringLiteral("Required fields are missing")};
    Error m_invalid{Error::Kind::Validation, QStringLiteral("Some fields need attention")};
};

} // namespace shop::http
