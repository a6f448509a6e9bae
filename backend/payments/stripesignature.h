#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <chrono>
#include <functional>

namespace shop::payments {

// Stripe's webhook signature scheme: the `Stripe-Signature` header carries
// "t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=...][,v0=...]" where each v1 is
// HMAC-SHA256(endpoint secret, "<t>.<raw body>"). Several v1 values appear while a
// secret is being rolled; any one of them may match. Other schemes (v0) are ignored.
// The timestamp must be within the tolerance of now, either way, so a captured
// delivery cannot be replayed later.
class StripeSignature
{
public:
    enum class Check {
        Valid,
        NoSecret,         // the endpoint has no signing secret configured
        MissingHeader,
        Malformed,        // no t=, a t that is not a number, or a repeated t
        NoV1,             // no signature of the scheme we verify
        OutsideTolerance, // too old (a replay) or too far in the future
        Mismatch,         // no v1 matches the body under this secret
    };

    // Unix time in seconds; tests inject their own.
    using Clock = std::function<qint64()>;
    static constexpr std::chrono::seconds DefaultTolerance{300};

    explicit StripeSignature(QByteArray secret, std::chrono::seconds tolerance = DefaultTolerance,
                             Clock clock = {});

    Check verify(QByteArrayView payload, QByteArrayView header) const;

    // Lower-case hex HMAC-SHA256 over "<timestamp>.<payload>" (what goes after v1=).
    static QByteArray sign(QByteArrayView secret, qint64 timestamp, QByteArrayView payload);
    // A whole header value, "t=<timestamp>,v1=<signature>", as Stripe sends it.
    static QByteArray header(QByteArrayView secret, qint64 timestamp, QByteArrayView payload);

    // Text for the log and the 400 answer; says nothing about the expected value.
    static QString describe(Check check);

private:
    QByteArray m_secret;
    qint64 m_tolerance;
    Clock m_clock;
};

} // namespace shop::payments
