#include "http/requestframer.h"

#include <QTest>

using namespace Qt::StringLiterals;
using shop::http::RequestFramer;

class TestRequestFramer : public QObject
{
    Q_OBJECT

private:
    static RequestFramer::Limits limits() { return {1000, 512}; }

private slots:
    void accepted_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("requests");
        QTest::addColumn<bool>("keepAlive"); // of the last request
        QTest::addRow("get") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r\n") << 1 << true;
        QTest::addRow("bare LF lines") << QByteArray("GET / HTTP/1.1\nHost: a\n\n") << 1 << true;
        QTest::addRow("connection close") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") << 1 << false;
        QTest::addRow("connection list") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n") << 1 << false;
        QTest::addRow("http/1.0 closes") << QByteArray("GET / HTTP/1.0\r\n\r\n") << 1 << false;
        QTest::addRow("http/1.0 keep-alive") << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") << 1 << true;
        QTest::addRow("body") << QByteArray("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello") << 1 << true;
        QTest::addRow("body at the cap") << (QByteArray("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n") + QByteArray(1000, 'x')) << 1 << true;
        QTest::addRow("chunked") << QByteArray("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                                               "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n") << 1 << true;
        QTest::addRow("pipelined") << QByteArray("GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\n"
                                                 "Content-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                                   << 3 << false;
        QTest::addRow("leading CRLF") << QByteArray("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") << 1 << true;
    }

    void accepted()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, requests);
        QFETCH(bool, keepAlive);
        // Whole, and one byte at a time: framing must not depend on how TCP splits it.
        for (const bool byteByByte : {false, true}) {
            RequestFramer framer(limits());
            bool ok = true;
            if (byteByByte) {
                for (char c : std::as_const(bytes))
                    ok = ok && framer.feed(QByteArrayView(&c, 1));
            } else {
                ok = framer.feed(bytes);
            }
            QVERIFY2(ok, framer.rejection() ? qPrintable(framer.rejection()->message) : "");
            QCOMPARE(framer.completed().size(), requests);
            QCOMPARE(framer.completed().last().keepAlive, keepAlive);
            QVERIFY(!framer.midRequest());
        }
    }

    void rejected_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QTest::addRow("body over the cap") << QByteArray("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n") << 413;
        QTest::addRow("huge content-length") << QByteArray("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 209715200\r\n\r\n") << 413;
        QTest::addRow("chunks over the cap") << (QByteArray("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                                                 + "3e8\r\n" + QByteArray(1000, 'x') + "\r\n1\r\n") << 413;
        QTest::addRow("headers over the cap") << (QByteArray("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ") + QByteArray(600, 'a')) << 431;
        QTest::addRow("request line over the cap") << (QByteArray("GET /") + QByteArray(600, 'a')) << 414;
        QTest::addRow("garbage") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::addRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") << 400;
        QTest::addRow("bad target") << QByteArray("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n") << 400;
        QTest::addRow("http/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << 505;
        QTest::addRow("not http") << QByteArray("GET / FTP/1.0\r\n\r\n") << 400;
        QTest::addRow("no host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
        QTest::addRow("two hosts") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400;
        QTest::addRow("length and chunked") << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                                          "Transfer-Encoding: chunked\r\n\r\n") << 400;
        QTest::addRow("conflicting lengths") << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                                           "Content-Length: 4\r\n\r\n") << 400;
        QTest::addRow("signed length") << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n") << 400;
        QTest::addRow("gzip coding") << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") << 501;
        QTest::addRow("folded header") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n") << 400;
        QTest::addRow("header without colon") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nBroken\r\n\r\n") << 400;
        QTest::addRow("bad chunk size") << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") << 400;
        QTest::addRow("control char in target") << QByteArray("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n") << 400;
        QTest::addRow("odd expectation") << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n") << 417;
    }

    void rejected()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        RequestFramer framer(limits());
        QVERIFY(!framer.feed(bytes));
        QVERIFY(framer.rejection());
        QCOMPARE(framer.rejection()->status, status);
        QVERIFY(!framer.rejection()->message.isEmpty());
        // Once refused, the stream stays refused.
        QVERIFY(!framer.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    }

    void partialRequestIsMidRequest()
    {
        RequestFramer framer(limits());
        QVERIFY(framer.feed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"));
        QVERIFY(framer.midRequest());
        QVERIFY(framer.completed().isEmpty());
        QVERIFY(framer.feed("defghij"));
        QVERIFY(!framer.midRequest());
        QCOMPARE(framer.completed().size(), 1);
        QCOMPARE(framer.completed().first().contentLength, 10);
    }

    void expectContinueIsReported()
    {
        RequestFramer framer(limits());
        QVERIFY(framer.feed("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
        QVERIFY(framer.takeContinueRequest());
        QVERIFY(!framer.takeContinueRequest());
        QVERIFY(framer.feed("abcd"));
        QCOMPARE(framer.completed().size(), 1);
    }

    void headIsRemembered()
    {
        RequestFramer framer(limits());
        QVERIFY(framer.feed("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"));
        QCOMPARE(framer.completed().first().method, QByteArray("HEAD"));
        QCOMPARE(framer.completed().first().target, QByteArray("/x"));
    }
};

QTEST_APPLESS_MAIN(TestRequestFramer)
#include "tst_requestframer.moc"
