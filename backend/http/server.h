#pragma once

#include "core/result.h"
#include "metrics.h"
#include "router.h"

#include <QHostAddress>
#include <QList>
#include <QSslConfiguration>

#include <atomic>
#include <memory>
#include <optional>

class QThreadPool;

namespace shop::http {

class IoThread;

// The HTTP front: one QHttpServer per I/O thread, each bound to its own SO_REUSEPORT
// socket with a large backlog (DESIGN.md "Threading"), and a bounded worker pool for
// slow handlers. The connection layer (server_p.h) closes Qt 6.4's gaps: size caps,
// read and idle timeouts, the connection cap, Connection: close, HEAD. With
// Options::tls the same layer runs over TLS.
class HttpServer
{
public:
    struct Options
    {
        QHostAddress address = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 0;
        int ioThreads = 2;
        int workerThreads = 4;
        int workerQueueLimit = 256;
        qint64 maxBodyBytes = 1 << 20;
        int maxHeaderBytes = 16 * 1024;
        int maxConnections = 20000;
        int readTimeoutMs = 15000;
        int idleTimeoutMs = 60000;
        int backlog = 4096;
        bool accessLog = true;
        // The storefront may load Stripe.js: the CSP lets in js.stripe.com (script,
        // frames) and api.stripe.com (connect), and nothing else more.
        bool stripeJs = false;
        // Origins (scheme://host[:port]) whose pages may call the API from a browser,
        // with credentials. Empty: same-origin only. Never "*" (DESIGN.md).
        QList<QByteArray> corsOrigins;
        // HTTPS (tlsconfig.h): every connection is a QSslSocket that starts the server
        // handshake at once (which must finish within readTimeoutMs), and every
        // response carries HSTS. Unset: plain HTTP, no TLS code on the path.
        std::optional<QSslConfiguration> tls;
        // With tls: a plain listener on this port (same address) whose every answer is
        // a 308 to the same path and query over HTTPS. 0: none.
        quint16 httpRedirectPort = 0;
        // Makes this server that redirect listener: every request gets a 308 to HTTPS
        // on this port. Set by start() on the listener it makes for httpRedirectPort.
        quint16 redirectToHttpsPort = 0;
    };

    // Called on the I/O thread before it ends (e.g. to close its database connection).
    using ThreadExitHook = std::function<void()>;

    HttpServer(Options options, Router router, Handler fallback);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    void setThreadExitHook(ThreadExitHook hook) { m_threadExitHook = std::move(hook); }

    Status start();
    // Stops accepting, lets in-flight requests finish (up to drainTimeoutMs), closes
    // every connection and joins the threads.
    void stop(int drainTimeoutMs = 10000);

    quint16 port() const { return m_port; }
    // The plain port that redirects to HTTPS (Options::httpRedirectPort); 0 when none.
    quint16 redirectPort() const;
    const Options &options() const { return m_options; }
    HttpMetrics &metrics() { return *m_metrics; }
    const Router &router() const { return m_router; }
    const Handler &fallback() const { return m_fallback; }
    QThreadPool &workers() { return *m_workers; }
    const ThreadExitHook &threadExitHook() const { return m_threadExitHook; }

    // Set while stopping: every response then carries Connection: close.
    bool draining() const { return m_draining.load(std::memory_order_relaxed); }
    // A slot in the worker queue; false when the queue is full (-> 503).
    bool reserveWorkerSlot();
    void releaseWorkerSlot();
    int queuedWork() const { return m_queuedWork.load(); }

    // Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
    static qint64 raiseFileLimit();

private:
    Options m_options;
    Router m_router;
    Handler m_fallback;
    ThreadExitHook m_threadExitHook;
    std::unique_ptr<HttpMetrics> m_metrics;
    std::unique_ptr<QThreadPool> m_workers;
    std::vector<std::unique_ptr<IoThread>> m_threads;
    std::unique_ptr<HttpServer> m_redirect; // the httpRedirectPort listener
    std::atomic<bool> m_draining{false};
    std::atomic<int> m_queuedWork{0};
    quint16 m_port = 0;
    bool m_running = false;
};

} // namespace shop::http
