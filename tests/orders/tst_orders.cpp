// Carts, checkout and the order state machine against a real PostgreSQL: no oversell
// under 200 concurrent checkouts, one order per idempotency key, every legal and
// illegal transition, stock released exactly once by cancel and by the expiry job
// running in two instances, refunds, and payments recorded once.

#include "catalog/catalogservice.h"
#include "db/database.h"
#include "db/migrator.h"
#include "orders/cartservice.h"
#include "orders/orderservice.h"
#include "testcluster.h"

#include <QTest>
#include <QtConcurrent>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::orders;

class TestOrders : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    db::ConnectionOptions m_connection;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<catalog::CatalogService> m_catalog;
    std::unique_ptr<CartService> m_carts;
    std::unique_ptr<OrderService> m_orders;
    Actor m_admin{std::nullopt, u"admin@shop.test"_s, u"test"_s};
    int m_skus = 0;
    int m_users = 0;
    int m_stockChanges = 0;
    QList<qint64> m_stockChangedIds;

    std::unique_ptr<db::Database> openPool(int size)
    {
        db::Database::Options options;
        options.connection = m_connection;
        options.poolSize = size;
        options.acquireTimeoutMs = 60'000;
        return std::make_unique<db::Database>(options);
    }

    qint64 scalar(const QString &sql)
    {
        auto conn = m_db->acquire();
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    void exec(const QString &sql)
    {
        auto conn = m_db->acquire();
        QVERIFY(conn);
        auto ok = conn->execute(sql);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    qint64 product(qint64 cents, int stock, const QString &name = u"Widget"_s)
    {
        catalog::ProductInput in;
        in.sku = u"O-%1"_s.arg(++m_skus, 5, 10, QChar(u'0'));
        in.name = name;
        in.priceCents = cents;
        in.initialStock = stock;
        auto p = m_catalog->createProduct(in, m_admin);
        if (!p)
            qFatal("product: %s", qPrintable(p.error().message()));
        return p->id;
    }

    qint64 user()
    {
        const qint64 id = scalar(u"INSERT INTO users (email, password_hash) VALUES ('shopper%1@shop.test', 'x')"
                                 " RETURNING id"_s.arg(++m_users));
        if (id <= 0)
            qFatal("user insert failed");
        return id;
    }

    int stock(qint64 productId) { return int(scalar(u"SELECT stock FROM products WHERE id = %1"_s.arg(productId))); }

    // The ledger must explain the stock: the sum of every movement is the stock now.
    void verifyLedger(qint64 productId)
    {
        QCOMPARE(scalar(u"SELECT coalesce(sum(delta), 0) FROM inventory_movements WHERE product_id = %1"_s.arg(productId)),
                 qint64(stock(productId)));
    }

    static CheckoutInput address()
    {
        CheckoutInput in;
        in.address = {u"Ada Lovelace"_s, u"12 Analytical Row"_s, {}, u"London"_s, {}, u"N1 7AA"_s, u"gb"_s, {}};
        return in;
    }

    Order placeOrder(qint64 userId, qint64 productId, int quantity)
    {
        auto cart = m_carts->add(CartOwner{userId, {}}, productId, quantity);
        if (!cart)
            qFatal("add: %s", qPrintable(cart.error().message()));
        auto order = m_orders->checkout(userId, address(), {});
        if (!order)
            qFatal("checkout: %s", qPrintable(order.error().message()));
        return *order;
    }

    Result<Order> act(qint64 orderId, Action action)
    {
        TransitionInput in;
        in.action = action;
        if (action == Action::Ship) {
            in.carrier = u"DHL"_s;
            in.trackingNumber = u"JD0001"_s;
        }
        return m_orders->transition(orderId, in, m_admin);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        m_connection = m_cluster.createDatabase(u"orders"_s);
        m_db = openPool(24);
        auto migrated = db::Migrator(*m_db).migrate();
        QVERIFY2(migrated, migrated ? "" : qPrintable(migrated.error().message()));
        m_catalog = std::make_unique<catalog::CatalogService>(*m_db);
        m_carts = std::make_unique<CartService>(*m_db);
        m_orders = std::make_unique<OrderService>(*m_db);
        m_orders->setStockChangeHook([this](const QList<qint64> &ids) {
            ++m_stockChanges;
            m_stockChangedIds = ids;
        });
    }

    void cleanupTestCase()
    {
        m_orders.reset();
        m_carts.reset();
        m_catalog.reset();
        m_db.reset();
    }

    void checkoutSnapshotsPricesTakesStockAndEmptiesTheCart()
    {
        const qint64 shopper = user();
        const qint64 mug = product(1299, 10, u"Mug"_s);
        const qint64 pen = product(250, 5, u"Pen"_s);
        QVERIFY(m_carts->add(CartOwner{shopper, {}}, mug, 2));
        auto cart = m_carts->add(CartOwner{shopper, {}}, pen, 3);
        QVERIFY(cart);
        QCOMPARE(cart->totalCents, 2 * 1299 + 3 * 250);
        QCOMPARE(cart->itemCount, 5);

        const int before = m_stockChanges;
        CheckoutInput in = address();
        in.customerNote = u"Leave at the door"_s;
        auto order = m_orders->checkout(shopper, in, {});
        QVERIFY2(order, order ? "" : qPrintable(order.error().message()));
        QCOMPARE(order->status, u"pending_payment"_s);
        QCOMPARE(order->paymentStatus, u"unpaid"_s);
        QCOMPARE(order->totalCents, 2 * 1299 + 3 * 250);
        QCOMPARE(order->lines.size(), 2);
        QCOMPARE(order->address.country, u"GB"_s); // normalised
        QCOMPARE(order->email, u"shopper%1@shop.test"_s.arg(m_users));
        QCOMPARE(order->customerNote, u"Leave at the door"_s);
        QVERIFY(order->expiresAt > QDateTime::currentDateTimeUtc().addSecs(23 * 3600));
        QCOMPARE(order->events.size(), 1);
        QCOMPARE(order->events.first().toStatus, u"pending_payment"_s);
        QCOMPARE(stock(mug), 8);
        QCOMPARE(stock(pen), 2);
        verifyLedger(mug);
        verifyLedger(pen);
        QCOMPARE(scalar(u"SELECT count(*) FROM inventory_movements WHERE reason = 'sale' AND order_id = %1"_s.arg(order->id)),
                 qint64(2));
        QVERIFY(m_stockChanges > before);
        QCOMPARE(m_stockChangedIds, QList<qint64>({mug, pen}));
        // The confirmation waits in the outbox, committed with the order.
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE kind = 'order_placed' AND to_address = '%1'"
                        " AND subject LIKE '%%2%' AND body_text LIKE '%Mug%'"_s.arg(order->email, order->number())),
                 qint64(1));
        auto after = m_carts->cart(CartOwner{shopper, {}});
        QVERIFY(after);
        QVERIFY(after->lines.isEmpty());

        // The snapshot does not follow later catalog edits.
        exec(u"UPDATE products SET price_cents = 9999, name = 'Renamed' WHERE id = %1"_s.arg(mug));
        auto reread = m_orders->order(order->id);
        QVERIFY(reread);
        QCOMPARE(reread->lines.first().unitPriceCents, 1299);
        QCOMPARE(reread->lines.first().name, u"Mug"_s);
        QCOMPARE(reread->totalCents, 2 * 1299 + 3 * 250);
    }

    void checkoutRefusals()
    {
        const qint64 shopper = user();
        auto empty = m_orders->checkout(shopper, address(), {});
        QVERIFY(!empty);
        QCOMPARE(empty.error().code(), u"EMPTY_CART"_s);

        CheckoutInput bad;
        bad.address.country = u"Narnia"_s;
        bad.email = u"not-an-email"_s;
        auto invalid = m_orders->checkout(shopper, bad, {});
        QVERIFY(!invalid);
        QCOMPARE(invalid.error().kind(), Error::Kind::Validation);
        QStringList fields;
        for (const FieldError &f : invalid.error().fields())
            fields << f.field;
        for (const QString &f : {u"shipping_address.name"_s, u"shipping_address.line1"_s, u"shipping_address.city"_s,
                                 u"shipping_address.postal_code"_s, u"shipping_address.country"_s, u"email"_s})
            QVERIFY2(fields.contains(f), qPrintable(f));

        // Stock that ran out after the cart was filled: both short lines are named, and
        // nothing is taken from the line that would have fitted.
        const qint64 a = product(100, 3, u"Alpha"_s);
        const qint64 b = product(100, 3, u"Beta"_s);
        const qint64 c = product(100, 3, u"Gamma"_s);
        QVERIFY(m_carts->add(CartOwner{shopper, {}}, a, 2));
        QVERIFY(m_carts->add(CartOwner{shopper, {}}, b, 3));
        QVERIFY(m_carts->add(CartOwner{shopper, {}}, c, 1));
        exec(u"UPDATE products SET stock = 1 WHERE id = %1"_s.arg(a));
        exec(u"UPDATE products SET stock = 0 WHERE id = %1"_s.arg(b));
        auto short_ = m_orders->checkout(shopper, address(), u"k-short"_s);
        QVERIFY(!short_);
        QCOMPARE(short_.error().code(), u"INSUFFICIENT_STOCK"_s);
        QCOMPARE(short_.error().kind(), Error::Kind::Conflict);
        QCOMPARE(short_.error().fields().size(), 2);
        QCOMPARE(short_.error().fields().at(0).field, u"items.%1"_s.arg(a));
        QVERIFY(short_.error().fields().at(0).message.contains(u"Only 1"_s));
        QCOMPARE(short_.error().fields().at(1).field, u"items.%1"_s.arg(b));
        QCOMPARE(stock(c), 3);
        QCOMPARE(scalar(u"SELECT count(*) FROM orders WHERE user_id = %1"_s.arg(shopper)), qint64(0));
        QCOMPARE(m_carts->cart(CartOwner{shopper, {}})->lines.size(), 3); // the cart is kept to fix

        // A withdrawn product is refused by name.
        exec(u"UPDATE products SET stock = 10 WHERE id IN (%1, %2)"_s.arg(a).arg(b));
        exec(u"UPDATE products SET active = false WHERE id = %1"_s.arg(c));
        auto withdrawn = m_orders->checkout(shopper, address(), {});
        QVERIFY(!withdrawn);
        QCOMPARE(withdrawn.error().code(), u"PRODUCT_UNAVAILABLE"_s);
        QCOMPARE(withdrawn.error().fields().first().field, u"items.%1"_s.arg(c));
    }

    void cartRules()
    {
        const qint64 shopper = user();
        const qint64 p = product(500, 4, u"Lamp"_s);
        const CartOwner me{shopper, {}};
        auto tooMany = m_carts->add(me, p, 5);
        QVERIFY(!tooMany);
        QCOMPARE(tooMany.error().code(), u"INSUFFICIENT_STOCK"_s);
        QVERIFY(m_carts->add(me, p, 3));
        auto more = m_carts->add(me, p, 2); // 3 in the cart + 2 > 4
        QVERIFY(!more);
        QVERIFY(more.error().message().contains(u"already have 3"_s));
        QVERIFY(!m_carts->add(me, p, 0));
        QVERIFY(!m_carts->add(me, p, 100));
        QCOMPARE(m_carts->add(me, 999'999'999, 1).error().kind(), Error::Kind::NotFound);

        auto cart = m_carts->cart(me);
        QVERIFY(cart);
        const qint64 item = cart->lines.first().id;
        QCOMPARE(m_carts->setQuantity(me, item, 4)->lines.first().quantity, 4);
        QCOMPARE(m_carts->setQuantity(me, item, 5).error().code(), u"INSUFFICIENT_STOCK"_s);
        // Prices are the catalog's now, never remembered.
        exec(u"UPDATE products SET price_cents = 450 WHERE id = %1"_s.arg(p));
        QCOMPARE(m_carts->cart(me)->totalCents, 4 * 450);
        // Someone else's cart item is not mine to touch.
        const CartOwner other{user(), {}};
        QVERIFY(m_carts->add(other, p, 1));
        QCOMPARE(m_carts->setQuantity(other, item, 1).error().kind(), Error::Kind::NotFound);
        QCOMPARE(m_carts->remove(other, item).error().kind(), Error::Kind::NotFound);
        QVERIFY(m_carts->remove(me, item));
        QVERIFY(m_carts->cart(me)->lines.isEmpty());

        exec(u"UPDATE products SET active = false WHERE id = %1"_s.arg(p));
        QCOMPARE(m_carts->add(me, p, 1).error().code(), u"PRODUCT_UNAVAILABLE"_s);
        auto flagged = m_carts->cart(other);
        QVERIFY(flagged);
        QVERIFY(!flagged->lines.first().active);
        QVERIFY(m_carts->clear(other));
        QVERIFY(m_carts->cart(other)->lines.isEmpty());
    }

    void guestCartMergesAtSignIn()
    {
        const qint64 p = product(300, 50, u"Candle"_s);
        const qint64 q = product(700, 50, u"Vase"_s);
        auto guest = m_carts->add(CartOwner{std::nullopt, {}}, p, 2);
        QVERIFY(guest);
        const QString token = guest->newGuestToken;
        QCOMPARE(token.size(), 43);
        QCOMPARE(scalar(u"SELECT count(*) FROM carts WHERE token_hash IS NOT NULL AND user_id IS NULL"_s) >= 1, true);
        auto again = m_carts->add(CartOwner{std::nullopt, token}, q, 1);
        QVERIFY(again);
        QVERIFY(again->newGuestToken.isEmpty());
        QCOMPARE(again->lines.size(), 2);

        const qint64 shopper = user();
        QVERIFY(m_carts->add(CartOwner{shopper, {}}, p, 1));
        auto merged = m_carts->merge(shopper, token);
        QVERIFY2(merged, merged ? "" : qPrintable(merged.error().message()));
        QCOMPARE(merged->lines.size(), 2);
        QCOMPARE(merged->itemCount, 4); // 1 + 2 candles, 1 vase
        QVERIFY(m_carts->cart(CartOwner{std::nullopt, token})->lines.isEmpty()); // the guest cart is gone
        QCOMPARE(m_carts->merge(shopper, token)->itemCount, 4); // a second merge changes nothing

        // The merge keeps the cart's line limit: a full cart takes more of what it
        // holds, and nothing new. Quantities stay within the per-line limit.
        const qint64 full = user();
        for (int i = 0; i < CartService::MaxLines; ++i)
            QVERIFY(m_carts->add(CartOwner{full, {}}, product(100, 500), 98));
        const qint64 first = m_carts->cart(CartOwner{full, {}})->lines.first().productId;
        auto more = m_carts->add(CartOwner{std::nullopt, {}}, first, 5);
        QVERIFY(more);
        QVERIFY(m_carts->add(CartOwner{std::nullopt, more->newGuestToken}, p, 1));
        auto capped = m_carts->merge(full, more->newGuestToken);
        QVERIFY(capped);
        QCOMPARE(capped->lines.size(), CartService::MaxLines);
        QCOMPARE(capped->lines.first().quantity, CartService::MaxQuantityPerLine);
    }

    void twoHundredConcurrentCheckoutsSellExactlyTheStock()
    {
        const qint64 hot = product(1999, 50, u"Limited edition"_s);
        QList<qint64> shoppers;
        for (int i = 0; i < 200; ++i) {
            const qint64 id = user();
            QVERIFY(m_carts->add(CartOwner{id, {}}, hot, 1));
            shoppers.append(id);
        }
        QThreadPool pool;
        pool.setMaxThreadCount(32);
        QAtomicInt sold, refused, otherErrors;
        QList<QFuture<void>> running;
        for (qint64 id : shoppers) {
            running.append(QtConcurrent::run(&pool, [&, id] {
                auto order = m_orders->checkout(id, address(), u"checkout-1"_s);
                if (order)
                    sold.ref();
                else if (order.error().code() == u"INSUFFICIENT_STOCK"_s)
                    refused.ref();
                else {
                    qWarning() << order.error().message();
                    otherErrors.ref();
                }
                m_db->releaseThreadConnection();
            }));
        }
        for (auto &f : running)
            f.waitForFinished();
        QCOMPARE(sold.loadRelaxed(), 50);
        QCOMPARE(refused.loadRelaxed(), 150);
        QCOMPARE(otherErrors.loadRelaxed(), 0);
        QCOMPARE(stock(hot), 0);
        verifyLedger(hot);
        QCOMPARE(scalar(u"SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = %1"_s.arg(hot)), qint64(50));
        QCOMPARE(scalar(u"SELECT count(*) FROM orders o WHERE NOT EXISTS"
                        " (SELECT 1 FROM order_items i WHERE i.order_id = o.id)"_s),
                 qint64(0));
        QCOMPARE(scalar(u"SELECT count(*) FROM products WHERE stock < 0"_s), qint64(0));
    }

    void oneIdempotencyKeyMakesOneOrder()
    {
        const qint64 shopper = user();
        const qint64 p = product(1000, 10);
        QVERIFY(m_carts->add(CartOwner{shopper, {}}, p, 2));
        QThreadPool pool;
        pool.setMaxThreadCount(8);
        QMutex mutex;
        QSet<qint64> ids;
        int replays = 0, failures = 0;
        QList<QFuture<void>> running;
        for (int i = 0; i < 8; ++i) {
            running.append(QtConcurrent::run(&pool, [&] {
                bool replayed = false;
                auto order = m_orders->checkout(shopper, address(), u"same-key-123"_s, &replayed);
                QMutexLocker lock(&mutex);
                if (order) {
                    ids.insert(order->id);
                    replays += replayed ? 1 : 0;
                } else {
                    ++failures;
                }
                m_db->releaseThreadConnection();
            }));
        }
        for (auto &f : running)
            f.waitForFinished();
        QCOMPARE(failures, 0);
        QCOMPARE(ids.size(), 1);
        QCOMPARE(replays, 7);
        QCOMPARE(stock(p), 8);
        QCOMPARE(scalar(u"SELECT count(*) FROM orders WHERE user_id = %1"_s.arg(shopper)), qint64(1));

        // A new key with an empty cart is a new attempt, not a replay.
        auto fresh = m_orders->checkout(shopper, address(), u"another-key"_s);
        QVERIFY(!fresh);
        QCOMPARE(fresh.error().code(), u"EMPTY_CART"_s);
    }

    void stateMachine_data()
    {
        QTest::addColumn<QList<int>>("path");   // actions that bring the order to the state
        QTest::addColumn<int>("action");
        QTest::addColumn<bool>("legal");
        QTest::addColumn<QString>("status");    // after a legal action
        const int paid = int(Action::MarkPaid), pack = int(Action::Pack), ship = int(Action::Ship),
                  deliver = int(Action::Deliver), cancel = int(Action::Cancel);
        const QList<std::pair<QString, QList<int>>> states = {
            {u"pending_payment"_s, {}},
            {u"paid"_s, {paid}},
            {u"packed"_s, {paid, pack}},
            {u"shipped"_s, {paid, pack, ship}},
            {u"delivered"_s, {paid, pack, ship, deliver}},
            {u"cancelled"_s, {cancel}},
        };
        const QList<std::pair<int, QString>> actions = {{paid, u"paid"_s},       {pack, u"packed"_s},
                                                        {ship, u"shipped"_s},    {deliver, u"delivered"_s},
                                                        {cancel, u"cancelled"_s}};
        const QSet<QString> legal = {u"pending_payment/0"_s, u"pending_payment/4"_s, u"paid/1"_s, u"paid/4"_s,
                                     u"packed/2"_s,          u"packed/4"_s,          u"shipped/3"_s};
        for (const auto &[state, path] : states) {
            for (const auto &[action, after] : actions) {
                const bool ok = legal.contains(state + u'/' + QString::number(action));
                QTest::addRow("%s + %s", qPrintable(state), qPrintable(actionName(Action(action))))
                    << path << action << ok << after;
            }
        }
    }

    void stateMachine()
    {
        QFETCH(QList<int>, path);
        QFETCH(int, action);
        QFETCH(bool, legal);
        QFETCH(QString, status);
        const qint64 p = product(800, 5);
        const Order order = placeOrder(user(), p, 2);
        for (int step : path)
            QVERIFY(act(order.id, Action(step)));
        const qint64 events = scalar(u"SELECT count(*) FROM order_events WHERE order_id = %1"_s.arg(order.id));
        const qint64 audits = scalar(u"SELECT count(*) FROM audit_log WHERE target_type = 'order' AND target_id = '%1'"_s
                                         .arg(order.id));
        auto result = act(order.id, Action(action));
        if (!legal) {
            QVERIFY(!result);
            QCOMPARE(result.error().code(), u"ILLEGAL_TRANSITION"_s);
            QCOMPARE(result.error().kind(), Error::Kind::Conflict);
            QCOMPARE(scalar(u"SELECT count(*) FROM order_events WHERE order_id = %1"_s.arg(order.id)), events);
            return;
        }
        QVERIFY2(result, result ? "" : qPrintable(result.error().message()));
        QCOMPARE(result->status, status);
        QCOMPARE(result->events.last().toStatus, status);
        QCOMPARE(result->events.last().actor, m_admin.label);
        QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE target_type = 'order' AND target_id = '%1'"_s.arg(order.id)),
                 audits + 1);
        if (Action(action) == Action::MarkPaid) {
            QCOMPARE(result->paymentStatus, u"paid"_s);
            QCOMPARE(result->payments.size(), 1);
            QVERIFY(result->expiresAt.isNull());
        }
        if (Action(action) == Action::Ship) {
            QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE kind = 'order_shipped' AND body_text LIKE '%JD0001%'"
                            " AND subject LIKE '%%1%'"_s.arg(order.number())),
                     qint64(1));
            QCOMPARE(result->carrier, u"DHL"_s);
            QCOMPARE(result->trackingNumber, u"JD0001"_s);
        }
        // Cancelling puts the stock back, once.
        QCOMPARE(stock(p), Action(action) == Action::Cancel ? 5 : 3);
        verifyLedger(p);
    }

    void shipNeedsCarrierAndTracking()
    {
        const Order order = placeOrder(user(), product(100, 5), 1);
        QVERIFY(act(order.id, Action::MarkPaid));
        QVERIFY(act(order.id, Action::Pack));
        TransitionInput ship;
        ship.action = Action::Ship;
        auto refused = m_orders->transition(order.id, ship, m_admin);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind(), Error::Kind::Validation);
        QCOMPARE(refused.error().fields().size(), 2);
        QCOMPARE(m_orders->order(order.id)->status, u"packed"_s);
    }

    void customerCancelsBeforeShippingOnly()
    {
        const qint64 shopper = user();
        const qint64 p = product(100, 5);
        const Order open = placeOrder(shopper, p, 2);
        QCOMPARE(m_orders->cancelByCustomer(user(), open.id, {}).error().code(), u"FORBIDDEN"_s);
        auto cancelled = m_orders->cancelByCustomer(shopper, open.id, u"Changed my mind"_s);
        QVERIFY(cancelled);
        QCOMPARE(cancelled->status, u"cancelled"_s);
        QVERIFY(cancelled->events.last().note.contains(u"Changed my mind"_s));
        QCOMPARE(stock(p), 5);
        QCOMPARE(m_orders->cancelByCustomer(shopper, open.id, {}).error().code(), u"ILLEGAL_TRANSITION"_s);
        QCOMPARE(stock(p), 5); // not released twice

        const Order shipped = placeOrder(shopper, p, 1);
        QVERIFY(act(shipped.id, Action::MarkPaid));
        QVERIFY(act(shipped.id, Action::Pack));
        QVERIFY(act(shipped.id, Action::Ship));
        QCOMPARE(m_orders->cancelByCustomer(shopper, shipped.id, {}).error().code(), u"ILLEGAL_TRANSITION"_s);
        QCOMPARE(m_orders->orderFor(user(), shipped.id).error().kind(), Error::Kind::Forbidden);
        QCOMPARE(m_orders->orderFor(shopper, 999'999'999).error().kind(), Error::Kind::NotFound);
        verifyLedger(p);
    }

    void refunds()
    {
        const qint64 p = product(2500, 10);
        const Order order = placeOrder(user(), p, 2); // 50.00
        QCOMPARE(m_orders->refund(order.id, 100, u"goodwill"_s, m_admin).error().code(), u"NOT_REFUNDABLE"_s);
        QVERIFY(act(order.id, Action::MarkPaid));
        QVERIFY(act(order.id, Action::Pack));
        QVERIFY(act(order.id, Action::Ship));
        QCOMPARE(m_orders->refund(order.id, 0, u"x"_s, m_admin).error().kind(), Error::Kind::Validation);
        QCOMPARE(m_orders->refund(order.id, 100, QString(), m_admin).error().kind(), Error::Kind::Validation);
        QCOMPARE(m_orders->refund(order.id, 5001, u"too much"_s, m_admin).error().kind(), Error::Kind::Validation);

        auto partial = m_orders->refund(order.id, 1500, u"Scratched"_s, m_admin);
        QVERIFY2(partial, partial ? "" : qPrintable(partial.error().message()));
        QCOMPARE(partial->status, u"shipped"_s);
        QCOMPARE(partial->paymentStatus, u"partially_refunded"_s);
        QCOMPARE(partial->refundedCents, 1500);
        auto rest = m_orders->refund(order.id, 3500, u"Returned"_s, m_admin);
        QVERIFY(rest);
        QCOMPARE(rest->status, u"refunded"_s);
        QCOMPARE(rest->paymentStatus, u"refunded"_s);
        QCOMPARE(rest->refundedCents, 5000);
        QCOMPARE(rest->payments.size(), 3);
        QCOMPARE(m_orders->refund(order.id, 1, u"more"_s, m_admin).error().code(), u"NOT_REFUNDABLE"_s);
        QCOMPARE(stock(p), 8); // shipped goods do not come back by themselves
        QCOMPARE(scalar(u"SELECT count(*) FROM audit_log WHERE action = 'order.refund' AND target_id = '%1'"_s.arg(order.id)),
                 qint64(2));

        // A full refund before shipping puts the stock back.
        const Order unshipped = placeOrder(user(), p, 3);
        QVERIFY(act(unshipped.id, Action::MarkPaid));
        QCOMPARE(stock(p), 5);
        auto back = m_orders->refund(unshipped.id, 7500, u"Out of business hours"_s, m_admin);
        QVERIFY(back);
        QCOMPARE(back->status, u"refunded"_s);
        QCOMPARE(stock(p), 8);
        verifyLedger(p);
    }

    void paymentsAreRecordedOnce()
    {
        const qint64 p = product(1000, 10);
        const Order order = placeOrder(user(), p, 1);
        const Actor provider{std::nullopt, u"stripe"_s, u"webhook"_s};
        for (int i = 0; i < 3; ++i) {
            auto conn = m_db->acquire();
            QVERIFY(conn);
            db::Transaction tx(*conn);
            QVERIFY(tx.begin());
            auto locked = OrderService::lockOrder(*conn, order.id);
            QVERIFY(locked);
            QVERIFY(OrderService::recordPayment(*conn, *locked, 1000, u"stripe"_s, u"pi_123"_s, provider));
            // A failure reported after the success does not undo it.
            auto relocked = OrderService::lockOrder(*conn, order.id);
            QVERIFY(OrderService::recordPaymentFailure(*conn, *relocked, u"stripe"_s, u"card_declined"_s, provider));
            QVERIFY(tx.commit());
        }
        auto paid = m_orders->order(order.id);
        QCOMPARE(paid->status, u"paid"_s);
        QCOMPARE(paid->paymentStatus, u"paid"_s);
        QCOMPARE(paid->payments.size(), 1);
        QCOMPARE(scalar(u"SELECT count(*) FROM order_events WHERE order_id = %1 AND to_status = 'paid'"_s.arg(order.id)),
                 qint64(1));

        // A payment that arrives after the order expired is kept and flagged for refund.
        const Order late = placeOrder(user(), p, 1);
        QVERIFY(act(late.id, Action::Cancel));
        auto conn = m_db->acquire();
        db::Transaction tx(*conn);
        QVERIFY(tx.begin());
        auto locked = OrderService::lockOrder(*conn, late.id);
        QVERIFY(OrderService::recordPayment(*conn, *locked, 1000, u"stripe"_s, u"pi_late"_s, provider));
        QVERIFY(tx.commit());
        auto flagged = m_orders->order(late.id);
        QCOMPARE(flagged->status, u"cancelled"_s);
        QCOMPARE(flagged->paymentStatus, u"paid"_s);
        QVERIFY(flagged->events.last().note.contains(u"refund it"_s));
    }

    void secondPaymentsAndReplayedRefundsAreSafe()
    {
        const Order order = placeOrder(user(), product(1000, 10), 1);
        QVERIFY(act(order.id, Action::MarkPaid)); // at the counter
        const Actor provider{std::nullopt, u"stripe"_s, u"webhook"_s};
        auto conn = m_db->acquire();
        QVERIFY(conn);
        {
            db::Transaction tx(*conn);
            QVERIFY(tx.begin());
            auto locked = OrderService::lockOrder(*conn, order.id);
            QVERIFY(OrderService::recordPayment(*conn, *locked, 1000, u"stripe"_s, u"pi_twice"_s, provider));
            QVERIFY(tx.commit());
        }
        auto twice = m_orders->order(order.id);
        QCOMPARE(twice->paymentStatus, u"paid"_s);
        QCOMPARE(twice->payments.size(), 2);
        QVERIFY(twice->events.last().note.contains(u"second payment"_s));
        QVERIFY(twice->events.last().note.endsWith(u"refund it"_s));

        // The provider reports a refund the shop already recorded: nothing changes, even
        // once the order is fully refunded.
        for (int i = 0; i < 2; ++i) {
            db::Transaction tx(*conn);
            QVERIFY(tx.begin());
            auto locked = OrderService::lockOrder(*conn, order.id);
            auto ok = OrderService::recordRefund(*conn, *locked, 1000, u"stripe"_s, u"re_1"_s, u"dup"_s, provider);
            QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
            QVERIFY(tx.commit());
        }
        auto refunded = m_orders->order(order.id);
        QCOMPARE(refunded->refundedCents, 1000);
        QCOMPARE(refunded->status, u"refunded"_s);
        // A late payment does not turn a refunded order back into a paid one.
        db::Transaction tx(*conn);
        QVERIFY(tx.begin());
        auto locked = OrderService::lockOrder(*conn, order.id);
        QVERIFY(OrderService::recordPayment(*conn, *locked, 1000, u"stripe"_s, u"pi_third"_s, provider));
        QVERIFY(tx.commit());
        QCOMPARE(m_orders->order(order.id)->paymentStatus, u"refunded"_s);
    }

    void expiryReleasesStockOnceWithTwoInstances()
    {
        const qint64 p = product(100, 40);
        QList<qint64> ids;
        for (int i = 0; i < 20; ++i)
            ids.append(placeOrder(user(), p, 2).id);
        QCOMPARE(stock(p), 0);
        const Order paid = placeOrder(user(), product(100, 1), 1);
        QVERIFY(act(paid.id, Action::MarkPaid));
        exec(u"UPDATE orders SET expires_at = now() - interval '1 second' WHERE status = 'pending_payment'"_s);

        // Two instances: each its own pool and service, running the job at once.
        auto poolA = openPool(4);
        auto poolB = openPool(4);
        OrderService a(*poolA), b(*poolB);
        QAtomicInt expired;
        auto run = [&expired](OrderService *service, db::Database *pool) {
            for (int round = 0; round < 5; ++round) {
                auto n = service->expireUnpaid(3); // small batches: the two interleave
                if (n)
                    expired.fetchAndAddRelaxed(*n);
            }
            pool->releaseThreadConnection();
        };
        auto fa = QtConcurrent::run(run, &a, poolA.get());
        auto fb = QtConcurrent::run(run, &b, poolB.get());
        fa.waitForFinished();
        fb.waitForFinished();
        while (auto n = a.expireUnpaid(100)) { // whatever the rounds left
            if (*n == 0)
                break;
            expired.fetchAndAddRelaxed(*n);
        }
        QVERIFY(expired.loadRelaxed() >= 20);
        for (qint64 id : ids) {
            auto order = m_orders->order(id);
            QCOMPARE(order->status, u"cancelled"_s);
            QCOMPARE(order->events.last().actor, u"system"_s);
        }
        QCOMPARE(stock(p), 40);
        verifyLedger(p);
        QCOMPARE(scalar(u"SELECT count(*) FROM inventory_movements WHERE product_id = %1 AND reason = 'cancellation'"_s.arg(p)),
                 qint64(20));
        QCOMPARE(m_orders->order(paid.id)->status, u"paid"_s);
        poolA->releaseThreadConnection();
    }

    void adminListCountsAndSearch()
    {
        exec(u"TRUNCATE orders CASCADE"_s);
        const qint64 p = product(100, 100);
        const Order first = placeOrder(user(), p, 1);
        const Order second = placeOrder(user(), p, 1);
        placeOrder(user(), p, 1);
        QVERIFY(act(second.id, Action::MarkPaid));
        auto all = m_orders->orders({});
        QVERIFY(all);
        QCOMPARE(all->total, 3);
        QCOMPARE(all->rows.size(), 3);
        QCOMPARE(all->rows.first().itemCount, 1);
        qint64 pending = -1, paidCount = -1;
        for (const auto &[s, n] : all->counts) {
            if (s == u"pending_payment"_s)
                pending = n;
            if (s == u"paid"_s)
                paidCount = n;
        }
        QCOMPARE(pending, 2);
        QCOMPARE(paidCount, 1);
        auto paid = m_orders->orders({u"paid"_s, {}, 0, 50});
        QCOMPARE(paid->rows.size(), 1);
        QCOMPARE(paid->rows.first().id, second.id);
        auto byNumber = m_orders->orders({{}, first.number(), 0, 50});
        QCOMPARE(byNumber->rows.size(), 1);
        QCOMPARE(byNumber->rows.first().id, first.id);
        auto byEmail = m_orders->orders({{}, first.email.left(first.email.indexOf(u'@')), 0, 50});
        QCOMPARE(byEmail->rows.size(), 1);
        QCOMPARE(m_orders->orders({{}, u"%"_s, 0, 50})->rows.size(), 0); // LIKE metacharacters are literal
    }
};

QTEST_GUILESS_MAIN(TestOrders)
#include "tst_orders.moc"
