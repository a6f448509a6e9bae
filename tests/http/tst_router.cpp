#include "http/router.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop::http;

class TestRouter : public QObject
{
    Q_OBJECT

private:
    static Router router()
    {
        Router r;
        const auto named = [](const char *name) {
            return [name](const Request &) { return Response::text(200, "text/plain", name); };
        };
        r.get(u"/api/products"_s, named("list"));
        r.get(u"/api/products/search"_s, named("search"));
        r.get(u"/api/products/{id:int}"_s, named("one"));
        r.add("PUT", u"/api/products/{id:int}"_s, named("put"));
        r.get(u"/api/categories/{slug}"_s, named("category"));
        r.get(u"/files/{path*}"_s, named("files"));
        return r;
    }

private slots:
    void match_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("handler");   // empty: no route
        QTest::addColumn<QString>("param");        // "name=value" of the first parameter
        QTest::addColumn<QByteArray>("allowed");   // when the method did not match
        QTest::addRow("literal") << QByteArray("GET") << u"/api/products"_s << QByteArray("list") << QString() << QByteArray();
        QTest::addRow("trailing slash") << QByteArray("GET") << u"/api/products/"_s << QByteArray("list") << QString() << QByteArray();
        QTest::addRow("literal before param") << QByteArray("GET") << u"/api/products/search"_s << QByteArray("search") << QString() << QByteArray();
        QTest::addRow("int param") << QByteArray("GET") << u"/api/products/42"_s << QByteArray("one") << u"id=42"_s << QByteArray();
        QTest::addRow("int param rejects text") << QByteArray("GET") << u"/api/products/abc"_s << QByteArray() << QString() << QByteArray();
        QTest::addRow("int param rejects sign") << QByteArray("GET") << u"/api/products/-1"_s << QByteArray() << QString() << QByteArray();
        QTest::addRow("int param rejects overflow") << QByteArray("GET") << u"/api/products/99999999999999999999"_s << QByteArray() << QString() << QByteArray();
        QTest::addRow("method not allowed") << QByteArray("DELETE") << u"/api/products/7"_s << QByteArray() << QString() << QByteArray("GET,PUT");
        QTest::addRow("other method") << QByteArray("PUT") << u"/api/products/7"_s << QByteArray("put") << u"id=7"_s << QByteArray();
        QTest::addRow("string param") << QByteArray("GET") << u"/api/categories/home-garden"_s << QByteArray("category") << u"slug=home-garden"_s << QByteArray();
        QTest::addRow("too deep") << QByteArray("GET") << u"/api/categories/a/b"_s << QByteArray() << QString() << QByteArray();
        QTest::addRow("rest") << QByteArray("GET") << u"/files/a/b/c.txt"_s << QByteArray("files") << u"path=a/b/c.txt"_s << QByteArray();
        QTest::addRow("unknown") << QByteArray("GET") << u"/nope"_s << QByteArray() << QString() << QByteArray();
    }

    void match()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, handler);
        QFETCH(QString, param);
        QFETCH(QByteArray, allowed);
        const Router r = router();
        const auto m = r.match(method, path);
        if (handler.isEmpty()) {
            QVERIFY(!m.route);
        } else {
            QVERIFY(m.route);
            QCOMPARE(m.route->handler(Request{}).body, handler);
        }
        if (!param.isEmpty()) {
            QVERIFY(!m.params.isEmpty());
            QCOMPARE(m.params.first().first + u'=' + m.params.first().second, param);
        }
        QCOMPARE(m.allowedMethods.join(','), allowed);
    }
};

QTEST_APPLESS_MAIN(TestRouter)
#include "tst_router.moc"
