// The cart, order and admin order routes over a real socket, wired by the real
// Runtime against a real PostgreSQL: guest carts and the merge at sign-in, checkout with
// an Idempotency-Key, someone else's order, the shopper's cancel, the role guard on
// every admin order route, transitions and refunds, and the envelope on every error.

#include "auth/authservice.h"
#include "catalog/catalogservice.h"
#include "db/database.h"
#include "http/server.h"
#include "rawhttp.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::test;

class TestOrderRoutes : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    std::unique_ptr<Runtime> m_runtime;
    QString m_shopperToken;
    QString m_otherToken;
    QString m_adminToken;
    qint64 m_mug = 0;
    qint64 m_pen = 0;
    int m_users = 0;

    std::optional<RawResponse> call(const QByteArray &method, const QByteArray &path, const QByteArray &payload = {},
                                    const QList<QByteArray> &headers = {})
    {
        QByteArray request = method + ' ' + path + " HTTP/1.1\r\nHost: shop.test\r\n";
        for (const QByteArray &h : headers)
            request += h + "\r\n";
        if (!payload.isEmpty() || method == "POST" || method == "PATCH")
            request += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(payload.size()) + "\r\n";
        request += "\r\n" + payload;
        return rawRequest(m_runtime->http()->port(), request);
    }

    std::optional<RawResponse> as(const QString &token, const QByteArray &method, const QByteArray &path,
                                  const QJsonObject &body = {}, QList<QByteArray> headers = {})
    {
        if (!token.isEmpty())
            headers.append("Authorization: Bearer " + token.toLatin1());
        return call(method, path, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact),
                    headers);
    }

    static QJsonObject json(const std::optional<RawResponse> &r) { return QJsonDocument::fromJson(r->body).object(); }
    static QJsonObject data(const std::optional<RawResponse> &r) { return json(r).value(u"data"_s).toObject(); }
    static QString code(const std::optional<RawResponse> &r)
    {
        return json(r).value(u"error"_s).toObject().value(u"code"_s).toString();
    }

    qint64 scalar(const QString &sql)
    {
        auto conn = m_runtime->database()->acquire();
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    QString signUp(const QString &role = u"customer"_s)
    {
        const QString email = u"buyer%1@shop.test"_s.arg(++m_users);
        const QString password = u"correct horse battery"_s;
        if (role == u"customer"_s) {
            auto r = call("POST", "/api/auth/register",
                          QJsonDocument(QJsonObject{{u"email"_s, email}, {u"password"_s, password}}).toJson());
            if (!r || r->status != 201)
                qFatal("register: %s", r ? r->body.constData() : "no response");
            return data(r).value(u"token"_s).toString();
        }
        auto made = m_runtime->auth()->createUser(email, password, role, Actor{std::nullopt, u"test"_s, u"test"_s});
        if (!made)
            qFatal("createUser: %s", qPrintable(made.error().message()));
        auto r = call("POST", "/api/auth/login",
                      QJsonDocument(QJsonObject{{u"email"_s, email}, {u"password"_s, password}}).toJson());
        if (!r || r->status != 200)
            qFatal("login: %s", r ? r->body.constData() : "no response");
        return data(r).value(u"token"_s).toString();
    }

    qint64 product(const QString &name, qint64 cents, int stock)
    {
        static int sku = 0;
        catalog::ProductInput in;
        in.sku = u"R-%1"_s.arg(++sku, 4, 10, QChar(u'0'));
        in.name = name;
        in.priceCents = cents;
        in.initialStock = stock;
        auto p = m_runtime->catalog()->createProduct(in, Actor{std::nullopt, u"test"_s, u"test"_s});
        if (!p)
            qFatal("product: %s", qPrintable(p.error().message()));
        return p->id;
    }

    static QJsonObject address()
    {
        return QJsonObject{{u"name"_s, u"Grace Hopper"_s}, {u"line1"_s, u"1 Compiler Way"_s}, {u"city"_s, u"Arlington"_s},
                           {u"postal_code"_s, u"22201"_s}, {u"country"_s, u"US"_s}};
    }

    QJsonObject placeOrder(const QString &token, qint64 productId, int quantity)
    {
        auto added = as(token, "POST", "/api/cart", {{u"product_id"_s, productId}, {u"quantity"_s, quantity}});
        if (!added || added->status != 200)
            qFatal("cart: %s", added ? added->body.constData() : "no response");
        auto placed = as(token, "POST", "/api/orders", {{u"shipping_address"_s, address()}});
        if (!placed || placed->status != 201)
            qFatal("order: %s", placed ? placed->body.constData() : "no response");
        return data(placed);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        Config config;
        config.dataDir = QDir::tempPath() + u"/shopdesk-orderroutes-"_s + QString::number(QCoreApplication::applicationPid());
        config.jwtSecret = u"a-test-secret-that-is-longer-than-32-bytes"_s;
        config.databaseUrl = m_cluster.createDatabase(u"orderroutes"_s).toUri();
        config.port = 0;
        config.ioThreads = 2;
        config.accessLog = false;
        config.bcryptCost = 10;
        m_runtime = std::make_unique<Runtime>(config);
        auto ok = m_runtime->start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        m_shopperToken = signUp();
        m_otherToken = signUp();
        m_adminToken = signUp(u"admin"_s);
        m_mug = product(u"Mug"_s, 1299, 10);
        m_pen = product(u"Pen"_s, 250, 100);
    }

    void cleanupTestCase()
    {
        m_runtime.reset();
        QDir(QDir::tempPath() + u"/shopdesk-orderroutes-"_s + QString::number(QCoreApplication::applicationPid()))
            .removeRecursively();
    }

    void guestCartThenMergeAtSignIn()
    {
        auto empty = call("GET", "/api/cart");
        QCOMPARE(empty->status, 200);
        QCOMPARE(data(empty).value(u"items"_s).toArray().size(), 0);
        QVERIFY(!data(empty).contains(u"cart_token"_s)); // looking creates nothing

        auto first = as({}, "POST", "/api/cart", {{u"product_id"_s, m_mug}, {u"quantity"_s, 2}});
        QCOMPARE(first->status, 200);
        const QString token = data(first).value(u"cart_token"_s).toString();
        QCOMPARE(token.size(), 43);
        QCOMPARE(data(first).value(u"total_cents"_s).toInteger(), 2598);
        QCOMPARE(data(first).value(u"total"_s).toDouble(), 25.98);
        const QJsonObject line = data(first).value(u"items"_s).toArray().first().toObject();
        QCOMPARE(line.value(u"price"_s).toDouble(), 12.99);
        QCOMPARE(line.value(u"subtotal_cents"_s).toInteger(), 2598);
        QVERIFY(line.value(u"available"_s).toBool());
        QCOMPARE(first->header("cache-control"), "no-store");

        const QByteArray cartHeader = "X-Cart-Token: " + token.toLatin1();
        auto second = as({}, "POST", "/api/cart", {{u"product_id"_s, m_pen}, {u"quantity"_s, 1}}, {cartHeader});
        QCOMPARE(second->status, 200);
        QVERIFY(!data(second).contains(u"cart_token"_s));
        QCOMPARE(data(second).value(u"item_count"_s).toInt(), 3);
        QCOMPARE(as({}, "GET", "/api/cart", {}, {"X-Cart-Token: not a token"})->status, 400);

        const QString buyer = signUp();
        auto merged = as(buyer, "POST", "/api/cart/merge", {{u"cart_token"_s, token}});
        QCOMPARE(merged->status, 200);
        QCOMPARE(data(merged).value(u"item_count"_s).toInt(), 3);
        QCOMPARE(data(as({}, "GET", "/api/cart", {}, {cartHeader})).value(u"items"_s).toArray().size(), 0);
        QCOMPARE(as({}, "POST", "/api/cart/merge", {{u"cart_token"_s, token}})->status, 401);
        // A bad token is an error, never a quiet fall back to a guest cart.
        QCOMPARE(as(u"garbage"_s, "GET", "/api/cart")->status, 401);
    }

    void cartEditsAndErrors()
    {
        const QString buyer = signUp();
        auto added = as(buyer, "POST", "/api/cart", {{u"product_id"_s, m_pen}, {u"quantity"_s, 3}});
        const qint64 item = data(added).value(u"items"_s).toArray().first().toObject().value(u"id"_s).toInteger();
        const QByteArray itemPath = "/api/cart/items/" + QByteArray::number(item);
        auto patched = as(buyer, "PATCH", itemPath, {{u"quantity"_s, 5}});
        QCOMPARE(patched->status, 200);
        QCOMPARE(data(patched).value(u"item_count"_s).toInt(), 5);

        auto tooMany = as(buyer, "POST", "/api/cart", {{u"product_id"_s, m_mug}, {u"quantity"_s, 11}});
        QCOMPARE(tooMany->status, 409);
        QCOMPARE(code(tooMany), u"INSUFFICIENT_STOCK"_s);
        QVERIFY(json(tooMany).value(u"error"_s).toObject().value(u"fields"_s).toObject().contains(u"items.%1"_s.arg(m_mug)));
        QCOMPARE(as(buyer, "POST", "/api/cart", {{u"product_id"_s, m_mug}})->status, 400); // MISSING_FIELDS
        QCOMPARE(code(as(buyer, "POST", "/api/cart", {{u"product_id"_s, m_mug}, {u"quantity"_s, 0}})),
                 u"VALIDATION_FAILED"_s);
        QCOMPARE(code(as(buyer, "POST", "/api/cart", {{u"product_id"_s, u"one"_s}, {u"quantity"_s, 1}})),
                 u"VALIDATION_FAILED"_s);
        QCOMPARE(as(buyer, "POST", "/api/cart", {{u"product_id"_s, 999999}, {u"quantity"_s, 1}})->status, 404);
        auto broken = call("POST", "/api/cart", "{not json", {"Authorization: Bearer " + buyer.toLatin1()});
        QCOMPARE(broken->status, 400);
        QCOMPARE(json(broken).value(u"success"_s).toBool(true), false);
        QCOMPARE(as(m_otherToken, "DELETE", itemPath)->status, 404); // not theirs
        QCOMPARE(as(buyer, "DELETE", "/api/cart/items/99999999999999999999")->status, 404);

        auto removed = as(buyer, "PATCH", itemPath, {{u"quantity"_s, 0}});
        QCOMPARE(removed->status, 200);
        QCOMPARE(data(removed).value(u"items"_s).toArray().size(), 0);
        QVERIFY(as(buyer, "POST", "/api/cart", {{u"product_id"_s, m_pen}, {u"quantity"_s, 1}}));
        auto cleared = as(buyer, "DELETE", "/api/cart/clear");
        QCOMPARE(cleared->status, 200);
        QCOMPARE(data(cleared).value(u"items"_s).toArray().size(), 0);
    }

    void checkoutWithIdempotencyKey()
    {
        const QString buyer = signUp();
        QCOMPARE(code(as(buyer, "POST", "/api/orders", {{u"shipping_address"_s, address()}})), u"EMPTY_CART"_s);
        QVERIFY(as(buyer, "POST", "/api/cart", {{u"product_id"_s, m_mug}, {u"quantity"_s, 2}}));

        QJsonObject bad = address();
        bad.remove(u"city"_s);
        bad.insert(u"country"_s, u"USA"_s);
        auto invalid = as(buyer, "POST", "/api/orders", {{u"shipping_address"_s, bad}});
        QCOMPARE(invalid->status, 422);
        const QJsonObject fields = json(invalid).value(u"error"_s).toObject().value(u"fields"_s).toObject();
        QVERIFY(fields.contains(u"shipping_address.city"_s));
        QVERIFY(fields.contains(u"shipping_address.country"_s));
        QCOMPARE(as(buyer, "POST", "/api/orders", {{u"email"_s, u"x@y.z"_s}})->status, 400); // MISSING_FIELDS

        const int stockBefore = int(scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(m_mug)));
        const QByteArray key = "Idempotency-Key: 3f6c1a52-checkout";
        auto placed = as(buyer, "POST", "/api/orders", {{u"shipping_address"_s, address()}, {u"note"_s, u"Ring twice"_s}},
                         {key});
        QCOMPARE(placed->status, 201);
        const QJsonObject order = data(placed);
        QCOMPARE(order.value(u"status"_s).toString(), u"pending_payment"_s);
        QCOMPARE(order.value(u"payment_status"_s).toString(), u"unpaid"_s);
        QCOMPARE(order.value(u"total"_s).toDouble(), 25.98);
        QCOMPARE(order.value(u"total_cents"_s).toInteger(), 2598);
        QCOMPARE(order.value(u"items"_s).toArray().size(), 1);
        QCOMPARE(order.value(u"note"_s).toString(), u"Ring twice"_s);
        QVERIFY(order.value(u"number"_s).toString().startsWith(u"SD-"_s));
        QVERIFY(order.value(u"can_cancel"_s).toBool());
        QCOMPARE(order.value(u"events"_s).toArray().size(), 1);
        QCOMPARE(scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(m_mug)), qint64(stockBefore - 2));

        auto again = as(buyer, "POST", "/api/orders", {{u"shipping_address"_s, address()}}, {key});
        QCOMPARE(again->status, 200);
        QCOMPARE(again->header("idempotent-replayed"), "true");
        QCOMPARE(data(again).value(u"id"_s).toInteger(), order.value(u"id"_s).toInteger());
        QCOMPARE(scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(m_mug)), qint64(stockBefore - 2));

        auto list = as(buyer, "GET", "/api/orders");
        QCOMPARE(list->status, 200);
        const QJsonArray orders = json(list).value(u"data"_s).toArray();
        QCOMPARE(orders.size(), 1);
        QCOMPARE(orders.first().toObject().value(u"items"_s).toArray().size(), 1);

        const QByteArray path = "/api/orders/" + QByteArray::number(order.value(u"id"_s).toInteger());
        QCOMPARE(as(buyer, "GET", path)->status, 200);
        QCOMPARE(code(as(m_otherToken, "GET", path)), u"FORBIDDEN"_s);
        QCOMPARE(as(m_otherToken, "GET", path)->status, 403);
        QCOMPARE(as(buyer, "GET", "/api/orders/999999999")->status, 404);
        QCOMPARE(as({}, "GET", "/api/orders")->status, 401);

        QCOMPARE(as(m_otherToken, "POST", path + "/cancel")->status, 403);
        auto cancelled = as(buyer, "POST", path + "/cancel", {{u"reason"_s, u"Ordered twice"_s}});
        QCOMPARE(cancelled->status, 200);
        QCOMPARE(data(cancelled).value(u"status"_s).toString(), u"cancelled"_s);
        QVERIFY(!data(cancelled).value(u"can_cancel"_s).toBool());
        QCOMPARE(scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(m_mug)), qint64(stockBefore));
        auto twice = as(buyer, "POST", path + "/cancel");
        QCOMPARE(twice->status, 409);
        QCOMPARE(code(twice), u"ILLEGAL_TRANSITION"_s);
    }

    void adminRoutesAreGuarded_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::newRow("list") << QByteArray("GET") << QByteArray("/api/admin/orders");
        QTest::newRow("detail") << QByteArray("GET") << QByteArray("/api/admin/orders/1");
        QTest::newRow("transition") << QByteArray("POST") << QByteArray("/api/admin/orders/1/transition");
        QTest::newRow("refund") << QByteArray("POST") << QByteArray("/api/admin/orders/1/refund");
    }

    void adminRoutesAreGuarded()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        const QJsonObject body{{u"action"_s, u"pack"_s}, {u"amount_cents"_s, 1}, {u"reason"_s, u"x"_s}};
        auto anonymous = as({}, method, path, body);
        QCOMPARE(anonymous->status, 401);
        QCOMPARE(code(anonymous), u"UNAUTHORIZED"_s);
        auto customer = as(m_shopperToken, method, path, body);
        QCOMPARE(customer->status, 403);
        QCOMPARE(code(customer), u"FORBIDDEN"_s);
    }

    void adminFulfilsAndRefunds()
    {
        const QString buyer = signUp();
        const QJsonObject order = placeOrder(buyer, m_pen, 4); // 10.00
        const QByteArray path = "/api/admin/orders/" + QByteArray::number(order.value(u"id"_s).toInteger());

        auto detail = as(m_adminToken, "GET", path);
        QCOMPARE(detail->status, 200);
        QCOMPARE(data(detail).value(u"legal_actions"_s).toArray(), QJsonArray({u"mark_paid"_s, u"cancel"_s}));

        auto list = as(m_adminToken, "GET", "/api/admin/orders?status=pending_payment&q=" + order.value(u"number"_s).toString().toLatin1());
        QCOMPARE(list->status, 200);
        QCOMPARE(data(list).value(u"orders"_s).toArray().size(), 1);
        QVERIFY(data(list).value(u"counts"_s).toObject().value(u"pending_payment"_s).toInteger() >= 1);
        QCOMPARE(as(m_adminToken, "GET", "/api/admin/orders?status=lost")->status, 400);
        QCOMPARE(as(m_adminToken, "GET", "/api/admin/orders?limit=0")->status, 400);

        auto illegal = as(m_adminToken, "POST", path + "/transition", {{u"action"_s, u"ship"_s}});
        QCOMPARE(illegal->status, 422); // carrier and tracking first
        auto packUnpaid = as(m_adminToken, "POST", path + "/transition", {{u"action"_s, u"pack"_s}});
        QCOMPARE(packUnpaid->status, 409);
        QCOMPARE(code(packUnpaid), u"ILLEGAL_TRANSITION"_s);
        QCOMPARE(code(as(m_adminToken, "POST", path + "/transition", {{u"action"_s, u"teleport"_s}})),
                 u"VALIDATION_FAILED"_s);
        QCOMPARE(code(as(m_adminToken, "POST", path + "/refund", {{u"amount_cents"_s, 100}, {u"reason"_s, u"x"_s}})),
                 u"NOT_REFUNDABLE"_s);

        for (const QJsonObject &step : {QJsonObject{{u"action"_s, u"mark_paid"_s}, {u"note"_s, u"Cash at the counter"_s}},
                                        QJsonObject{{u"action"_s, u"pack"_s}},
                                        QJsonObject{{u"action"_s, u"ship"_s}, {u"carrier"_s, u"UPS"_s},
                                                    {u"tracking_number"_s, u"1Z999"_s}}}) {
            auto r = as(m_adminToken, "POST", path + "/transition", step);
            QVERIFY2(r->status == 200, r->body.constData());
        }
        auto refunded = as(m_adminToken, "POST", path + "/refund", {{u"amount"_s, 2.5}, {u"reason"_s, u"Late delivery"_s}});
        QCOMPARE(refunded->status, 200);
        QCOMPARE(data(refunded).value(u"refunded_cents"_s).toInteger(), 250);
        QCOMPARE(data(refunded).value(u"payment_status"_s).toString(), u"partially_refunded"_s);
        auto tooMuch = as(m_adminToken, "POST", path + "/refund", {{u"amount_cents"_s, 751}, {u"reason"_s, u"x"_s}});
        QCOMPARE(tooMuch->status, 422);

        // The shopper sees the whole timeline.
        auto mine = as(buyer, "GET", "/api/orders/" + QByteArray::number(order.value(u"id"_s).toInteger()));
        const QJsonArray events = data(mine).value(u"events"_s).toArray();
        QStringList steps;
        for (const QJsonValue &e : events)
            steps << e.toObject().value(u"to_status"_s).toString();
        QCOMPARE(steps, QStringList({u"pending_payment"_s, u"paid"_s, u"paid"_s, u"packed"_s, u"shipped"_s, u"shipped"_s}));
        QCOMPARE(data(mine).value(u"tracking_number"_s).toString(), u"1Z999"_s);
        QVERIFY(!data(mine).value(u"can_cancel"_s).toBool());
        QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE target_type = 'order' AND target_id = '%1'"_s
                            .arg(order.value(u"id"_s).toInteger())),
                 qint64(4));
    }

    void errorsNeverLeakInternals()
    {
        for (const auto &r : {as(m_shopperToken, "POST", "/api/orders", {{u"shipping_address"_s, u"street"_s}}),
                              as(m_shopperToken, "GET", "/api/orders/123456789012345678901234"),
                              as(m_adminToken, "POST", "/api/admin/orders/1/refund", {{u"reason"_s, u"x"_s}})}) {
            QVERIFY(r->status >= 400 && r->status < 500);
            QCOMPARE(json(r).value(u"success"_s).toBool(true), false);
            QVERIFY(!r->body.contains("SELECT"));
            QVERIFY(!r->body.contains(".cpp"));
        }
    }
};

QTEST_GUILESS_MAIN(TestOrderRoutes)
#include "tst_orderroutes.moc"
