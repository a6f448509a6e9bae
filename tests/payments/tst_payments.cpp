// Stripe payments end to end: a whole running shop (real PostgreSQL, real HTTP
// server) whose Stripe client talks to a local fake Stripe (tests/support/fakestripe),
// which also delivers signed webhooks. Create-intent, webhooks (exactly once, out of
// order, before the order is visible), refunds both ways, errors, and the manual shop.

#include "auth/authservice.h"
#include "db/database.h"
#include "fakestripe.h"
#include "http/server.h"
#include "orders/cartservice.h"
#include "orders/orderservice.h"
#include "payments/provider.h"
#include "payments/stripeclient.h"
#include "payments/stripesignature.h"
#include "rawhttp.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <barrier>
#include <thread>

using namespace Qt::StringLiterals;
using namespace shop;
using test::FakeStripe;
using test::rawRequest;
using test::RawResponse;

namespace {

struct Customer
{
    qint64 id = 0;
    QByteArray token;
};

QJsonObject json(const std::optional<RawResponse> &r)
{
    return QJsonDocument::fromJson(r->body).object();
}

QJsonObject data(const std::optional<RawResponse> &r)
{
    return json(r).value(u"data"_s).toObject();
}

QString code(const std::optional<RawResponse> &r)
{
    return json(r).value(u"error"_s).toObject().value(u"code"_s).toString();
}

} // namespace

