#pragma once

#include "core/config.h"
#include "core/result.h"

#include <QDateTime>
#include <QString>

#include <memory>

namespace shop::db {
class Database;
class LocalCluster;
class NotificationListener;
class ReadinessProbe;
} // namespace shop::db

namespace shop::auth {
class AuthService;
class RateLimiter;
class TokenSigner;
class UserAdmin;
} // namespace shop::auth

namespace shop::catalog {
class CatalogCache;
class CatalogEvents;
class CatalogService;
} // namespace shop::catalog

namespace shop::mail {
class OutboxDispatcher;
}

namespace shop::orders {
class CartService;
class ExpiryJob;
class OrderService;
} // namespace shop::orders

namespace shop::payments {
class PaymentProvider;
class StripeWebhook;
} // namespace shop::payments

namespace shop::http {
class HttpServer;
struct AuthRoutesContext;
struct CatalogRoutesContext;
struct HealthContext;
struct OrderRoutesContext;
struct PaymentRoutesContext;
} // namespace shop::http

namespace shop {

// Wires one running shop: config -> database (embedded cluster or DATABASE_URL) ->
// migrations -> HTTP. The headless server and the desktop app both run one.
class Runtime
{
public:
    explicit Runtime(Config config);
    ~Runtime();
    Runtime(const Runtime &) = delete;
    Runtime &operator=(const Runtime &) = delete;

    // Database and migrations only (the "migrate" command stops here).
    Status openDatabase();
    // openDatabase() if needed, then the HTTP server.
    Status start();
    // Graceful: drain HTTP, close connections, stop the embedded cluster.
    void stop();
    // For a process that is exiting without unwinding (Qt's xcb plugin calls exit()
    // when the display goes away): stop the embedded cluster only, touching nothing
    // that other threads may hold.
    void stopClusterOnExit();

    const Config &config() const { return m_config; }
    db::Database *database() const { return m_database.get(); }
    http::HttpServer *http() const { return m_http.get(); }
    db::LocalCluster *cluster() const { return m_cluster.get(); }
    // Valid after openDatabase(). The desktop views call the service off the GUI
    // thread and refresh on catalogEvents()->changed (queued).
    catalog::CatalogService *catalog() const { return m_catalog.get(); }
    catalog::CatalogEvents *catalogEvents() const { return m_catalogEvents.get(); }
    catalog::CatalogCache *catalogCache() const { return m_catalogCache.get(); }
    // Valid after openDatabase().
    auth::AuthService *auth() const { return m_auth.get(); }
    auth::UserAdmin *userAdmin() const { return m_userAdmin.get(); }
    // Valid after openDatabase(). Order changes from any instance arrive as
    // catalogEvents()->changed("orders", ids).
    orders::OrderService *orders() const { return m_orders.get(); }
    orders::CartService *carts() const { return m_carts.get(); }
    payments::PaymentProvider *paymentProvider() const { return m_paymentProvider.get(); }

    QString url() const;               // e.g. http://127.0.0.1:8080/
    QString databaseLocation() const;  // embedded cluster directory or the redacted server
    bool embeddedDatabase() const { return m_cluster != nullptr; }
    QDateTime startedAt() const { return m_startedAt; }
    QList<int> appliedMigrations() const { return m_applied; }

private:
    Status startCatalogListener();

    Config m_config;
    QDateTime m_startedAt;
    std::unique_ptr<db::LocalCluster> m_cluster;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<auth::TokenSigner> m_signer;
    std::unique_ptr<auth::AuthService> m_auth;
    std::unique_ptr<auth::UserAdmin> m_userAdmin;
    std::unique_ptr<auth::RateLimiter> m_limiter;
    std::unique_ptr<http::AuthRoutesContext> m_authRoutes;
    std::unique_ptr<catalog::CatalogService> m_catalog;
    std::unique_ptr<catalog::CatalogEvents> m_catalogEvents;
    std::unique_ptr<catalog::CatalogCache> m_catalogCache;
    std::unique_ptr<db::NotificationListener> m_listener;
    std::unique_ptr<mail::OutboxDispatcher> m_mail;
    std::unique_ptr<payments::PaymentProvider> m_paymentProvider;
    std::unique_ptr<orders::OrderService> m_orders;
    std::unique_ptr<orders::CartService> m_carts;
    std::unique_ptr<orders::ExpiryJob> m_expiry;
    std::unique_ptr<http::OrderRoutesContext> m_orderRoutes;
    std::unique_ptr<http::CatalogRoutesContext> m_catalogRoutes;
    std::unique_ptr<db::ReadinessProbe> m_probe;
    std::unique_ptr<http::HealthContext> m_health;
    std::unique_ptr<http::HttpServer> m_http;
    QList<int> m_applied;
    std::unique_ptr<payments::StripeWebhook> m_stripeWebhook;
    std::unique_ptr<http::PaymentRoutesContext> m_paymentRoutes;
};

} // namespace shop
