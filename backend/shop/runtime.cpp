#include "runtime.h"

#include "auth/authservice.h"
#include "auth/ratelimiter.h"
#include "auth/redisratelimiter.h"
#include "auth/tokens.h"
#include "auth/useradmin.h"
#include "catalog/catalogcache.h"
#include "catalog/catalogevents.h"
#include "catalog/catalogservice.h"
#include "core/databasesettings.h"
#include "core/logging.h"
#include "core/secretstore.h"
#include "db/connectionoptions.h"
#include "db/database.h"
#include "db/localcluster.h"
#include "db/listener.h"
#include "db/migrator.h"
#include "db/readiness.h"
#include "http/authroutes.h"
#include "http/catalogroutes.h"
#include "http/healthroutes.h"
#include "http/server.h"
#include "http/staticfiles.h"
#include "http/tlsconfig.h"
#include "mail/outbox.h"
#include "mail/outboxdispatcher.h"
#include "mail/smtpsender.h"
#include "orders/cartservice.h"
#include "orders/expiryjob.h"
#include "orders/orderservice.h"
#include "payments/provider.h"
#include "payments/stripeprovider.h"
#include "payments/webhook.h"
#include "http/paymentroutes.h"
#include "http/orderroutes.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace shop {

Runtime::Runtime(Config config) : m_config(std::move(config)), m_startedAt(QDateTime::currentDateTimeUtc()) {}

Runtime::~Runtime()
{
    stop();
}

Status Runtime::openDatabase()
{
    if (m_database)
        return {};
    db::ConnectionOptions connection;
    if (m_config.databaseUrl.isEmpty()) {
        db::LocalCluster::Options options;
        options.dataDir = m_config.dataDir;
        options.binDir = m_config.pgBinDir;
        auto cluster = db::LocalCluster::start(options);
        if (!cluster)
            return std::unexpected(cluster.error());
        m_cluster = std::move(*cluster);
        connection = m_cluster->connection();
    } else {
        auto parsed = db::ConnectionOptions::parse(m_config.databaseUrl);
        if (!parsed)
            return std::unexpected(parsed.error());
        connection = *parsed;
        // The Settings dialog keeps the password out of the config file; a URL naming
        // the saved server (and only that server) gets it back from the secret store.
        if (connection.password.isEmpty()) {
            SecretStore secrets(m_config.dataDir, m_config.headless ? SecretStore::Keyring::Disabled
                                                                     : SecretStore::Keyring::Auto);
            auto saved = DatabaseSettings::load(m_config.configFile, secrets);
            if (saved && saved->mode == DatabaseSettings::Mode::Server && saved->server.host == connection.host
                && saved->server.port == connection.port && saved->server.database == connection.database
                && saved->server.user == connection.user)
                connection.password = saved->server.password;
        }
    }
    if (!connection.parameters.contains(u"application_name"_s))
        connection.parameters.insert(u"application_name"_s, u"shopdesk"_s);

    db::Database::Options options;
    options.connection = connection;
    options.poolSize = m_config.effectiveDbPoolSize();
    options.acquireTimeoutMs = m_config.dbAcquireTimeoutMs;
    options.plainQueries = m_config.dbPlainQueries;
    m_database = std::make_unique<db::Database>(options);
    qCInfo(lcDb).noquote() << "database" << m_database->describe() << "pool" << options.poolSize
                           << (options.plainQueries ? "plain queries" : "prepared statements");

    db::Migrator migrator(*m_database);
    auto applied = migrator.migrate();
    if (!applied)
        return std::unexpected(applied.error());
    m_applied = *applied;
    qCInfo(lcMigrate) << "schema at version" << migrator.latestKnownVersion() << "applied now:" << m_applied;

    auto key = auth::loadOrCreateSigningKey(m_config.jwtSecret, m_config.dataDir);
    if (!key)
        return std::unexpected(key.error());
    auth::TokenSigner::Options signing;
    signing.key = *key;
    signing.lifetime = std::chrono::seconds(m_config.accessTokenTtl);
    m_signer = std::make_unique<auth::TokenSigner>(signing);
    auto dataKey = auth::loadOrCreateKey(m_config.dataKey, m_config.dataDir, u"data-key"_s, u"data key"_s);
    if (!dataKey)
        return std::unexpected(dataKey.error());
    auth::AuthService::Options authOptions;
    authOptions.dataKey = *dataKey;
    authOptions.bcryptCost = m_config.bcryptCost;
    authOptions.refreshLifetime = std::chrono::seconds(m_config.refreshTokenTtl);
    m_auth = std::make_unique<auth::AuthService>(*m_database, *m_signer, authOptions);
    m_userAdmin = std::make_unique<auth::UserAdmin>(*m_database);

    m_catalog = std::make_unique<catalog::CatalogService>(*m_database);
    m_catalogEvents = std::make_unique<catalog::CatalogEvents>();
    m_catalogCache = std::make_unique<catalog::CatalogCache>();
    m_catalogCache->setEnabled(m_config.catalogCache);
    // This process's own writes drop its cache at once; NOTIFY tells the others.
    catalog::CatalogCache *cache = m_catalogCache.get();
    m_catalog->setChangeHook([cache] { cache->invalidateAll(); });

    // Payments: manual unless a provider is configured.
    if (m_config.stripeSecretKey.isEmpty()) {
        m_paymentProvider = std::make_unique<payments::ManualProvider>();
    } else {
        payments::StripeClient::Options stripe;
        if (!m_config.stripeApiBase.isEmpty())
            stripe.apiBase = m_config.stripeApiBase;
        stripe.secretKey = m_config.stripeSecretKey.toUtf8();
        m_paymentProvider = std::make_unique<payments::StripeProvider>(*m_database, stripe);
        qCInfo(lcApp).noquote() << "card payments through Stripe at" << stripe.apiBase
                                << (m_config.stripeWebhookSecret.isEmpty()
                                        ? "(no STRIPE_WEBHOOK_SECRET: webhooks are refused until it is set)"
                                        : "");
    }
    orders::OrderService::Options orderOptions;
    orderOptions.paymentWindow = std::chrono::minutes(m_config.paymentWindowMinutes);
    m_orders = std::make_unique<orders::OrderService>(*m_database, orderOptions);
    m_orders->setPaymentProvider(m_paymentProvider.get());
    // A sale or a release changes a product's stock, which is in its cached JSON.
    m_orders->setStockChangeHook([cache](const QList<qint64> &ids) { cache->invalidateProducts(ids); });
    m_carts = std::make_unique<orders::CartService>(*m_database);
    return {};
}

