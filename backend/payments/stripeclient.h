#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <utility>

namespace shop::payments {

// A PaymentIntent as Stripe answers it (the fields ShopDesk reads).
struct PaymentIntent
{
    QString id;           // pi_...
    qint64 amount = 0;    // smallest currency unit (cents)
    qint64 amountReceived = 0;
    QString currency;     // lower case, as Stripe writes it ("usd")
    QString status;       // requires_payment_method, processing, succeeded, canceled, ...
    QString clientSecret; // pi_..._secret_...: for the storefront only, never logged
    QList<std::pair<QString, QString>> metadata;

    QString metadataValue(const QString &key) const;
    static PaymentIntent fromJson(const QJsonObject &object);
};

struct Refund
{
    QString id;     // re_...
    qint64 amount = 0;
    QString status; // pending, requires_action, succeeded, failed, canceled
    QString paymentIntent;
};

using FormFields = QList<std::pair<QString, QString>>;

// Stripe's REST API (https://docs.stripe.com/api): form-encoded requests, JSON answers,
// Bearer secret key, an Idempotency-Key on every POST so a retry after a timeout
// creates nothing twice.
//
// Synchronous, for the worker pool and the order service (which calls refund() while
// it holds the order's row lock): one libcurl easy handle per call. DESIGN.md names
// QNetworkAccessManager, but QNAM is bound to its thread's event loop and is
// asynchronous; a worker thread would have to spin a nested QEventLoop per call
// (re-entrancy, a QNAM per thread, timeouts through timers). libcurl blocks the
// calling thread with its own connect and total timeouts, is already linked for SMTP,
// and is thread-safe with one handle per call (CURLOPT_NOSIGNAL).
class StripeClient
{
public:
    struct Options
    {
        QString apiBase = QStringLiteral("https://api.stripe.com"); // STRIPE_API_BASE
        QByteArray secretKey;      // sk_...; never logged, never in an Error
        QByteArray stripeVersion;  // Stripe-Version header; empty: the account's default
        int connectTimeoutMs = 5000;
        int timeoutMs = 10000;     // the whole call
    };

    explicit StripeClient(Options options);

    bool configured() const { return !m_options.secretKey.isEmpty(); }
    const Options &options() const { return m_options; }

    // POST /v1/payment_intents (amount in cents, currency lower-cased, metadata[k]=v).
    Result<PaymentIntent> createPaymentIntent(qint64 amountCents, const QString &currency,
                                              const FormFields &metadata, const QString &idempotencyKey);
    // GET /v1/payment_intents/{id}
    Result<PaymentIntent> retrievePaymentIntent(const QString &id);
    // POST /v1/refunds (payment_intent, amount, metadata[reason] and the caller's metadata).
    Result<Refund> createRefund(const QString &paymentIntent, qint64 amountCents, const QString &reason,
                                const FormFields &metadata, const QString &idempotencyKey);

    // application/x-www-form-urlencoded; keys keep their brackets (metadata[order_id]).
    static QByteArray formEncode(const FormFields &fields);
    // A Stripe error answer ({"error":{"type","code","message"}}) or a transport failure
    // as an Error: 429 and 5xx and no answer are Unavailable (retry), 401/403 Internal
    // (the shop's key is wrong), 404 NotFound, other 4xx Conflict with code
    // PAYMENT_PROVIDER_REFUSED. Secret keys are masked in the message.
    static Error errorFor(int httpStatus, const QByteArray &body, const QByteArray &secretKey);

private:
    Result<QJsonObject> call(const QByteArray &method, const QString &path, const QByteArray &form,
                             const QString &idempotencyKey);

    Options m_options;
};

} // namespace shop::payments
