// HTTPS over real sockets: the TLS listener (handshake, HSTS and the security headers,
// keep-alive, worker routes, refusals, plain HTTP or a stalled handshake on the TLS
// port), the plain listener that redirects to it, the self-signed certificate maker,
// loading and checking a certificate and key, the configuration rules, and a whole
// Runtime serving https:// with its Secure refresh cookie.

#include "core/config.h"
#include "http/server.h"
#include "http/tlsconfig.h"
#include "rawhttp.h"
#include "shop/runtime.h"
#include "testcluster.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <memory>
#include <string_view>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::http;
using test::RawConnection;
using test::RawResponse;

namespace {

QByteArray get(const QByteArray &path, const QByteArray &host = "localhost", const QByteArray &extra = {})
{
    return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n";
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

mode_t modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

quint16 freePort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

// A certificate for localhost made here, not by the code under test: a key of the
// given type and a validity that may already have ended. {certificate PEM, key PEM}.
std::pair<QByteArray, QByteArray> makeCertificate(const char *keyType, long notBeforeSeconds, long notAfterSeconds)
{
    EVP_PKEY *key = std::string_view(keyType) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048))
                                                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509 *certificate = X509_new();
    X509_set_version(certificate, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate), notBeforeSeconds);
    X509_gmtime_adj(X509_getm_notAfter(certificate), notAfterSeconds);
    X509_set_pubkey(certificate, key);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("localhost"), -1,
                               -1, 0);
    X509_set_issuer_name(certificate, name);
    X509_sign(certificate, key, EVP_sha256());
    const auto pem = [](auto write) {
        BIO *bio = BIO_new(BIO_s_mem());
        write(bio);
        char *data = nullptr;
        const long size = BIO_get_mem_data(bio, &data);
        QByteArray out(data, qsizetype(size));
        BIO_free(bio);
        return out;
    };
    const QByteArray certificatePem = pem([&](BIO *bio) { PEM_write_bio_X509(bio, certificate); });
    // The traditional ("BEGIN RSA/EC PRIVATE KEY") form, as many tools still write it.
    const QByteArray keyPem = pem([&](BIO *bio) {
        PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    });
    X509_free(certificate);
    EVP_PKEY_free(key);
    return {certificatePem, keyPem};
}

// A blocking HTTPS client that trusts exactly one certificate.
class TlsClient
{
public:
    TlsClient(quint16 port, const QSslCertificate &trusted, const QString &peerName = {})
    {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates({trusted});
        tls.setProtocol(QSsl::TlsV1_2OrLater);
        tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
        m_socket.setSslConfiguration(tls);
        if (!peerName.isEmpty())
            m_socket.setPeerVerifyName(peerName);
        m_socket.connectToHostEncrypted(u"127.0.0.1"_s, port);
        m_socket.waitForEncrypted(10000);
    }

    bool isEncrypted() const { return m_socket.isEncrypted(); }
    QString why() const
    {
        QStringList errors;
        for (const QSslError &e : m_socket.sslHandshakeErrors())
            errors.append(e.errorString());
        errors.append(m_socket.errorString());
        return errors.join(u"; "_s);
    }
    QSslSocket &socket() { return m_socket; }

    bool send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        while (m_socket.bytesToWrite() > 0) {
            if (!m_socket.waitForBytesWritten(10000))
                return false;
        }
        return true;
    }

    std::optional<RawResponse> readResponse(int timeoutMs = 10000)
    {
        QElapsedTimer timer;
        timer.start();
        qsizetype end = -1;
        while ((end = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (!fill(timeoutMs - int(timer.elapsed())))
                return std::nullopt;
        }
        RawResponse r;
        r.head = m_buffer.left(end);
        const QList<QByteArray> lines = r.head.split('\n');
        r.status = lines.first().trimmed().split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            if (const qsizetype colon = line.indexOf(':'); colon > 0)
                r.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
        }
        m_buffer.remove(0, end + 4);
        const qint64 length = r.header("content-length").toLongLong();
        while (m_buffer.size() < length) {
            if (!fill(timeoutMs - int(timer.elapsed())))
                return std::nullopt;
        }
        r.body = m_buffer.left(length);
        m_buffer.remove(0, length);
        return r;
    }

    // True once the server has closed the connection within the time.
    bool waitClosed(int timeoutMs = 10000)
    {
        QElapsedTimer timer;
        timer.start();
        while (m_socket.state() != QAbstractSocket::UnconnectedState) {
            if (timer.elapsed() > timeoutMs)
                return false;
            m_socket.waitForReadyRead(100);
            m_buffer += m_socket.readAll();
        }
        return true;
    }

