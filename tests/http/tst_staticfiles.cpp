#include "http/server.h"
#include "http/staticfiles.h"
#include "rawhttp.h"

#include <QDirIterator>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop::http;
using shop::test::rawRequest;

class TestStaticFiles : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<HttpServer> m_server;
    quint16 port() const { return m_server->port(); }
    static QByteArray get(const QByteArray &target, const QByteArray &extra = {})
    {
        return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
    }

private slots:
    void initTestCase()
    {
        auto statics = std::make_shared<StaticFiles>(u":/storefront"_s);
        HttpServer::Options o;
        o.ioThreads = 1;
        o.accessLog = false;
        m_server = std::make_unique<HttpServer>(o, Router(), [statics](const Request &r) { return statics->serve(r); });
        QVERIFY(m_server->start());
    }

    void cleanupTestCase() { m_server->stop(1000); }

    void indexWithEtagAndRevalidation()
    {
        auto r = rawRequest(port(), get("/"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(r->header("content-type").startsWith("text/html"));
        QCOMPARE(r->header("cache-control"), QByteArray("no-cache"));
        const QByteArray etag = r->header("etag");
        QVERIFY(etag.startsWith('"') && etag.endsWith('"'));
        QVERIFY(r->body.contains("<title>"));

        auto again = rawRequest(port(), get("/", "If-None-Match: " + etag + "\r\n"));
        QVERIFY(again);
        QCOMPARE(again->status, 304);
        QVERIFY(again->body.isEmpty());
        QCOMPARE(again->header("etag"), etag);

        auto other = rawRequest(port(), get("/", "If-None-Match: \"something-else\"\r\n"));
        QVERIFY(other);
        QCOMPARE(other->status, 200);
    }

    void assetsHaveTypesAndCaching_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("type");
        QTest::addRow("script") << QByteArray("/assets/app.js") << QByteArray("text/javascript; charset=utf-8");
        QTest::addRow("style") << QByteArray("/assets/app.css") << QByteArray("text/css; charset=utf-8");
    }

    void assetsHaveTypesAndCaching()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, type);
        auto r = rawRequest(port(), get(path));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->header("content-type"), type);
        QVERIFY(r->header("cache-control").contains("max-age"));
        QCOMPARE(r->header("x-content-type-options"), QByteArray("nosniff"));
    }

    void headServesHeadersOnly()
    {
        auto r = rawRequest(port(), "HEAD /assets/app.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", false);
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(r->header("content-length").toInt() > 0);
        QVERIFY(r->body.isEmpty());
    }

    void traversalIsRefused_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addRow("dot dot") << QByteArray("/../etc/passwd");
        QTest::addRow("nested dot dot") << QByteArray("/assets/../../etc/passwd");
        QTest::addRow("encoded dot dot") << QByteArray("/%2e%2e/etc/passwd");
        QTest::addRow("encoded slash") << QByteArray("/assets/..%2f..%2fetc/passwd");
        QTest::addRow("dot segment") << QByteArray("/./index.html");
        QTest::addRow("backslash") << QByteArray("/assets\\app.js");
        QTest::addRow("encoded backslash") << QByteArray("/assets%5capp.js");
    }

    void traversalIsRefused()
    {
        QFETCH(QByteArray, target);
        auto r = rawRequest(port(), get(target));
        QVERIFY(r);
        QCOMPARE(r->status, 400);
        QVERIFY(!r->body.contains("root:"));
    }

    void missingFiles()
    {
        auto asset = rawRequest(port(), get("/assets/nope.png"));
        QVERIFY(asset);
        QCOMPARE(asset->status, 404);
        auto api = rawRequest(port(), get("/api/unknown"));
        QVERIFY(api);
        QCOMPARE(api->status, 404);
        QVERIFY(api->body.contains("\"NOT_FOUND\""));
        // Storefront pages have their own URLs: extension-less paths get the app.
        auto page = rawRequest(port(), get("/products/42"));
        QVERIFY(page);
        QCOMPARE(page->status, 200);
        QVERIFY(page->header("content-type").startsWith("text/html"));
    }

    void writesAreRefused()
    {
        auto r = rawRequest(port(), "POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
        QVERIFY(r);
        QCOMPARE(r->status, 405);
    }

    // The CSP forbids inline script, so the storefront must not contain any.
    void storefrontHasNoInlineScript()
    {
        QDirIterator it(u":/storefront"_s, QDirIterator::Subdirectories);
        int pages = 0;
        static const QRegularExpression inlineScript(u"<script(?![^>]*\\bsrc=)[^>]*>"_s);
        static const QRegularExpression handlerAttribute(u"\\son[a-z]+\\s*="_s);
        while (it.hasNext()) {
            const QString path = it.next();
            if (!path.endsWith(u".html"_s))
                continue;
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QString html = QString::fromUtf8(f.readAll());
            QVERIFY2(!inlineScript.match(html).hasMatch(), qPrintable(path));
            QVERIFY2(!handlerAttribute.match(html).hasMatch(), qPrintable(path));
            ++pages;
        }
        QVERIFY(pages > 0);
    }
};

QTEST_GUILESS_MAIN(TestStaticFiles)
#include "tst_staticfiles.moc"
