#include "stripesignature.h"

#include <QDateTime>
#include <QList>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

using namespace Qt::StringLiterals;

namespace shop::payments {

namespace {

constexpr qsizetype HexDigestLength = 64; // SHA-256: 32 bytes

bool isDigits(QByteArrayView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

StripeSignature::StripeSignature(QByteArray secret, std::chrono::seconds tolerance, Clock clock)
    : m_secret(std::move(secret)), m_tolerance(tolerance.count()), m_clock(std::move(clock))
{
    if (!m_clock)
        m_clock = [] { return QDateTime::currentSecsSinceEpoch(); };
}

QByteArray StripeSignature::sign(QByteArrayView secret, qint64 timestamp, QByteArrayView payload)
{
    // The signed text is the timestamp as sent, a dot, and the body byte for byte:
    // never a re-serialised JSON document, whose bytes could differ.
    QByteArray message = QByteArray::number(timestamp);
    message += '.';
    message.append(payload.data(), payload.size());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret.data(), int(secret.size()),
              reinterpret_cast<const unsigned char *>(message.constData()), size_t(message.size()), digest, &length))
        return {};
    return QByteArray(reinterpret_cast<const char *>(digest), length).toHex();
}

QByteArray StripeSignature::header(QByteArrayView secret, qint64 timestamp, QByteArrayView payload)
{
    return "t=" + QByteArray::number(timestamp) + ",v1=" + sign(secret, timestamp, payload);
}

StripeSignature::Check StripeSignature::verify(QByteArrayView payload, QByteArrayView header) const
{
    if (m_secret.isEmpty())
        return Check::NoSecret;
    const QByteArray value = header.toByteArray().trimmed();
    if (value.isEmpty())
        return Check::MissingHeader;

    std::optional<qint64> timestamp;
    QList<QByteArray> candidates;
    for (const QByteArray &item : value.split(',')) {
        const qsizetype eq = item.indexOf('=');
        if (eq <= 0)
            continue; // not key=value: nothing we verify
        const QByteArray key = item.left(eq).trimmed();
        const QByteArray text = item.mid(eq + 1).trimmed();
        if (key == "t") {
            if (timestamp || !isDigits(text) || text.size() > 15)
                return Check::Malformed;
            timestamp = text.toLongLong();
        } else if (key == "v1") {
            candidates.append(text.toLower());
        }
        // v0 (Stripe's test-mode scheme) and anything newer: ignored, as Stripe advises.
    }
    if (!timestamp)
        return Check::Malformed;
    if (candidates.isEmpty())
        return Check::NoV1;

    const QByteArray expected = sign(m_secret, *timestamp, payload);
    if (expected.size() != HexDigestLength)
        return Check::Mismatch;
    // Constant time per candidate, and every candidate compared: how long this takes
    // says nothing about how close a forged value came.
    bool matched = false;
    for (const QByteArray &candidate : std::as_const(candidates)) {
        const bool equal = candidate.size() == HexDigestLength
                           && CRYPTO_memcmp(candidate.constData(), expected.constData(), size_t(HexDigestLength)) == 0;
        matched = matched || equal;
    }
    if (!matched)
        return Check::Mismatch;
    if (std::llabs(m_clock() - *timestamp) > m_tolerance)
        return Check::OutsideTolerance;
    return Check::Valid;
}

QString StripeSignature::describe(Check check)
{
    switch (check) {
    case Check::Valid:
        return u"valid"_s;
    case Check::NoSecret:
        return u"no webhook signing secret is configured (STRIPE_WEBHOOK_SECRET)"_s;
    case Check::MissingHeader:
        return u"the Stripe-Signature header is missing"_s;
    case Check::Malformed:
        return u"the Stripe-Signature header is malformed"_s;
    case Check::NoV1:
        return u"the Stripe-Signature header has no v1 signature"_s;
    case Check::OutsideTolerance:
        return u"the Stripe-Signature timestamp is outside the tolerance"_s;
    case Check::Mismatch:
        return u"no signature in the Stripe-Signature header matches the body"_s;
    }
    return u"invalid signature"_s;
}

} // namespace shop::payments
