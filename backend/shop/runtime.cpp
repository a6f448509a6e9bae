#include "runtime.h"

#include "core/databasesettings.h"
#include "core/logging.h"
#include "core/secretstore.h"
#include "db/connectionoptions.h"
#include "db/database.h"
#include "db/localcluster.h"
#include "db/migrator.h"
#include "db/readiness.h"
#include "http/healthroutes.h"
#include "http/server.h"
#include "http/staticfiles.h"

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

    http::Router router;
    http::addHealthRoutes(router, m_health.get());

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
    m_http = std::make_unique<http::HttpServer>(options, std::move(router), std::move(fallback));
    db::Database *database = m_database.get();
    m_http->setThreadExitHook([database] { database->releaseThreadConnection(); });
    m_health->server = m_http.get();
    if (auto ok = m_http->start(); !ok) {
        m_http.reset();
        return ok;
    }
    return {};
}

void Runtime::stop()
{
    if (m_http) {
        m_http->stop(m_config.drainTimeoutMs);
        m_http.reset();
    }
    m_probe.reset();
    m_health.reset();
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
    return u"http://%1:%2/"_s.arg(host).arg(m_http->port());
}

QString Runtime::databaseLocation() const
{
    if (m_cluster)
        return m_cluster->clusterDir() + u" (embedded PostgreSQL)"_s;
    return m_database ? m_database->describe() : QString();
}

} // namespace shop
