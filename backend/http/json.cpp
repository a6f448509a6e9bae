#include "json.h"

#include "core/money.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

using namespace Qt::StringLiterals;

namespace shop::http {

Result<QJsonObject> jsonObject(const Request &request)
{
    if (request.body.trimmed().isEmpty())
        return fail(Error::invalid(u"The request needs a JSON body"_s));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(Error::invalid(u"The body is not valid JSON (%1 at offset %2)"_s.arg(parseError.errorString())
                                       .arg(parseError.offset)));
    if (!document.isObject())
        return fail(Error::invalid(u"The body must be a JSON object"_s));
    return document.object();
}

std::optional<QString> JsonReader::string(const QString &key, int maxLength)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined())
        return std::nullopt;
    if (!v.isString()) {
        m_invalid.withField(key, u"Must be text"_s);
        return std::nullopt;
    }
    if (v.toString().size() > maxLength) {
        m_invalid.withField(key, u"At most %1 characters"_s.arg(maxLength));
        return std::nullopt;
    }
    return v.toString();
}

std::optional<qint64> JsonReader::integer(const QString &key, qint64 min, qint64 max)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined())
        return std::nullopt;
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || !std::isfinite(d) || std::trunc(d) != d) {
        m_invalid.withField(key, u"Must be a whole number"_s);
        return std::nullopt;
    }
    if (d < double(min) || d > double(max)) {
        m_invalid.withField(key, u"Must be between %1 and %2"_s.arg(min).arg(max));
        return std::nullopt;
    }
    return qint64(d);
}

std::optional<bool> JsonReader::boolean(const QString &key)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined())
        return std::nullopt;
    if (!v.isBool()) {
        m_invalid.withField(key, u"Must be true or false"_s);
        return std::nullopt;
    }
    return v.toBool();
}

std::optional<qint64> JsonReader::cents(const QString &key)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined())
        return std::nullopt;
    Result<qint64> parsed = v.isDouble()   ? money::centsFromJsonNumber(v.toDouble())
                            : v.isString() ? money::parseCents(v.toString())
                                           : fail(Error(Error::Kind::Validation, u"Must be a number such as 19.99"_s));
    if (!parsed) {
        m_invalid.withField(key, parsed.error().message());
        return std::nullopt;
    }
    return *parsed;
}

std::optional<std::optional<qint64>> JsonReader::nullableInteger(const QString &key, qint64 min, qint64 max)
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined())
        return std::nullopt;
    if (v.isNull())
        return std::optional<qint64>();
    const auto value = integer(key, min, max);
    if (!value)
        return std::nullopt;
    return std::optional<qint64>(*value);
}

void JsonReader::require(const QStringList &keys)
{
    for (const QString &key : keys) {
        if (!m_object.contains(key) || m_object.value(key).isNull())
            m_missing.withField(key, u"Required"_s);
    }
}

Status JsonReader::status() const
{
    if (!m_missing.fields().isEmpty())
        return fail(m_missing);
    if (!m_invalid.fields().isEmpty())
        return fail(m_invalid);
    return {};
}

} // namespace shop::http