Status Runtime::startCatalogListener()
{
    db::ConnectionOptions options = m_database->options().connection;
    if (!m_config.dbListenUrl.isEmpty()) {
        auto parsed = db::ConnectionOptions::parse(m_config.dbListenUrl);
        if (!parsed)
            return fail(Error::invalid(u"--db-listen-url: "_s + parsed.error().message()));
        options = *parsed;
        if (options.password.isEmpty())
            options.password = m_database->options().connection.password;
    }
    options.parameters.insert(u"application_name"_s, u"shopdesk-listen"_s);
    m_listener = std::make_unique<db::NotificationListener>(
        options, QStringList{u"shopdesk_catalog"_s, u"shopdesk_orders"_s, QString::fromLatin1(mail::NotifyChannel)});

    catalog::CatalogCache *cache = m_catalogCache.get();
    catalog::CatalogEvents *events = m_catalogEvents.get();
    // Direct connections: these run on the listener's thread, the moment PostgreSQL
    // delivers; the cache is thread-safe and the desktop views queue their own.
    QObject::connect(m_listener.get(), &db::NotificationListener::listeningChanged, events,
                     [cache](bool listening) { cache->setListening(listening); }, Qt::DirectConnection);
    QObject::connect(m_listener.get(), &db::NotificationListener::notification, events,
                     [cache, events](const QString &channel, const QString &payload) {
                         const bool orders = channel == "shopdesk_orders"_L1;
                         if (channel != "shopdesk_catalog"_L1 && !orders)
                             return;
                         const qsizetype space = payload.indexOf(u' ');
                         QString table = space < 0 ? payload : payload.left(space);
                         QList<qint64> ids;
                         if (space >= 0) {
                             for (const QStringView id : QStringView(payload).mid(space + 1).split(u','))
                                 if (const qint64 v = id.toLongLong(); v > 0)
                                     ids.append(v);
                         }
                         // "stock 4,17": only those products' stock changed (a sale), so
                         // only the pages showing them go; anything else drops them all.
                         if (table == "stock"_L1) {
                             cache->invalidateProducts(ids);
                             table = u"products"_s;
                         } else if (!orders) {
                             cache->invalidateAll();
                         }
                         Q_EMIT events->changed(table, ids);
                     }, Qt::DirectConnection);
    QObject::connect(m_listener.get(), &db::NotificationListener::resynchronised, events,
                     [events] { Q_EMIT events->changed(QString(), {}); }, Qt::DirectConnection);
    // Mail queued by any instance wakes this one's dispatcher at once.
    QObject::connect(m_listener.get(), &db::NotificationListener::notification, events,
                     [this](const QString &channel, const QString &) {
                         if (channel == QLatin1StringView(mail::NotifyChannel) && m_mail)
                             m_mail->wake();
                     }, Qt::DirectConnection);
    if (!m_listener->start())
        qCWarning(lcDb) << "catalog cache off until the LISTEN connection is up (retrying)";
    return {};
}

