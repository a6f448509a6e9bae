#pragma once

#include "core/result.h"
#include "stripesignature.h"

#include <QByteArray>
#include <QString>

#include <chrono>
#include <optional>

namespace shop::db {
class Database;
}

namespace shop::payments {

// How one delivery ended; every one of these is a 2xx for Stripe.
struct WebhookOutcome
{
    enum class Kind {
        Processed, // first delivery of this event: its effect is committed
        Duplicate, // the event id was processed before (or by a concurrent delivery)
        Ignored,   // a type we do not act on, or nothing to act on; recorded all the same
    };
    Kind kind = Kind::Ignored;
    QString eventId;
    QString type;
    std::optional<qint64> orderId;
    QString outcome; // what stripe_events.outcome says ("paid", "ignored", ...)
};

// POST /api/webhook/stripe (DESIGN.md "Payments"): verifies the Stripe-Signature over
// the raw body, then applies the event exactly once. The event id goes into
// stripe_events in the same transaction as its effect (OrderService's building
// blocks on the locked order), so a delivery repeated any number of times, even at
// the same moment, takes effect once: a concurrent duplicate's INSERT waits for the
// first delivery's transaction and then finds the id (ON CONFLICT DO NOTHING), and
// is answered as a duplicate.
//
// Handled: payment_intent.succeeded (payment recorded, pending_payment -> paid),
// payment_intent.payment_failed and payment_intent.canceled (payment_status failed;
// never undoes a payment that succeeded, whatever order events arrive in), and
// charge.refunded (each refund recorded once, by its re_ id when the event lists
// them, else the growth of amount_refunded). Other types are recorded as ignored.
//
// An event for an order this database cannot see (yet: its transaction may not have
// committed) is an Unavailable error and is NOT recorded, so Stripe's retry is
// processed; after `missingOrderWindow` past the event's creation it is recorded as
// ignored instead, so a foreign event is not retried for days.
class StripeWebhook
{
public:
    struct Options
    {
        std::chrono::seconds tolerance = StripeSignature::DefaultTolerance;
        StripeSignature::Clock clock; // unix seconds; empty: the system clock
        std::chrono::seconds missingOrderWindow{3600};
    };

    StripeWebhook(db::Database &database, QByteArray secret, Options options);
    StripeWebhook(db::Database &database, QByteArray secret) : StripeWebhook(database, std::move(secret), Options{}) {}

    // Errors: InvalidRequest with code INVALID_SIGNATURE (400) for any signature
    // failure, INVALID_REQUEST (400) for a signed body that is not an event,
    // Unavailable (503, Stripe retries) for an order not visible yet, a database error
    // as it is. Nothing is recorded when it fails.
    Result<WebhookOutcome> process(const QByteArray &rawBody, const QByteArray &signatureHeader);

private:
    db::Database &m_database;
    StripeSignature m_signature;
    Options m_options;
};

} // namespace shop::payments
