// The server core over a real socket, byte by byte: Qt 6.4's gaps (size caps, read and
// idle timeouts, connection cap, Connection: close, HEAD, malformed requests) and the
// envelope, headers and ordering every response must have.

#include "http/server.h"
#include "rawhttp.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QThread>

#include <memory>
#include <thread>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::http;
using test::RawConnection;
using test::rawRequest;

namespace {

QByteArray get(const QByteArray &path, const QByteArray &extra = {})
{
    return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

QJsonObject json(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

} // namespace

class TestHttpCore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<HttpServer> m_server;
    quint16 port() const { return m_server->port(); }

    void verifyCommonHeaders(const test::RawResponse &r)
    {
        QVERIFY2(!r.header("x-request-id").isEmpty(), r.head.constData());
        QCOMPARE(r.header("x-content-type-options"), QByteArray("nosniff"));
        QCOMPARE(r.header("x-frame-options"), QByteArray("DENY"));
        QVERIFY(r.header("content-security-policy").contains("script-src 'self'"));
        QVERIFY(!r.header("content-security-policy").contains("unsafe-inline"));
        QVERIFY(!r.header("referrer-policy").isEmpty());
        QVERIFY(!r.header("permissions-policy").isEmpty());
    }

    void verifyErrorEnvelope(const test::RawResponse &r, int status, const QString &code)
    {
        QCOMPARE(r.status, status);
        const QJsonObject body = json(r.body);
        QCOMPARE(body.value(u"success"_s).toBool(true), false);
        QCOMPARE(body.value(u"error"_s).toObject().value(u"code"_s).toString(), code);
        QVERIFY(!body.value(u"error"_s).toObject().value(u"message"_s).toString().isEmpty());
        verifyCommonHeaders(r);
    }

private slots:
    void initTestCase()
    {
        Router router;
        router.get(u"/api/ping"_s, [](const Request &) { return Response::ok(QJsonObject{{u"pong"_s, true}}); });
        router.post(u"/api/echo"_s, [](const Request &r) {
            return Response::ok(QJsonObject{{u"bytes"_s, r.body.size()}});
        });
        router.get(u"/api/slow"_s, [](const Request &) {
            QThread::msleep(300);
            return Response::ok(QJsonObject{{u"slow"_s, true}});
        }, Execution::Worker);
        router.get(u"/api/fail"_s, [](const Request &) {
            return Response::error(Error::internal(u"something went wrong"_s));
        });
        HttpServer::Options o;
        o.port = 0;
        o.ioThreads = 2;
        o.workerThreads = 2;
        o.maxBodyBytes = 1024;
        o.maxHeaderBytes = 1024;
        o.readTimeoutMs = 500;
        o.idleTimeoutMs = 800;
        o.accessLog = false;
        m_server = std::make_unique<HttpServer>(o, std::move(router), [](const Request &) {
            return Response::error(404, u"NOT_FOUND"_s, u"no such route"_s);
        });
        QVERIFY(m_server->start());
        QVERIFY(port() != 0);
    }

    void cleanupTestCase() { m_server->stop(1000); }

    void envelopeAndHeaders()
    {
        auto r = rawRequest(port(), get("/api/ping"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->header("content-type"), QByteArray("application/json"));
        const QJsonObject body = json(r->body);
        QCOMPARE(body.value(u"success"_s).toBool(), true);
        QCOMPARE(body.value(u"data"_s).toObject().value(u"pong"_s).toBool(), true);
        verifyCommonHeaders(*r);
        QVERIFY(!r->header("date").isEmpty());
    }

    void errorsHaveTheEnvelopeAndHeaders_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addRow("unknown route") << get("/api/nothing") << 404 << u"NOT_FOUND"_s;
        QTest::addRow("wrong method") << QByteArray("DELETE /api/ping HTTP/1.1\r\nHost: t\r\n\r\n") << 405 << u"METHOD_NOT_ALLOWED"_s;
        QTest::addRow("internal error") << get("/api/fail") << 500 << u"INTERNAL_ERROR"_s;
        QTest::addRow("malformed request line") << QByteArray("HELLO\r\n\r\n") << 400 << u"INVALID_REQUEST"_s;
        QTest::addRow("no host") << QByteArray("GET /api/ping HTTP/1.1\r\n\r\n") << 400 << u"INVALID_REQUEST"_s;
        QTest::addRow("http/2") << QByteArray("PRI * HTTP/2.0\r\n\r\n") << 505 << u"HTTP_VERSION_NOT_SUPPORTED"_s;
        QTest::addRow("smuggling") << QByteArray("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                                                 "Transfer-Encoding: chunked\r\n\r\nabc") << 400 << u"INVALID_REQUEST"_s;
    }

    void errorsHaveTheEnvelopeAndHeaders()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        QFETCH(QString, code);
        auto r = rawRequest(port(), request);
        QVERIFY(r);
        verifyErrorEnvelope(*r, status, code);
        if (status == 405)
            QCOMPARE(r->header("allow"), QByteArray("GET, HEAD"));
    }

    void requestIdIsHonouredOnlyWhenSane()
    {
        auto mine = rawRequest(port(), get("/api/ping", "X-Request-Id: lb-1234.abc_DEF\r\n"));
        QVERIFY(mine);
        QCOMPARE(mine->header("x-request-id"), QByteArray("lb-1234.abc_DEF"));
        auto odd = rawRequest(port(), get("/api/ping", "X-Request-Id: <script>\r\n"));
        QVERIFY(odd);
        QVERIFY(odd->header("x-request-id") != "<script>");
        QVERIFY(!odd->header("x-request-id").isEmpty());
        auto a = rawRequest(port(), get("/api/ping"));
        auto b = rawRequest(port(), get("/api/ping"));
        QVERIFY(a && b);
        QVERIFY(a->header("x-request-id") != b->header("x-request-id"));
    }

    void bodyWithinTheCapIsServed()
    {
        RawConnection c(port());
        QVERIFY(c.send("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" + QByteArray(1024, 'x')));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(json(r->body).value(u"data"_s).toObject().value(u"bytes"_s).toInt(), 1024);
    }

    void oversizedBodyIsRefusedBeforeItArrives()
    {
        RawConnection c(port());
        // Only the head is sent: the answer must not wait for 200 MB.
        QVERIFY(c.send("POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 209715200\r\n\r\n"));
        auto r = c.readResponse();
        QVERIFY(r);
        verifyErrorEnvelope(*r, 413, u"PAYLOAD_TOO_LARGE"_s);
        QCOMPARE(r->header("connection"), QByteArray("close"));
        QVERIFY(c.waitClosed());
    }

    void oversizedChunkedBodyIsRefused()
    {
        RawConnection c(port());
        QVERIFY(c.send("POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
        for (int i = 0; i < 3; ++i)
            c.send("200\r\n" + QByteArray(512, 'y') + "\r\n"); // 1536 bytes > 1024
        auto r = c.readResponse();
        QVERIFY(r);
        verifyErrorEnvelope(*r, 413, u"PAYLOAD_TOO_LARGE"_s);
        QVERIFY(c.waitClosed());
    }

    void oversizedHeadersAreRefused()
    {
        RawConnection c(port());
        QVERIFY(c.send("GET /api/ping HTTP/1.1\r\nHost: t\r\nCookie: " + QByteArray(4000, 'c') + "\r\n\r\n"));
        auto r = c.readResponse();
        QVERIFY(r);
        verifyErrorEnvelope(*r, 431, u"HEADERS_TOO_LARGE"_s);
        QVERIFY(c.waitClosed());
    }

    void halfSentRequestTimesOut()
    {
        RawConnection c(port());
        QVERIFY(c.send("GET /api/ping HTTP/1.1\r\nHost: t\r\n")); // never finished
        auto r = c.readResponse(10000);
        QVERIFY2(r, "a half-sent request must not hold its socket forever");
        verifyErrorEnvelope(*r, 408, u"REQUEST_TIMEOUT"_s);
        QVERIFY(c.waitClosed());
    }

    void idleKeepAliveConnectionIsClosed()
    {
        RawConnection c(port());
        QVERIFY(c.send(get("/api/ping")));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY2(c.waitClosed(10000), "an idle keep-alive connection must be closed after the idle timeout");
    }

    void keepAliveServesSeveralRequests()
    {
        RawConnection c(port());
        for (int i = 0; i < 5; ++i) {
            QVERIFY(c.send(get("/api/ping")));
            auto r = c.readResponse();
            QVERIFY(r);
            QCOMPARE(r->status, 200);
            QVERIFY(r->header("connection").isEmpty());
        }
    }

    void connectionCloseIsHonoured()
    {
        RawConnection c(port());
        QVERIFY(c.send(get("/api/ping", "Connection: close\r\n")));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->header("connection"), QByteArray("close"));
        QVERIFY(c.waitClosed(2000));
    }

    void http10ClosesByDefault()
    {
        RawConnection c(port());
        QVERIFY(c.send("GET /api/ping HTTP/1.0\r\n\r\n"));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(c.waitClosed(2000));
    }

    void headHasNoBody()
    {
        RawConnection c(port());
        QVERIFY(c.send("HEAD /api/ping HTTP/1.1\r\nHost: t\r\n\r\n"));
        auto head = c.readResponse(10000, false);
        QVERIFY(head);
        QCOMPARE(head->status, 200);
        QVERIFY(head->header("content-length").toInt() > 0);
        // Had a body been sent, it would now be read as the next status line.
        QVERIFY(c.send(get("/api/ping")));
        auto next = c.readResponse();
        QVERIFY(next);
        QCOMPARE(next->status, 200);
        QCOMPARE(next->body.size(), head->header("content-length").toInt());
    }

    void expectContinue()
    {
        RawConnection c(port());
        QVERIFY(c.send("POST /api/echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
        auto interim = c.readResponse(10000, false);
        QVERIFY(interim);
        QCOMPARE(interim->status, 100);
        QVERIFY(c.send("abcd"));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
    }

    // QTBUG-105202: a client gone before a slow reply is ready crashed Qt 6.4's
    // QFuture routes. Worker replies check the connection still exists.
    void clientLeavingDuringSlowWorkIsSafe()
    {
        for (int i = 0; i < 10; ++i) {
            RawConnection c(port());
            QVERIFY(c.send(get("/api/slow")));
        } // closed at once
        QThread::msleep(800);
        auto r = rawRequest(port(), get("/api/slow"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(json(r->body).value(u"data"_s).toObject().value(u"slow"_s).toBool(), true);
    }

    void pipelinedRequestsAnswerInOrder()
    {
        RawConnection c(port());
        QVERIFY(c.send(get("/api/slow") + get("/api/ping")));
        auto first = c.readResponse();
        QVERIFY(first);
        QVERIFY2(first->body.contains("slow"), first->body.constData());
        auto second = c.readResponse();
        QVERIFY2(second, "the second pipelined request must be answered too");
        QVERIFY2(second->body.contains("pong"), second->body.constData());
    }

    void connectionCapAnswers503()
    {
        // Its own server: long timeouts, so no held connection is closed as idle
        // while the test fills the cap.
        Router router;
        router.get(u"/api/ping"_s, [](const Request &) { return Response::ok(QJsonObject{{u"pong"_s, true}}); });
        HttpServer::Options o;
        o.ioThreads = 2;
        o.maxConnections = 16;
        o.accessLog = false;
        HttpServer server(o, std::move(router), [](const Request &) { return Response::error(Error::notFound(u"none"_s)); });
        QVERIFY(server.start());
        auto &metrics = server.metrics();
        std::vector<std::unique_ptr<RawConnection>> held;
        for (int i = 0; i < o.maxConnections; ++i) {
            held.push_back(std::make_unique<RawConnection>(server.port()));
            QVERIFY(held.back()->isConnected());
        }
        QTRY_COMPARE_WITH_TIMEOUT(metrics.openConnections.load(), o.maxConnections, 10000);
        RawConnection extra(server.port());
        auto r = extra.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 503);
        QCOMPARE(r->header("retry-after"), QByteArray("1"));
        QCOMPARE(json(r->body).value(u"error"_s).toObject().value(u"code"_s).toString(), u"SERVICE_UNAVAILABLE"_s);
        QVERIFY(extra.waitClosed());
        QCOMPARE(metrics.refusedConnections.load(), 1);
        // The held connections still work, and a freed slot is usable again.
        QVERIFY(held.front()->send(get("/api/ping")));
        auto fine = held.front()->readResponse();
        QVERIFY(fine);
        QCOMPARE(fine->status, 200);
        held.clear();
        QTRY_COMPARE_WITH_TIMEOUT(metrics.openConnections.load(), 0, 10000);
        auto after = rawRequest(server.port(), get("/api/ping"));
        QVERIFY(after);
        QCOMPARE(after->status, 200);
        server.stop(1000);
    }

    // Graceful stop: no new connections, but a request already being worked on is
    // answered (with Connection: close) before the threads go.
    void stopFinishesInFlightRequests()
    {
        Router router;
        router.get(u"/api/slow"_s, [](const Request &) {
            QThread::msleep(500);
            return Response::ok(QJsonObject{{u"finished"_s, true}});
        }, Execution::Worker);
        HttpServer::Options o;
        o.ioThreads = 2;
        o.accessLog = false;
        HttpServer server(o, std::move(router), [](const Request &) { return Response::error(Error::notFound(u"none"_s)); });
        QVERIFY(server.start());
        const quint16 serverPort = server.port();
        RawConnection c(serverPort);
        QVERIFY(c.send(get("/api/slow")));
        QTRY_COMPARE_WITH_TIMEOUT(server.metrics().inFlight.load(), 1, 5000);

        std::thread stopper([&] { server.stop(10000); });
        auto r = c.readResponse(10000);
        stopper.join();
        QVERIFY2(r, "the in-flight request must be answered before the server stops");
        QCOMPARE(r->status, 200);
        QCOMPARE(r->header("connection"), QByteArray("close"));
        QVERIFY(r->body.contains("finished"));
        RawConnection late(serverPort);
        QVERIFY2(!late.isConnected() || !late.readResponse(2000), "a stopped server accepts no new requests");
    }

    void metricsCountRoutesAndStatuses()
    {
        QVERIFY(rawRequest(port(), get("/api/ping")));
        const QByteArray text = m_server->metrics().render();
        QVERIFY(text.contains(R"(shopdesk_http_requests_total{route="/api/ping",method="GET",status="200"})"));
        QVERIFY(text.contains(R"(shopdesk_http_request_duration_seconds_bucket{route="/api/ping",method="GET",le="+Inf"})"));
        QVERIFY(text.contains("shopdesk_http_requests_rejected_total"));
        QVERIFY(text.contains("shopdesk_http_connections_open"));
        QVERIFY(text.contains("shopdesk_http_requests_in_flight 0"));
        QVERIFY(m_server->metrics().rejectedRequests.load() > 0);
    }
};

QTEST_GUILESS_MAIN(TestHttpCore)
#include "tst_httpcore.moc"
