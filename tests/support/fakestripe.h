#pragma once

#include "rawhttp.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QMutex>
#include <QString>

#include <atomic>
#include <optional>
#include <thread>

namespace shop::test {

// A local stand-in for Stripe's REST API on 127.0.0.1 (its own thread, plain blocking
// sockets, one request per connection), speaking the wire format ShopDesk uses:
//   POST /v1/payment_intents   form: amount, currency, metadata[k], ...
//   GET  /v1/payment_intents/{id}
//   POST /v1/refunds           form: payment_intent, amount, metadata[k]
// Authorization must be "Bearer <secret key>" (401 otherwise). A repeated
// Idempotency-Key with the same body replays the first answer (Idempotent-Replayed:
// true); with another body it is a 400 idempotency_error, as Stripe does. Errors are
// Stripe-shaped: {"error":{"type","code","message","param"}}. Every request is recorded.
//
// It also plays Stripe's webhook side: event() builds an event object, deliver()
// POSTs it to the shop with a Stripe-Signature made with the webhook secret.
class FakeStripe
{
public:
    struct Recorded
    {
        QByteArray method;
        QByteArray path;
        QMap<QByteArray, QByteArray> headers; // names lower-case
        QByteArray body;
        QMap<QString, QString> form;          // the decoded form body
        int status = 0;                       // what the fake answered
    };

    explicit FakeStripe(QByteArray secretKey = "sk_test_fake_4242", QByteArray webhookSecret = "whsec_fake_test");
    ~FakeStripe();
    FakeStripe(const FakeStripe &) = delete;
    FakeStripe &operator=(const FakeStripe &) = delete;

    bool start();
    void stop();
    quint16 port() const { return m_port; }
    QString baseUrl() const;
    QByteArray secretKey() const { return m_secretKey; }
    QByteArray webhookSecret() const { return m_webhookSecret; }

    QList<Recorded> requests(const QByteArray &method = {}, const QByteArray &pathPrefix = {}) const;
    void clearRequests();
    std::optional<QJsonObject> intent(const QString &id) const;
    int intentCount() const;

    // The customer paid: the intent becomes succeeded with its amount received and a
    // charge (ch_...). Returns the intent object as a webhook carries it.
    QJsonObject succeed(const QString &intentId);
    // Payment attempt failed: status back to requires_payment_method, last_payment_error set.
    QJsonObject failPayment(const QString &intentId, const QString &message = QStringLiteral("Your card was declined."));
    QJsonObject cancel(const QString &intentId);
    // A refund made in the Stripe dashboard (not through the API by ShopDesk).
    QString refundInDashboard(const QString &intentId, qint64 amount);
    // The charge of a succeeded intent as charge.refunded carries it; `withRefunds`
    // includes the refunds list (API versions before 2022-11-15 did).
    QJsonObject charge(const QString &intentId, bool withRefunds = true) const;

    // {id: evt_..., object: "event", type, created, data: {object}, ...}
    QJsonObject event(const QString &type, const QJsonObject &object, qint64 created = 0);
    static QByteArray compact(const QJsonObject &object);
    // A Stripe-Signature header for `body` at `timestamp` (0: now) with this fake's secret.
    QByteArray signatureFor(const QByteArray &body, qint64 timestamp = 0) const;
    // POSTs the body to the shop's /api/webhook/stripe with this Stripe-Signature
    // (a null QByteArray: no header at all).
    static std::optional<RawResponse> post(quint16 shopPort, const QByteArray &body, const QByteArray &signature);
    std::optional<RawResponse> deliver(quint16 shopPort, const QJsonObject &event) const;

    // The next `count` API calls answer this status and Stripe error instead.
    void failNext(int status, const QString &type, const QString &code, const QString &message, int count = 1);

private:
    struct Answer
    {
        int status = 200;
        QJsonObject body;
        bool replayed = false;
    };
    void serve();
    void handle(int fd);
    Answer route(Recorded &request);
    Answer createIntent(const Recorded &request);
    Answer createRefund(const Recorded &request);
    static Answer stripeError(int status, const QString &type, const QString &code, const QString &message,
                              const QString &param = {});
    QString newId(const char *prefix);

    QByteArray m_secretKey;
    QByteArray m_webhookSecret;
    int m_listenFd = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::thread m_thread;

    mutable QMutex m_mutex;
    QList<Recorded> m_requests;
    QMap<QString, QJsonObject> m_intents;                  // pi_... -> intent
    QMap<QString, QList<QJsonObject>> m_refunds;           // pi_... -> refunds
    QMap<QByteArray, std::pair<QByteArray, Answer>> m_idempotency; // key -> (body, answer)
    QList<Answer> m_failures;
    int m_sequence = 0;
};

} // namespace shop::test