Status Runtime::start()
{
    if (auto ok = openDatabase(); !ok)
        return ok;
    if (m_http)
        return {};

    m_probe = std::make_unique<db::ReadinessProbe>(*m_database);
    m_health = std::make_unique<http::HealthContext>();
    m_health->database = m_database.get();
    m_health->probe = m_probe.get();
    m_health->startedAt = m_startedAt;
    m_health->version = QCoreApplication::applicationVersion();

    // Outgoing mail: delivered by SMTP when configured, else left in the outbox for
    // the desktop's Outbox view.
    auto smtp = mail::SmtpOptions::fromConfig(m_config);
    if (!smtp)
        return std::unexpected(smtp.error());
    mail::OutboxDispatcher::Options mailOptions;
    mailOptions.smtp = *smtp;
    m_mail = std::make_unique<mail::OutboxDispatcher>(*m_database, mailOptions);
    if (m_mail->start())
        qCInfo(lcApp).noquote() << "mail goes out through" << smtp->url;
    else
        qCInfo(lcApp) << "no SMTP server configured (--smtp-url): mail stays in the outbox";

    if (auto ok = startCatalogListener(); !ok)
        return ok;
    catalog::CatalogCache *cache = m_catalogCache.get();
    m_health->metricSources.append([cache] {
        const auto s = cache->stats();
        QByteArray out;
        const auto metric = [&out](const char *name, const char *type, const char *help, qint64 value) {
            out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' '
                   + QByteArray::number(value) + '\n';
        };
        metric("shopdesk_catalog_cache_hits_total", "counter", "Catalog reads answered from the cache.", s.hits);
        metric("shopdesk_catalog_cache_misses_total", "counter", "Catalog reads that went to PostgreSQL.", s.misses);
        metric("shopdesk_catalog_cache_invalidations_total", "counter", "Times the catalog cache was dropped.",
               s.invalidations);
        metric("shopdesk_catalog_cache_entries", "gauge", "Responses held in the catalog cache.", s.entries);
        metric("shopdesk_catalog_cache_bytes", "gauge", "Bytes held in the catalog cache.", s.bytes);
        metric("shopdesk_catalog_cache_serving", "gauge", "1 while the cache may answer (enabled and listening).",
               cache->serving() ? 1 : 0);
        return out;
    });

    http::Router router;
    http::addHealthRoutes(router, m_health.get());
    m_catalogRoutes = std::make_unique<http::CatalogRoutesContext>();
    m_catalogRoutes->service = m_catalog.get();
    m_catalogRoutes->cache = m_catalogCache.get();
    // Products and categories: staff and admins.
    m_catalogRoutes->adminGuard = http::tokenGuard(m_auth.get(), {u"staff"_s, u"admin"_s});
    http::addCatalogRoutes(router, m_catalogRoutes.get());

    auto proxies = http::ClientAddress::parse(m_config.trustedProxies);
    if (!proxies)
        return fail(Error::invalid(u"--trusted-proxies: "_s + proxies.error().message()));
    if (m_config.redisUrl.isEmpty()) {
        m_limiter = std::make_unique<auth::LocalRateLimiter>();
    } else {
        auto redis = auth::RedisRateLimiter::create(m_config.redisUrl);
        if (!redis)
            return std::unexpected(redis.error());
        m_limiter.reset(*redis);
        qCInfo(lcApp) << "rate-limit counters shared through Redis";
    }
    m_authRoutes = std::make_unique<http::AuthRoutesContext>();
    m_authRoutes->service = m_auth.get();
    m_authRoutes->limiter = m_limiter.get();
    m_authRoutes->clientAddress = *proxies;
    http::addAuthRoutes(router, m_authRoutes.get());

    m_orderRoutes = std::make_unique<http::OrderRoutesContext>();
    m_orderRoutes->auth = m_auth.get();
    m_orderRoutes->carts = m_carts.get();
    m_orderRoutes->orders = m_orders.get();
    m_orderRoutes->adminGuard = http::tokenGuard(m_auth.get(), {u"staff"_s, u"admin"_s});
    http::addOrderRoutes(router, m_orderRoutes.get());
    // Payment routes (create-intent, the Stripe webhook, the storefront's payment config).
    m_paymentRoutes = std::make_unique<http::PaymentRoutesContext>();
    m_paymentRoutes->auth = m_auth.get();
    m_paymentRoutes->instructions = m_config.paymentInstructions;
    if (auto *stripe = dynamic_cast<payments::StripeProvider *>(m_paymentProvider.get())) {
        m_stripeWebhook = std::make_unique<payments::StripeWebhook>(*m_database, m_config.stripeWebhookSecret.toUtf8());
        m_paymentRoutes->stripe = stripe;
        m_paymentRoutes->webhook = m_stripeWebhook.get();
        m_paymentRoutes->publishableKey = m_config.stripePublishableKey;
    }
    http::addPaymentRoutes(router, m_paymentRoutes.get());

    m_expiry = std::make_unique<orders::ExpiryJob>(*m_orders, *m_database,
                                                   std::chrono::seconds(m_config.orderExpiryIntervalSeconds));
    m_expiry->start();

    auto statics = std::make_shared<http::StaticFiles>(u":/storefront"_s);
    http::Handler fallback = [statics](const http::Request &request) { return statics->serve(request); };

    http::HttpServer::Options options;
    options.address = m_config.bindAddress;
    options.port = m_config.port;
    options.ioThreads = m_config.effectiveIoThreads();
    options.workerThreads = m_config.workerThreads;
    options.workerQueueLimit = m_config.workerQueueLimit;
    options.maxBodyBytes = m_config.maxBodyBytes;
    options.maxHeaderBytes = m_config.maxHeaderBytes;
    options.maxConnections = m_config.maxConnections;
    options.readTimeoutMs = m_config.readTimeoutMs;
    options.idleTimeoutMs = m_config.idleTimeoutMs;
    options.accessLog = m_config.accessLog;
    options.stripeJs = !m_config.stripeSecretKey.isEmpty() && !m_config.stripePublishableKey.isEmpty();
    // HTTPS when configured. The refresh cookie stays Secure either way
    // (AuthRoutesContext::secureCookies defaults to true).
    auto tls = http::serverTlsFromConfig(m_config);
    if (!tls)
        return std::unexpected(tls.error());
    options.tls = *tls;
    options.httpRedirectPort = m_config.httpRedirectPort;
    for (const QString &origin : m_config.corsOrigins.split(u',', Qt::SkipEmptyParts)) {
        const QByteArray o = origin.trimmed().toUtf8();
        if (o == "*" || (!o.startsWith("https://") && !o.startsWith("http://")))
            return fail(Error::invalid(u"--cors-origins: \"%1\" is not an origin such as https://shop.example.com"_s
                                           .arg(origin.trimmed())));
        options.corsOrigins.append(o);
    }
    m_http = std::make_unique<http::HttpServer>(options, std::move(router), std::move(fallback));
    db::Database *database = m_database.get();
    m_http->setThreadExitHook([database] { database->releaseThreadConnection(); });
    m_health->server = m_http.get();
    if (auto ok = m_http->start(); !ok) {
        m_http.reset();
        return ok;
    }
    QString publicUrl = m_config.publicUrl.isEmpty() ? url() : m_config.publicUrl;
    while (publicUrl.endsWith(u'/'))
        publicUrl.chop(1);
    m_auth->setPublicUrl(publicUrl);
    m_orders->setPublicUrl(publicUrl);
    return {};
}