class TestPayments : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    FakeStripe m_stripe;
    std::unique_ptr<Runtime> m_runtime;
    int m_users = 0;
    int m_products = 0;

    quint16 port() const { return m_runtime->http()->port(); }

    static std::optional<RawResponse> call(quint16 port, const QByteArray &method, const QByteArray &path,
                                           const QByteArray &body = {}, const QByteArray &token = {})
    {
        QByteArray request = method + ' ' + path + " HTTP/1.1\r\nHost: shop.test\r\n";
        if (!token.isEmpty())
            request += "Authorization: Bearer " + token + "\r\n";
        if (method == "POST")
            request += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
        request += "\r\n" + body;
        return rawRequest(port, request);
    }

    std::optional<RawResponse> createIntent(const Customer &customer, qint64 orderId)
    {
        return call(port(), "POST", "/api/payment/create-intent",
                    FakeStripe::compact(QJsonObject{{u"order_id"_s, orderId}}), customer.token);
    }

    qint64 scalar(const QString &sql, const QList<std::pair<QString, QVariant>> &binds = {})
    {
        auto conn = m_runtime->database()->acquire();
        if (!conn)
            return -1;
        auto q = conn->query(sql);
        for (const auto &[name, value] : binds)
            q.bind(name, value);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    QString text(const QString &sql, const QList<std::pair<QString, QVariant>> &binds = {})
    {
        auto conn = m_runtime->database()->acquire();
        if (!conn)
            return u"<no connection>"_s;
        auto q = conn->query(sql);
        for (const auto &[name, value] : binds)
            q.bind(name, value);
        if (!q.exec() || !q.next())
            return u"<no row>"_s;
        return q.value(0).toString();
    }

    QString orderField(qint64 orderId, const QString &column)
    {
        return text(u"SELECT coalesce(%1::text, '') FROM orders WHERE id = :id"_s.arg(column), {{u":id"_s, orderId}});
    }

    Customer customer()
    {
        const QString email = u"shopper%1@example.com"_s.arg(++m_users);
        auto session = m_runtime->auth()->registerCustomer(email, u"correct horse battery"_s, u"Pat"_s, u"Doe"_s, {});
        if (!session)
            qFatal("register failed: %s", qPrintable(session.error().message()));
        return Customer{session->user.id, session->accessToken.toLatin1()};
    }

    // A real checkout: a product, the customer's cart, OrderService::checkout.
    qint64 placeOrder(const Customer &c, qint64 priceCents = 1250, int quantity = 2)
    {
        auto conn = m_runtime->database()->acquire();
        if (!conn)
            qFatal("no connection");
        auto product = conn->query(u"INSERT INTO products (sku, name, price_cents, stock) VALUES (:sku, :name, :price, 100)"
                                   " RETURNING id"_s);
        product.bind(u":sku"_s, u"PAY-%1"_s.arg(++m_products));
        product.bind(u":name"_s, u"Widget %1"_s.arg(m_products));
        product.bind(u":price"_s, priceCents);
        if (!product.exec() || !product.next())
            qFatal("product insert failed");
        const qint64 productId = product.value(0).toLongLong();
        auto cart = m_runtime->carts()->add(orders::CartOwner{c.id, {}}, productId, quantity);
        if (!cart)
            qFatal("cart add failed: %s", qPrintable(cart.error().message()));
        orders::CheckoutInput input;
        input.address = {u"Pat Doe"_s, u"1 Main St"_s, {}, u"Springfield"_s, {}, u"12345"_s, u"US"_s, {}};
        auto order = m_runtime->orders()->checkout(c.id, input, QString());
        if (!order)
            qFatal("checkout failed: %s", qPrintable(order.error().message()));
        return order->id;
    }

    // An order with a PaymentIntent made through the route; returns the intent id.
    QString intentFor(const Customer &c, qint64 orderId)
    {
        auto r = createIntent(c, orderId);
        if (!r || r->status != 200)
            qFatal("create-intent failed: %s", r ? r->body.constData() : "no response");
        return data(r).value(u"payment_intent_id"_s).toString();
    }

    // Paid through the webhook; returns the intent id.
    QString paidOrder(const Customer &c, qint64 orderId)
    {
        const QString pi = intentFor(c, orderId);
        auto r = m_stripe.deliver(port(), m_stripe.event(u"payment_intent.succeeded"_s, m_stripe.succeed(pi)));
        if (!r || r->status != 200)
            qFatal("succeeded webhook failed: %s", r ? r->body.constData() : "no response");
        return pi;
    }

    Config baseConfig(const QString &database)
    {
        Config config;
        config.dataDir = QDir::tempPath() + u"/shopdesk-payments-"_s + database + u'-'
                         + QString::number(QCoreApplication::applicationPid());
        config.jwtSecret = u"a-test-secret-that-is-longer-than-32-bytes"_s;
        config.databaseUrl = m_cluster.createDatabase(database).toUri();
        config.port = 0;
        config.ioThreads = 2;
        config.workerThreads = 4;
        config.accessLog = false;
        config.bcryptCost = 10;
        return config;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        QVERIFY(m_stripe.start());
        Config config = baseConfig(u"payments"_s);
        config.stripeSecretKey = QString::fromLatin1(m_stripe.secretKey());
        config.stripeWebhookSecret = QString::fromLatin1(m_stripe.webhookSecret());
        config.stripePublishableKey = u"pk_test_fake_4242"_s;
        config.stripeApiBase = m_stripe.baseUrl();
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        QCOMPARE(m_runtime->paymentProvider()->name(), u"stripe"_s);
    }

    void cleanupTestCase()
    {
        m_runtime.reset();
        m_stripe.stop();
    }

    void configNamesStripe()
    {
        auto r = call(port(), "GET", "/api/payment/config");
        QCOMPARE(r->status, 200);
        QCOMPARE(data(r).value(u"provider"_s).toString(), u"stripe"_s);
        QCOMPARE(data(r).value(u"publishable_key"_s).toString(), u"pk_test_fake_4242"_s);
        QVERIFY(!r->body.contains("sk_test"));
        QVERIFY(!r->body.contains("whsec"));
        // The storefront may load Stripe.js and its frames, and nothing else more.
        const QByteArray csp = r->header("content-security-policy");
        QVERIFY(csp.contains("script-src 'self' https://js.stripe.com https://*.js.stripe.com;"));
        QVERIFY(csp.contains("frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;"));
        QVERIFY(r->header("permissions-policy").contains("payment=(self \"https://js.stripe.com\")"));
        QVERIFY(csp.contains("connect-src 'self' https://api.stripe.com;"));
    }

    void createIntentSendsTheOrderToStripe()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c, 1250, 2);
        QCOMPARE(orderField(orderId, u"payment_provider"_s), u"stripe"_s);
        m_stripe.clearRequests();

        auto r = createIntent(c, orderId);
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->header("cache-control"), QByteArray("no-store"));
        const QJsonObject d = data(r);
        const QString pi = d.value(u"payment_intent_id"_s).toString();
        QVERIFY(pi.startsWith("pi_"_L1));
        QVERIFY(d.value(u"client_secret"_s).toString().startsWith(pi + u"_secret_"_s));
        QCOMPARE(d.value(u"amount"_s).toDouble(), 25.0); // seed-compatible: currency units
        QCOMPARE(d.value(u"amount_cents"_s).toInteger(), 2500);
        QCOMPARE(d.value(u"currency"_s).toString(), u"USD"_s);

        // What Stripe received: form-encoded, cents, lower-case currency, metadata, key.
        const auto posts = m_stripe.requests("POST", "/v1/payment_intents");
        QCOMPARE(posts.size(), 1);
        const FakeStripe::Recorded &sent = posts.first();
        QCOMPARE(sent.status, 200);
        QCOMPARE(sent.headers.value("content-type"), QByteArray("application/x-www-form-urlencoded"));
        QCOMPARE(sent.headers.value("authorization"), "Bearer " + m_stripe.secretKey());
        QVERIFY(!sent.headers.value("idempotency-key").isEmpty());
        QCOMPARE(sent.form.value(u"amount"_s), u"2500"_s);
        QCOMPARE(sent.form.value(u"currency"_s), u"usd"_s);
        QCOMPARE(sent.form.value(u"metadata[order_id]"_s), QString::number(orderId));
        QCOMPARE(sent.form.value(u"metadata[user_id]"_s), QString::number(c.id));
        QVERIFY(sent.body.contains("metadata[order_id]=")); // brackets as Stripe documents them
        const auto stored = m_stripe.intent(pi);
        QVERIFY(stored);
        QCOMPARE(stored->value(u"amount"_s).toInteger(), 2500);
        QCOMPARE(stored->value(u"metadata"_s).toObject().value(u"order_id"_s).toString(), QString::number(orderId));

        QCOMPARE(orderField(orderId, u"payment_intent_id"_s), pi);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"pending"_s);

        // A repeat reuses the intent: retrieved for its client secret, nothing created.
        const int intents = m_stripe.intentCount();
        auto again = createIntent(c, orderId);
        QCOMPARE(again->status, 200);
        QCOMPARE(data(again).value(u"payment_intent_id"_s).toString(), pi);
        QCOMPARE(data(again).value(u"client_secret"_s).toString(), d.value(u"client_secret"_s).toString());
        QCOMPARE(m_stripe.intentCount(), intents);
        QCOMPARE(m_stripe.requests("POST", "/v1/payment_intents").size(), 1);
        QCOMPARE(m_stripe.requests("GET", "/v1/payment_intents/" + pi.toLatin1()).size(), 1);
    }

    void createIntentRefusals()
    {
        const Customer owner = customer();
        const Customer other = customer();
        const qint64 orderId = placeOrder(owner);
        const QByteArray body = FakeStripe::compact(QJsonObject{{u"order_id"_s, orderId}});

        auto anonymous = call(port(), "POST", "/api/payment/create-intent", body);
        QCOMPARE(anonymous->status, 401);
        auto badToken = call(port(), "POST", "/api/payment/create-intent", body, "not-a-token");
        QCOMPARE(badToken->status, 401);
        auto someoneElse = createIntent(other, orderId);
        QCOMPARE(someoneElse->status, 403);
        QCOMPARE(code(someoneElse), u"FORBIDDEN"_s);
        auto unknown = createIntent(owner, orderId + 100000);
        QCOMPARE(unknown->status, 404);
        auto missing = call(port(), "POST", "/api/payment/create-intent", "{}", owner.token);
        QCOMPARE(missing->status, 400);
        QCOMPARE(code(missing), u"MISSING_FIELDS"_s);
        auto notJson = call(port(), "POST", "/api/payment/create-intent", "order=1", owner.token);
        QCOMPARE(notJson->status, 400);
        // The lab's clients may send the id as text.
        auto asText = call(port(), "POST", "/api/payment/create-intent",
                           FakeStripe::compact(QJsonObject{{u"order_id"_s, QString::number(orderId)}}), owner.token);
        QCOMPARE(asText->status, 200);

        // A cancelled order cannot be paid.
        auto cancelled = m_runtime->orders()->cancelByCustomer(owner.id, placeOrder(owner), QString());
        QVERIFY2(cancelled, cancelled ? "" : qPrintable(cancelled.error().message()));
        auto notPayable = createIntent(owner, cancelled->id);
        QCOMPARE(notPayable->status, 409);
        QCOMPARE(code(notPayable), u"ORDER_NOT_PAYABLE"_s);
    }

    void succeededWebhookMarksPaid()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c, 1999, 1);
        const QString pi = intentFor(c, orderId);

        const QJsonObject event = m_stripe.event(u"payment_intent.succeeded"_s, m_stripe.succeed(pi));
        auto r = m_stripe.deliver(port(), event);
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(data(r).value(u"outcome"_s).toString(), u"paid"_s);

        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"paid"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id AND kind = 'payment' AND provider = 'stripe'"
                        " AND provider_ref = :pi AND amount_cents = 1999 AND status = 'succeeded'"_s,
                        {{u":id"_s, orderId}, {u":pi"_s, pi}}),
                 qint64(1));
        QCOMPARE(text(u"SELECT outcome FROM stripe_events WHERE event_id = :id"_s,
                      {{u":id"_s, event.value(u"id"_s).toString()}}),
                 u"paid"_s);
        QCOMPARE(scalar(u"SELECT order_id FROM stripe_events WHERE event_id = :id"_s,
                        {{u":id"_s, event.value(u"id"_s).toString()}}),
                 orderId);

        // Paid now: another intent is refused.
        auto again = createIntent(c, orderId);
        QCOMPARE(again->status, 409);
        QCOMPARE(code(again), u"ALREADY_PAID"_s);
    }

    // The same delivery five times at once: one effect, five 2xx answers.
    void sameEventFiveTimesConcurrently()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);
        const QString pi = intentFor(c, orderId);
        const QJsonObject event = m_stripe.event(u"payment_intent.succeeded"_s, m_stripe.succeed(pi));
        const QByteArray body = FakeStripe::compact(event);
        const QByteArray signature = m_stripe.signatureFor(body);

        constexpr int Deliveries = 5;
        std::barrier start(Deliveries);
        std::vector<std::optional<RawResponse>> answers(Deliveries);
        std::vector<std::thread> threads;
        const quint16 shop = port();
        for (int i = 0; i < Deliveries; ++i) {
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                answers[i] = FakeStripe::post(shop, body, signature);
            });
        }
        for (std::thread &t : threads)
            t.join();

        int processed = 0;
        int duplicates = 0;
        for (const auto &a : answers) {
            QVERIFY(a);
            QVERIFY2(a->status >= 200 && a->status < 300, a->body.constData());
            if (data(a).value(u"duplicate"_s).toBool())
                ++duplicates;
            else if (data(a).value(u"outcome"_s).toString() == "paid"_L1)
                ++processed;
        }
        QCOMPARE(processed, 1);
        QCOMPARE(duplicates, Deliveries - 1);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id"_s, {{u":id"_s, orderId}}), qint64(1));
        QCOMPARE(scalar(u"SELECT count(*) FROM order_events WHERE order_id = :id AND to_status = 'paid'"_s,
                        {{u":id"_s, orderId}}),
                 qint64(1));
        QCOMPARE(scalar(u"SELECT count(*) FROM stripe_events WHERE event_id = :id"_s,
                        {{u":id"_s, event.value(u"id"_s).toString()}}),
                 qint64(1));
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);

        // And once more later: still a 2xx, still one payment.
        auto late = FakeStripe::post(shop, body, m_stripe.signatureFor(body));
        QCOMPARE(late->status, 200);
        QVERIFY(data(late).value(u"duplicate"_s).toBool());
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id"_s, {{u":id"_s, orderId}}), qint64(1));
    }

    void outOfOrderFailureKeepsPaid()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);
        const QString pi = intentFor(c, orderId);
        // Stripe made the failure first, but it arrives after the success.
        const QJsonObject failed = m_stripe.event(u"payment_intent.payment_failed"_s, m_stripe.failPayment(pi),
                                                  QDateTime::currentSecsSinceEpoch() - 60);
        QCOMPARE(m_stripe.deliver(port(), m_stripe.event(u"payment_intent.succeeded"_s, m_stripe.succeed(pi)))->status,
                 200);
        auto late = m_stripe.deliver(port(), failed);
        QCOMPARE(late->status, 200);
        QVERIFY(data(late).value(u"outcome"_s).toString().startsWith("no change"_L1));
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"paid"_s);

        QJsonObject cancelledIntent = *m_stripe.intent(pi);
        cancelledIntent.insert(u"status"_s, u"canceled"_s);
        auto lateCancel = m_stripe.deliver(port(), m_stripe.event(u"payment_intent.canceled"_s, cancelledIntent));
        QCOMPARE(lateCancel->status, 200);
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"paid"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id AND status = 'failed'"_s,
                        {{u":id"_s, orderId}}),
                 qint64(0));
    }

    void failureThenSuccess()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);
        const QString pi = intentFor(c, orderId);
        auto failed = m_stripe.deliver(port(), m_stripe.event(u"payment_intent.payment_failed"_s,
                                                              m_stripe.failPayment(pi, u"Your card was declined."_s)));
        QCOMPARE(failed->status, 200);
        QCOMPARE(data(failed).value(u"outcome"_s).toString(), u"payment failed"_s);
        QCOMPARE(orderField(orderId, u"status"_s), u"pending_payment"_s);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"failed"_s);
        QVERIFY(text(u"SELECT reason FROM payments WHERE order_id = :id AND status = 'failed'"_s, {{u":id"_s, orderId}})
                    .contains("declined"_L1));

        // The shopper tries again with the same intent: pending again, then paid.
        auto retry = createIntent(c, orderId);
        QCOMPARE(retry->status, 200);
        QCOMPARE(data(retry).value(u"payment_intent_id"_s).toString(), pi);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"pending"_s);
        QCOMPARE(m_stripe.deliver(port(), m_stripe.event(u"payment_intent.succeeded"_s, m_stripe.succeed(pi)))->status,
                 200);
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
    }

    void canceledIntentIsReplaced()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);
        const QString first = intentFor(c, orderId);
        auto cancel = m_stripe.deliver(port(), m_stripe.event(u"payment_intent.canceled"_s, m_stripe.cancel(first)));
        QCOMPARE(cancel->status, 200);
        QCOMPARE(orderField(orderId, u"status"_s), u"pending_payment"_s);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"failed"_s);

        m_stripe.clearRequests();
        auto r = createIntent(c, orderId);
        QCOMPARE(r->status, 200);
        const QString second = data(r).value(u"payment_intent_id"_s).toString();
        QVERIFY(second.startsWith("pi_"_L1));
        QVERIFY(second != first);
        QCOMPARE(orderField(orderId, u"payment_intent_id"_s), second);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"pending"_s);
        const auto posts = m_stripe.requests("POST", "/v1/payment_intents");
        QCOMPARE(posts.size(), 1);
        QVERIFY(posts.first().headers.value("idempotency-key").contains(first.toLatin1()));
    }

    // The webhook can beat the order's commit (or a replica's view): a retryable 503,
    // nothing recorded, and the retry is processed.
    void eventBeforeTheOrderIsVisible()
    {
        const Customer c = customer();
        auto conn = m_runtime->database()->acquire();
        QVERIFY(conn);
        db::Transaction tx(*conn);
        QVERIFY(tx.begin());
        auto insert = conn->query(u"INSERT INTO orders (user_id, currency, subtotal_cents, total_cents, email,"
                                  " payment_provider, expires_at) VALUES (:user, 'USD', 1500, 1500, :email, 'stripe',"
                                  " now() + interval '1 day') RETURNING id"_s);
        insert.bind(u":user"_s, c.id);
        insert.bind(u":email"_s, u"invisible@example.com"_s);
        QVERIFY(insert.exec());
        QVERIFY(insert.next());
        const qint64 orderId = insert.value(0).toLongLong();

        const QJsonObject intent{
            {u"id"_s, u"pi_invisible_%1"_s.arg(orderId)}, {u"object"_s, u"payment_intent"_s},
            {u"amount"_s, 1500}, {u"amount_received"_s, 1500}, {u"currency"_s, u"usd"_s},
            {u"status"_s, u"succeeded"_s},
            {u"metadata"_s, QJsonObject{{u"order_id"_s, QString::number(orderId)}, {u"user_id"_s, QString::number(c.id)}}},
        };
        const QJsonObject event = m_stripe.event(u"payment_intent.succeeded"_s, intent);
        const QString eventId = event.value(u"id"_s).toString();

        auto early = m_stripe.deliver(port(), event);
        QVERIFY(early);
        QCOMPARE(early->status, 503);
        QCOMPARE(code(early), u"ORDER_NOT_READY"_s);
        QVERIFY(!early->header("retry-after").isEmpty());
        QCOMPARE(scalar(u"SELECT count(*) FROM stripe_events WHERE event_id = :id"_s, {{u":id"_s, eventId}}), qint64(0));

        QVERIFY(tx.commit());
        auto retry = m_stripe.deliver(port(), event); // Stripe's retry: same event, fresh signature
        QCOMPARE(retry->status, 200);
        QCOMPARE(data(retry).value(u"outcome"_s).toString(), u"paid"_s);
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
        QCOMPARE(orderField(orderId, u"payment_intent_id"_s), intent.value(u"id"_s).toString());
        QCOMPARE(scalar(u"SELECT count(*) FROM stripe_events WHERE event_id = :id"_s, {{u":id"_s, eventId}}), qint64(1));
    }

    void chargeRefundedMarksRefunded()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c, 1250, 2);
        const QString pi = paidOrder(c, orderId);

        const QString refundId = m_stripe.refundInDashboard(pi, 2500);
        auto r = m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, m_stripe.charge(pi, true)));
        QCOMPARE(r->status, 200);
        QCOMPARE(orderField(orderId, u"status"_s), u"refunded"_s);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"refunded"_s);
        QCOMPARE(orderField(orderId, u"refunded_cents"_s), u"2500"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id AND kind = 'refund' AND provider_ref = :re"_s,
                        {{u":id"_s, orderId}, {u":re"_s, refundId}}),
                 qint64(1));

        // The same facts in another event (Stripe sends charge.refunded per refund):
        // nothing more is recorded.
        auto again = m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, m_stripe.charge(pi, true)));
        QCOMPARE(again->status, 200);
        QCOMPARE(data(again).value(u"outcome"_s).toString(), u"refund already recorded"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id AND kind = 'refund'"_s,
                        {{u":id"_s, orderId}}),
                 qint64(1));
    }

    // API versions since 2022-11-15 leave the refunds list out of the charge.
    void chargeRefundedWithoutTheList()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c, 1000, 3);
        const QString pi = paidOrder(c, orderId);
        m_stripe.refundInDashboard(pi, 500);
        QCOMPARE(m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, m_stripe.charge(pi, false)))->status, 200);
        QCOMPARE(orderField(orderId, u"payment_status"_s), u"partially_refunded"_s);
        QCOMPARE(orderField(orderId, u"refunded_cents"_s), u"500"_s);
        // An older event arriving late (amount_refunded smaller than recorded): no change.
        m_stripe.refundInDashboard(pi, 700);
        const QJsonObject newer = m_stripe.charge(pi, false);
        QJsonObject older = newer;
        older.insert(u"amount_refunded"_s, 500);
        QCOMPARE(m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, newer))->status, 200);
        QCOMPARE(m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, older))->status, 200);
        QCOMPARE(orderField(orderId, u"refunded_cents"_s), u"1200"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id AND kind = 'refund'"_s,
                        {{u":id"_s, orderId}}),
                 qint64(2));
    }

    void adminRefundGoesThroughStripe()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c, 1250, 2);
        const QString pi = paidOrder(c, orderId);
        const Actor admin{std::nullopt, u"admin@shop.test"_s, u"test"_s};
        m_stripe.clearRequests();

        auto refunded = m_runtime->orders()->refund(orderId, 1000, u"Damaged in transit"_s, admin);
        QVERIFY2(refunded, refunded ? "" : qPrintable(refunded.error().message()));
        QCOMPARE(refunded->refundedCents, qint64(1000));
        QCOMPARE(refunded->paymentStatus, u"partially_refunded"_s);
        const auto posts = m_stripe.requests("POST", "/v1/refunds");
        QCOMPARE(posts.size(), 1);
        const FakeStripe::Recorded &sent = posts.first();
        QCOMPARE(sent.status, 200);
        QCOMPARE(sent.form.value(u"payment_intent"_s), pi);
        QCOMPARE(sent.form.value(u"amount"_s), u"1000"_s);
        QCOMPARE(sent.form.value(u"metadata[reason]"_s), u"Damaged in transit"_s);
        QCOMPARE(sent.form.value(u"metadata[order_id]"_s), QString::number(orderId));
        QVERIFY(sent.headers.value("idempotency-key").contains("refund-"));
        const QString refundId = text(u"SELECT provider_ref FROM payments WHERE order_id = :id AND kind = 'refund'"_s,
                                      {{u":id"_s, orderId}});
        QVERIFY(refundId.startsWith("re_"_L1));

        // Stripe's charge.refunded for that same refund changes nothing.
        auto echo = m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, m_stripe.charge(pi, true)));
        QCOMPARE(echo->status, 200);
        QCOMPARE(orderField(orderId, u"refunded_cents"_s), u"1000"_s);

        // Stripe refuses: a 409 with Stripe's reason, nothing recorded, no key leaked.
        m_stripe.failNext(400, u"invalid_request_error"_s, u"amount_too_large"_s,
                          u"Refund amount is greater than unrefunded amount on charge"_s);
        auto refused = m_runtime->orders()->refund(orderId, 500, u"Goodwill"_s, admin);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind(), Error::Kind::Conflict);
        QCOMPARE(refused.error().code(), u"PAYMENT_PROVIDER_REFUSED"_s);
        QVERIFY(refused.error().message().contains("amount_too_large"_L1));
        QCOMPARE(orderField(orderId, u"refunded_cents"_s), u"1000"_s);

        // The rest, then the webhook for it: the order is refunded once.
        auto rest = m_runtime->orders()->refund(orderId, 1500, u"Returned"_s, admin);
        QVERIFY2(rest, rest ? "" : qPrintable(rest.error().message()));
        QCOMPARE(rest->status, u"refunded"_s);
        auto last = m_stripe.deliver(port(), m_stripe.event(u"charge.refunded"_s, m_stripe.charge(pi, true)));
        QCOMPARE(last->status, 200);
        QCOMPARE(data(last).value(u"outcome"_s).toString(), u"refund already recorded"_s);
        QCOMPARE(orderField(orderId, u"refunded_cents"_s), u"2500"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id AND kind = 'refund'"_s,
                        {{u":id"_s, orderId}}),
                 qint64(2));
    }

    void stripeErrorsAreMapped()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);

        m_stripe.failNext(500, u"api_error"_s, {}, u"Something went wrong on Stripe's end."_s);
        auto down = createIntent(c, orderId);
        QCOMPARE(down->status, 503);
        QCOMPARE(code(down), u"PAYMENT_PROVIDER_UNAVAILABLE"_s);
        QVERIFY(!down->header("retry-after").isEmpty());

        m_stripe.failNext(401, u"invalid_request_error"_s, {},
                          u"Invalid API Key provided: %1"_s.arg(QString::fromLatin1(m_stripe.secretKey())));
        auto badKey = createIntent(c, orderId);
        QCOMPARE(badKey->status, 500);
        QCOMPARE(code(badKey), u"PAYMENT_PROVIDER_MISCONFIGURED"_s);
        QVERIFY(!badKey->body.contains("sk_"));

        // Nothing was stored; the next attempt works.
        QCOMPARE(orderField(orderId, u"payment_intent_id"_s), QString());
        QCOMPARE(createIntent(c, orderId)->status, 200);

        // The error mapping itself masks any key Stripe quotes back.
        const Error e = payments::StripeClient::errorFor(
            400, R"({"error":{"type":"invalid_request_error","message":"Bad key sk_live_abcdef123 here"}})",
            "sk_live_abcdef123");
        QVERIFY(!e.message().contains("abcdef123"_L1));
    }

    // Stripe says the intent already succeeded (the webhook is late): create-intent
    // records the payment and answers ALREADY_PAID.
    void createIntentReconcilesASucceededIntent()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);
        const QString pi = intentFor(c, orderId);
        m_stripe.succeed(pi);
        auto r = createIntent(c, orderId);
        QCOMPARE(r->status, 409);
        QCOMPARE(code(r), u"ALREADY_PAID"_s);
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
        // The webhook then arrives: processed, no second payment.
        auto late = m_stripe.deliver(port(), m_stripe.event(u"payment_intent.succeeded"_s, *m_stripe.intent(pi)));
        QCOMPARE(late->status, 200);
        QCOMPARE(data(late).value(u"outcome"_s).toString(), u"payment already recorded"_s);
        QCOMPARE(scalar(u"SELECT count(*) FROM payments WHERE order_id = :id"_s, {{u":id"_s, orderId}}), qint64(1));
    }

    void ignoredTypesAreAcknowledged()
    {
        const QJsonObject event = m_stripe.event(u"customer.created"_s,
                                                 QJsonObject{{u"id"_s, u"cus_123"_s}, {u"object"_s, u"customer"_s}});
        auto r = m_stripe.deliver(port(), event);
        QCOMPARE(r->status, 200);
        QCOMPARE(data(r).value(u"outcome"_s).toString(), u"ignored"_s);
        QCOMPARE(text(u"SELECT outcome FROM stripe_events WHERE event_id = :id"_s,
                      {{u":id"_s, event.value(u"id"_s).toString()}}),
                 u"ignored"_s);
        // An intent that is not a ShopDesk order's (no metadata, unknown id): ignored too.
        auto foreign = m_stripe.deliver(
            port(), m_stripe.event(u"payment_intent.succeeded"_s,
                                   QJsonObject{{u"id"_s, u"pi_elsewhere"_s}, {u"object"_s, u"payment_intent"_s},
                                               {u"amount"_s, 100}, {u"currency"_s, u"usd"_s}}));
        QCOMPARE(foreign->status, 200);
        QVERIFY(data(foreign).value(u"outcome"_s).toString().startsWith("ignored"_L1));
    }

    void badSignaturesAre400()
    {
        const Customer c = customer();
        const qint64 orderId = placeOrder(c);
        const QString pi = intentFor(c, orderId);
        const QJsonObject event = m_stripe.event(u"payment_intent.succeeded"_s, m_stripe.succeed(pi));
        const QByteArray body = FakeStripe::compact(event);
        QByteArray tampered = body;
        tampered.replace("\"amount_received\":2500", "\"amount_received\":1");
        QVERIFY(tampered != body);
        const qint64 now = QDateTime::currentSecsSinceEpoch();

        const QList<std::pair<QByteArray, QByteArray>> cases = {
            {body, QByteArray()},                                                    // no header
            {body, "t=" + QByteArray::number(now)},                                  // no v1
            {tampered, m_stripe.signatureFor(body)},                                 // body changed
            {body, payments::StripeSignature::header("whsec_wrong", now, body)},    // wrong secret
            {body, m_stripe.signatureFor(body, now - 3600)},                         // an hour old
        };
        for (const auto &[payload, signature] : cases) {
            auto r = FakeStripe::post(port(), payload, signature);
            QVERIFY(r);
            QCOMPARE(r->status, 400);
            QCOMPARE(json(r).value(u"success"_s).toBool(true), false);
            QCOMPARE(code(r), u"INVALID_SIGNATURE"_s);
        }
        QCOMPARE(scalar(u"SELECT count(*) FROM stripe_events WHERE event_id = :id"_s,
                        {{u":id"_s, event.value(u"id"_s).toString()}}),
                 qint64(0));
        QCOMPARE(orderField(orderId, u"status"_s), u"pending_payment"_s);
        // The genuine delivery still works.
        QCOMPARE(FakeStripe::post(port(), body, m_stripe.signatureFor(body))->status, 200);
        QCOMPARE(orderField(orderId, u"status"_s), u"paid"_s);
    }

    void manualShopRefusesCreateIntent()
    {
        Config config = baseConfig(u"manualshop"_s);
        config.paymentInstructions = u"Pay at the counter."_s;
        Runtime manual(config);
        auto ok = manual.start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        QCOMPARE(manual.paymentProvider()->name(), u"manual"_s);
        const quint16 shop = manual.http()->port();

        auto r = call(shop, "GET", "/api/payment/config");
        QCOMPARE(r->status, 200);
        QCOMPARE(data(r).value(u"provider"_s).toString(), u"manual"_s);
        QVERIFY(!r->header("content-security-policy").contains("stripe"));
        QVERIFY(r->header("content-security-policy").contains("script-src 'self';"));
        QCOMPARE(data(r).value(u"instructions"_s).toString(), u"Pay at the counter."_s);
        QVERIFY(!data(r).contains(u"publishable_key"_s));

        auto session = manual.auth()->registerCustomer(u"walkin@example.com"_s, u"correct horse battery"_s, {}, {}, {});
        QVERIFY(session);
        auto refused = call(shop, "POST", "/api/payment/create-intent", R"({"order_id":1})",
                            session->accessToken.toLatin1());
        QCOMPARE(refused->status, 409);
        QCOMPARE(code(refused), u"PAYMENT_PROVIDER_MANUAL"_s);

        const QByteArray body = FakeStripe::compact(m_stripe.event(u"payment_intent.succeeded"_s, {}));
        auto webhook = FakeStripe::post(shop, body, m_stripe.signatureFor(body));
        QCOMPARE(webhook->status, 404);
        manual.stop();
    }
};

QTEST_GUILESS_MAIN(TestPayments)
#include "tst_payments.moc"