private:
    bool fill(int timeoutMs)
    {
        if (timeoutMs <= 0)
            return false;
        if (m_socket.bytesAvailable() == 0)
            m_socket.waitForReadyRead(timeoutMs);
        const QByteArray more = m_socket.readAll();
        m_buffer += more;
        return !more.isEmpty();
    }

    QSslSocket m_socket;
    QByteArray m_buffer;
};

} // namespace

class TestHttps : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    CertificateFiles m_files;
    QSslCertificate m_certificate;
    std::unique_ptr<HttpServer> m_server;
    quint16 m_redirectPort = 0;

    quint16 port() const { return m_server->port(); }

    static void verifySecurityHeaders(const RawResponse &r)
    {
        QVERIFY2(!r.header("x-request-id").isEmpty(), r.head.constData());
        QCOMPARE(r.header("x-content-type-options"), QByteArray("nosniff"));
        QCOMPARE(r.header("x-frame-options"), QByteArray("DENY"));
        QVERIFY(r.header("content-security-policy").contains("script-src 'self'"));
        QVERIFY(!r.header("referrer-policy").isEmpty());
        QVERIFY(!r.header("permissions-policy").isEmpty());
    }

    // Every connection the earlier cases opened is gone on the server too.
    void waitForNoConnections()
    {
        QTRY_COMPARE_WITH_TIMEOUT(m_server->metrics().openConnections.load(), 0, 10000);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto files = ensureSelfSignedCertificate(m_dir.filePath(u"tls"_s));
        QVERIFY2(files, files ? "" : qPrintable(files.error().message()));
        m_files = *files;
        auto tls = loadServerTls(m_files.certificate, m_files.key);
        QVERIFY2(tls, tls ? "" : qPrintable(tls.error().message()));
        m_certificate = tls->localCertificate();
        QVERIFY(!m_certificate.isNull());

        Router router;
        router.get(u"/api/ping"_s, [](const Request &) { return Response::ok(QJsonObject{{u"pong"_s, true}}); });
        router.get(u"/api/slow"_s, [](const Request &) {
            QThread::msleep(50);
            return Response::ok(QJsonObject{{u"slow"_s, true}});
        }, Execution::Worker);
        router.post(u"/api/echo"_s, [](const Request &r) {
            return Response::ok(QJsonObject{{u"bytes"_s, r.body.size()}});
        });
        HttpServer::Options o;
        o.port = 0;
        o.ioThreads = 2;
        o.workerThreads = 2;
        o.maxBodyBytes = 1024;
        o.readTimeoutMs = 400;
        o.idleTimeoutMs = 60000; // far beyond the read timeout: it never closes a stalled handshake here
        o.accessLog = false;
        o.tls = *tls;
        o.httpRedirectPort = freePort();
        QVERIFY(o.httpRedirectPort != 0);
        m_server = std::make_unique<HttpServer>(o, std::move(router), [](const Request &) {
            return Response::error(404, u"NOT_FOUND"_s, u"no such route"_s);
        });
        auto started = m_server->start();
        QVERIFY2(started, started ? "" : qPrintable(started.error().message()));
        m_redirectPort = m_server->redirectPort();
        QCOMPARE(m_redirectPort, o.httpRedirectPort);
    }

    void cleanupTestCase()
    {
        if (m_server)
            m_server->stop(1000);
    }

    void servesOverTlsWithHstsAndSecurityHeaders_data()
    {
        QTest::addColumn<QString>("peerName");
        QTest::addRow("by address") << QString(); // verified against IP:127.0.0.1
        QTest::addRow("as localhost") << u"localhost"_s;
    }

    void servesOverTlsWithHstsAndSecurityHeaders()
    {
        QFETCH(QString, peerName);
        TlsClient client(port(), m_certificate, peerName);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        QVERIFY(client.socket().sessionProtocol() >= QSsl::TlsV1_2);
        QVERIFY(client.send(get("/api/ping")));
        auto r = client.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        const QJsonObject body = QJsonDocument::fromJson(r->body).object();
        QCOMPARE(body.value(u"data"_s).toObject().value(u"pong"_s).toBool(), true);
        QCOMPARE(r->header("strict-transport-security"), QByteArray("max-age=31536000"));
        verifySecurityHeaders(*r);
    }

    void keepAliveCarriesSeveralRequests()
    {
        TlsClient client(port(), m_certificate);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        QVERIFY(client.send(get("/api/ping")));
        auto first = client.readResponse();
        QVERIFY(first);
        QCOMPARE(first->status, 200);
        QVERIFY(first->header("connection").isEmpty());
        QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
        // The second one goes to the worker pool and comes back on the I/O thread.
        QVERIFY(client.send(get("/api/slow")));
        auto second = client.readResponse();
        QVERIFY(second);
        QCOMPARE(second->status, 200);
        QCOMPARE(QJsonDocument::fromJson(second->body).object().value(u"data"_s).toObject().value(u"slow"_s).toBool(),
                 true);
        QCOMPARE(second->header("strict-transport-security"), QByteArray("max-age=31536000"));
        QVERIFY(first->header("x-request-id") != second->header("x-request-id"));
        // Pipelined: two requests in one write, two answers in order.
        QVERIFY(client.send(get("/api/slow") + get("/api/ping", "localhost", "Connection: close\r\n")));
        auto third = client.readResponse();
        auto fourth = client.readResponse();
        QVERIFY(third && fourth);
        QVERIFY(third->body.contains("slow"));
        QVERIFY(fourth->body.contains("pong"));
        QCOMPARE(fourth->header("connection"), QByteArray("close"));
        QVERIFY(client.waitClosed());
    }

    void refusalsOverTlsAreAnsweredAndClosed()
    {
        TlsClient client(port(), m_certificate);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        // Larger than maxBodyBytes: 413 at once, then a lingering close (close_notify,
        // then the rest of the body is read and discarded, not answered with a reset).
        QVERIFY(client.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n"
                            + QByteArray(2000, 'x')));
        QTest::qWait(100);
        client.send(QByteArray(3000, 'y')); // may already see the end: the answer must survive it
        auto r = client.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 413);
        QCOMPARE(r->header("strict-transport-security"), QByteArray("max-age=31536000"));
        verifySecurityHeaders(*r);
        QVERIFY(client.waitClosed());
    }

    void slowRequestOverTlsGets408()
    {
        TlsClient client(port(), m_certificate);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        QVERIFY(client.send("GET /api/ping HTTP/1.1\r\nHost: local"));
        auto r = client.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 408);
        QVERIFY(client.waitClosed());
    }

    void plainHttpOnTheTlsPortIsDropped()
    {
        waitForNoConnections();
        const int acceptedBefore = int(m_server->metrics().acceptedConnections.load());
        RawConnection plain(port());
        QVERIFY(plain.isConnected());
        QVERIFY(plain.send(get("/api/ping")));
        // No HTTP answer: the handshake fails and the server closes the connection.
        QVERIFY(plain.waitClosed());
        waitForNoConnections();
        QVERIFY(int(m_server->metrics().acceptedConnections.load()) > acceptedBefore);
        // The I/O threads are fine: the next client is served.
        TlsClient client(port(), m_certificate);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        QVERIFY(client.send(get("/api/ping")));
        auto r = client.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
    }

    void stalledHandshakeIsDroppedAfterTheReadTimeout_data()
    {
        QTest::addColumn<QByteArray>("sent");
        QTest::addRow("nothing at all") << QByteArray();
        // A handshake record header announcing 512 bytes, then one of them.
        QTest::addRow("half a client hello") << QByteArray("\x16\x03\x01\x02\x00\x01", 6);
    }

    void stalledHandshakeIsDroppedAfterTheReadTimeout()
    {
        QFETCH(QByteArray, sent);
        waitForNoConnections();
        RawConnection stalled(port());
        QVERIFY(stalled.isConnected());
        if (!sent.isEmpty())
            QVERIFY(stalled.send(sent));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->metrics().openConnections.load(), 1, 10000);
        // Closed by the read timeout (400 ms here), long before the idle timeout (60 s).
        QVERIFY(stalled.waitClosed(30000));
        waitForNoConnections();
        TlsClient client(port(), m_certificate);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        QVERIFY(client.send(get("/api/ping")));
        auto r = client.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
    }

    void redirectListenerSendsEveryRequestToHttps_data()
    {
        const QByteArray tls = QByteArray::number(port());
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QByteArray>("location");
        QTest::addRow("root") << get("/", "localhost:" + QByteArray::number(m_redirectPort))
                              << "https://localhost:" + tls + "/";
        QTest::addRow("path and query") << get("/api/products?page=2&sort=price", "shop.example")
                                        << "https://shop.example:" + tls + "/api/products?page=2&sort=price";
        QTest::addRow("encoded bytes stay encoded")
            << get("/assets/a%20b%2Fc.css?q=x%26y", "127.0.0.1:80")
            << "https://127.0.0.1:" + tls + "/assets/a%20b%2Fc.css?q=x%26y";
        QTest::addRow("IPv6 literal") << get("/x", "[::1]:8080") << "https://[::1]:" + tls + "/x";
        QTest::addRow("POST stays a POST (308)")
            << QByteArray("POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}")
            << "https://localhost:" + tls + "/api/auth/login";
    }

    void redirectListenerSendsEveryRequestToHttps()
    {
        QFETCH(QByteArray, request);
        QFETCH(QByteArray, location);
        auto r = test::rawRequest(m_redirectPort, request);
        QVERIFY(r);
        QCOMPARE(r->status, 308);
        QCOMPARE(r->header("location"), location);
        QVERIFY(r->body.contains(location));
        QVERIFY(r->body.size() < 200);
        QVERIFY(r->header("content-type").startsWith("text/plain"));
        QVERIFY2(r->header("strict-transport-security").isEmpty(), r->head.constData());
        verifySecurityHeaders(*r);
    }

    void redirectListenerRefusesABadHost_data()
    {
        QTest::addColumn<QByteArray>("host");
        QTest::addRow("slash") << QByteArray("evil.example/x");
        QTest::addRow("userinfo") << QByteArray("user@evil.example");
        QTest::addRow("punctuation") << QByteArray("shop$.example");
        QTest::addRow("port not a number") << QByteArray("localhost:80x");
        QTest::addRow("bad IPv6 literal") << QByteArray("[::1/evil]");
    }

    void redirectListenerRefusesABadHost()
    {
        QFETCH(QByteArray, host);
        auto r = test::rawRequest(m_redirectPort, get("/", host));
        QVERIFY(r);
        QCOMPARE(r->status, 400);
        QVERIFY(r->header("location").isEmpty());
        QVERIFY(r->header("strict-transport-security").isEmpty());
        verifySecurityHeaders(*r);
    }

    void selfSignedCertificateIsMadeOnceWithItsNames()
    {
        QTemporaryDir dir;
        const QString tlsDir = dir.filePath(u"tls"_s);
        auto made = ensureSelfSignedCertificate(tlsDir);
        QVERIFY2(made, made ? "" : qPrintable(made.error().message()));
        QCOMPARE(modeOf(made->key), mode_t(0600));
        QCOMPARE(modeOf(tlsDir), mode_t(0700));
        const QByteArray certificatePem = readAll(made->certificate);
        const QByteArray keyPem = readAll(made->key);
        QVERIFY(certificatePem.startsWith("-----BEGIN CERTIFICATE-----"));
        QVERIFY(keyPem.contains("PRIVATE KEY-----"));

        const QSslCertificate certificate(certificatePem, QSsl::Pem);
        QVERIFY(!certificate.isNull());
        QVERIFY(certificate.isSelfSigned());
        QCOMPARE(certificate.subjectInfo(QSslCertificate::CommonName), QStringList{u"localhost"_s});
        const auto names = certificate.subjectAlternativeNames();
        QVERIFY(names.values(QSsl::DnsEntry).contains(u"localhost"_s));
        QVERIFY(names.values(QSsl::IpAddressEntry).contains(u"127.0.0.1"_s));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QVERIFY(certificate.effectiveDate() <= now);
        QVERIFY(certificate.expiryDate() > now.addDays(364));
        QVERIFY(certificate.expiryDate() <= now.addDays(366));

        // Reused as it is, even with its key's mode widened meanwhile (then narrowed).
        QVERIFY(QFile::setPermissions(made->key, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        auto again = ensureSelfSignedCertificate(tlsDir);
        QVERIFY(again);
        QCOMPARE(readAll(again->certificate), certificatePem);
        QCOMPARE(readAll(again->key), keyPem);
        QCOMPARE(modeOf(again->key), mode_t(0600));
        QVERIFY(loadServerTls(again->certificate, again->key));
    }

    void selfSignedCertificateIsMadeAgain_data()
    {
        QTest::addColumn<QByteArray>("certificate");
        QTest::addColumn<QByteArray>("key");
        const auto expired = makeCertificate("EC", -3 * 86'400, -86'400);
        QTest::addRow("expired") << expired.first << expired.second;
        const auto ending = makeCertificate("EC", -86'400, 3600);
        QTest::addRow("ends within a day") << ending.first << ending.second;
        const auto one = makeCertificate("EC", -60, 86'400 * 30);
        const auto other = makeCertificate("EC", -60, 86'400 * 30);
        QTest::addRow("key of another certificate") << one.first << other.second;
        QTest::addRow("garbage") << QByteArray("not a certificate") << QByteArray("not a key");
    }

    void selfSignedCertificateIsMadeAgain()
    {
        QFETCH(QByteArray, certificate);
        QFETCH(QByteArray, key);
        QTemporaryDir dir;
        QVERIFY(QDir().mkpath(dir.filePath(u"tls"_s)));
        QVERIFY(writeAll(dir.filePath(u"tls/cert.pem"_s), certificate));
        QVERIFY(writeAll(dir.filePath(u"tls/key.pem"_s), key));
        auto made = ensureSelfSignedCertificate(dir.filePath(u"tls"_s));
        QVERIFY2(made, made ? "" : qPrintable(made.error().message()));
        QVERIFY(readAll(made->certificate) != certificate);
        QCOMPARE(modeOf(made->key), mode_t(0600));
        const QSslCertificate fresh(readAll(made->certificate), QSsl::Pem);
        QVERIFY(fresh.expiryDate() > QDateTime::currentDateTimeUtc().addDays(364));
        QVERIFY(loadServerTls(made->certificate, made->key));
    }

    void operatorPairsLoad_data()
    {
        QTest::addColumn<QByteArray>("keyType");
        QTest::addColumn<int>("algorithm");
        QTest::addRow("RSA 2048") << QByteArray("RSA") << int(QSsl::Rsa);
        QTest::addRow("EC P-256") << QByteArray("EC") << int(QSsl::Ec);
    }

    void operatorPairsLoad()
    {
        QFETCH(QByteArray, keyType);
        QFETCH(int, algorithm);
        QTemporaryDir dir;
        const auto [certificate, key] = makeCertificate(keyType.constData(), -60, 86'400 * 90);
        QVERIFY(writeAll(dir.filePath(u"c.pem"_s), certificate));
        QVERIFY(writeAll(dir.filePath(u"k.pem"_s), key));
        auto tls = loadServerTls(dir.filePath(u"c.pem"_s), dir.filePath(u"k.pem"_s));
        QVERIFY2(tls, tls ? "" : qPrintable(tls.error().message()));
        QCOMPARE(int(tls->privateKey().algorithm()), algorithm);
        QCOMPARE(tls->localCertificate(), QSslCertificate(certificate, QSsl::Pem));
        QCOMPARE(tls->protocol(), QSsl::TlsV1_2OrLater);
    }

    void badPairsAreClearErrors_data()
    {
        QTest::addColumn<QString>("certificateFile");
        QTest::addColumn<QString>("keyFile");
        QTest::addColumn<QString>("message");
        QTest::addRow("key of another certificate") << u"a/cert.pem"_s << u"b/key.pem"_s << u"does not belong"_s;
        QTest::addRow("certificate missing") << u"none.pem"_s << u"a/key.pem"_s << u"cannot be read"_s;
        QTest::addRow("key missing") << u"a/cert.pem"_s << u"none.pem"_s << u"cannot be read"_s;
        QTest::addRow("not a certificate") << u"a/key.pem"_s << u"a/key.pem"_s << u"no PEM certificate"_s;
        QTest::addRow("not a key") << u"a/cert.pem"_s << u"a/cert.pem"_s << u"no PEM private key"_s;
    }

    void badPairsAreClearErrors()
    {
        QFETCH(QString, certificateFile);
        QFETCH(QString, keyFile);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(ensureSelfSignedCertificate(dir.filePath(u"a"_s)));
        QVERIFY(ensureSelfSignedCertificate(dir.filePath(u"b"_s)));
        auto tls = loadServerTls(dir.filePath(certificateFile), dir.filePath(keyFile));
        QVERIFY(!tls);
        QVERIFY2(tls.error().message().contains(message), qPrintable(tls.error().message()));
        // The same error stops a start from the configuration.
        Config config;
        config.tlsCertFile = dir.filePath(certificateFile);
        config.tlsKeyFile = dir.filePath(keyFile);
        auto fromConfig = serverTlsFromConfig(config);
        QVERIFY(!fromConfig);
        QCOMPARE(fromConfig.error().message(), tls.error().message());
    }

    void configurationRules_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QStringList>("environment");
        QTest::addColumn<QString>("error"); // empty: accepted
        QTest::addRow("certificate without key") << QStringList{u"--tls-cert"_s, u"/x/cert.pem"_s} << QStringList()
                                                 << u"give both or neither"_s;
        QTest::addRow("key without certificate (environment)")
            << QStringList() << QStringList{u"SHOPDESK_TLS_KEY=/x/key.pem"_s} << u"give both or neither"_s;
        QTest::addRow("both") << QStringList{u"--tls-cert"_s, u"/x/c.pem"_s, u"--tls-key=/x/k.pem"_s}
                              << QStringList() << QString();
        QTest::addRow("self-signed and files") << QStringList{u"--tls-self-signed"_s, u"--tls-cert"_s, u"c"_s,
                                                              u"--tls-key"_s, u"k"_s}
                                               << QStringList() << u"exclude each other"_s;
        QTest::addRow("redirect without TLS") << QStringList{u"--http-redirect-port"_s, u"8081"_s} << QStringList()
                                              << u"needs HTTPS"_s;
        QTest::addRow("redirect on the HTTPS port")
            << QStringList{u"--tls-self-signed"_s, u"--port"_s, u"8443"_s, u"--http-redirect-port"_s, u"8443"_s}
            << QStringList() << u"must differ"_s;
        QTest::addRow("redirect port out of range")
            << QStringList{u"--tls-self-signed"_s, u"--http-redirect-port"_s, u"70000"_s} << QStringList()
            << u"http-redirect-port"_s;
        QTest::addRow("self-signed switch takes no value")
            << QStringList{u"--tls-self-signed"_s, u"--port"_s, u"8443"_s, u"--http-redirect-port"_s, u"8080"_s}
            << QStringList() << QString();
        QTest::addRow("self-signed from the environment")
            << QStringList{u"--http-redirect-port"_s, u"8080"_s}
            << QStringList{u"SHOPDESK_TLS_SELF_SIGNED=1"_s, u"PORT=8443"_s} << QString();
    }

    void configurationRules()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QStringList, environment);
        QFETCH(QString, error);
        QProcessEnvironment env;
        for (const QString &pair : std::as_const(environment))
            env.insert(pair.section(u'=', 0, 0), pair.section(u'=', 1));
        auto config = ConfigLoader::load(arguments, env, QString(), m_dir.path());
        if (!error.isEmpty()) {
            QVERIFY(!config);
            QVERIFY2(config.error().message().contains(error), qPrintable(config.error().message()));
            return;
        }
        QVERIFY2(config, config ? "" : qPrintable(config.error().message()));
        QVERIFY(config->tlsEnabled());
        QVERIFY(config->command.isEmpty());
        if (arguments.contains(u"--port"_s) || environment.contains(u"PORT=8443"_s))
            QCOMPARE(config->port, quint16(8443));
        if (arguments.contains(u"--http-redirect-port"_s))
            QCOMPARE(config->httpRedirectPort, quint16(8080));
    }

    void usageNamesTheTlsOptions()
    {
        const QString usage = ConfigLoader::usage();
        for (const char *name : {"--tls-cert <file>", "--tls-key <file>", "SHOPDESK_TLS_SELF_SIGNED",
                                 "--http-redirect-port <port>"})
            QVERIFY2(usage.contains(QLatin1String(name)), name);
        QVERIFY(!usage.contains(u"--tls-self-signed <"_s));
    }

    // The whole shop: self-signed HTTPS from the configuration, its URL, a Secure cookie.
    void runtimeServesHttps()
    {
        test::TestCluster cluster;
        QVERIFY2(cluster.start(), qPrintable(cluster.errorString()));
        QTemporaryDir data;
        Config config;
        config.dataDir = data.path();
        config.databaseUrl = cluster.createDatabase(u"https"_s).toUri();
        config.port = 0;
        config.ioThreads = 1;
        config.accessLog = false;
        config.bcryptCost = 10;
        config.tlsSelfSigned = true;
        Runtime runtime(config);
        auto ok = runtime.start();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
        QVERIFY2(runtime.url().startsWith(u"https://127.0.0.1:"_s), qPrintable(runtime.url()));
        QCOMPARE(modeOf(data.filePath(u"tls/key.pem"_s)), mode_t(0600));
        const QSslCertificate certificate(readAll(data.filePath(u"tls/cert.pem"_s)), QSsl::Pem);
        const quint16 httpsPort = runtime.http()->port();

        TlsClient client(httpsPort, certificate);
        QVERIFY2(client.isEncrypted(), qPrintable(client.why()));
        QVERIFY(client.send(get("/api/health")));
        auto health = client.readResponse();
        QVERIFY(health);
        QCOMPARE(health->status, 200);
        QCOMPARE(health->header("strict-transport-security"), QByteArray("max-age=31536000"));

        const QByteArray body = R"({"email":"tls@example.com","password":"correct horse battery",)"
                                R"("first_name":"T","last_name":"L"})";
        QVERIFY(client.send("POST /api/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body));
        auto registered = client.readResponse(30000);
        QVERIFY(registered);
        QCOMPARE(registered->status, 201);
        const QByteArray cookie = registered->header("set-cookie");
        QVERIFY2(cookie.startsWith("shopdesk_refresh=") && cookie.contains("; Secure"), cookie.constData());
        runtime.stop();
    }
};

QTEST_GUILESS_MAIN(TestHttps)
#include "tst_https.moc"