void Runtime::stop()
{
    if (m_http) {
        m_http->stop(m_config.drainTimeoutMs);
        m_http.reset();
    }
    m_listener.reset();
    m_expiry.reset();
    if (m_mail) {
        m_mail->stop();
        m_mail.reset();
    }
    m_catalogRoutes.reset();
    m_authRoutes.reset();
    m_orderRoutes.reset();
    m_paymentRoutes.reset();
    m_stripeWebhook.reset();
    m_carts.reset();
    m_orders.reset();
    m_paymentProvider.reset();
    m_limiter.reset();
    m_probe.reset();
    m_health.reset();
    m_catalog.reset();
    m_userAdmin.reset();
    m_auth.reset();
    m_signer.reset();
    m_catalogCache.reset();
    m_catalogEvents.reset();
    m_database.reset();
    if (m_cluster) {
        if (auto ok = m_cluster->stop(); !ok)
            qCWarning(lcCluster).noquote() << ok.error().message();
        m_cluster.reset();
    }
}

void Runtime::stopClusterOnExit()
{
    if (m_cluster) {
        if (auto ok = m_cluster->stop(); !ok)
            qCWarning(lcCluster).noquote() << ok.error().message();
    }
}

QString Runtime::url() const
{
    if (!m_http)
        return {};
    QString host = m_config.bindAddress.toString();
    if (m_config.bindAddress == QHostAddress(QHostAddress::AnyIPv4) || m_config.bindAddress == QHostAddress(QHostAddress::Any))
        host = u"127.0.0.1"_s;
    if (m_config.bindAddress.protocol() == QAbstractSocket::IPv6Protocol)
        host = u'[' + host + u']';
    const QString scheme = m_http->options().tls ? u"https"_s : u"http"_s;
    return u"%1://%2:%3/"_s.arg(scheme, host).arg(m_http->port());
}

QString Runtime::databaseLocation() const
{
    if (m_cluster)
        return m_cluster->clusterDir() + u" (embedded PostgreSQL)"_s;
    return m_database ? m_database->describe() : QString();
}

} // namespace shop
