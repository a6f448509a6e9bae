#pragma once

#include "result.h"

#include <QHostAddress>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace shop {

// Everything a ShopDesk process is configured with. Precedence, highest first:
// command-line flags > environment > config file > defaults (DESIGN.md "Runtime shape").
struct Config
{
    // Process shape
    bool headless = false;
    QString command;             // "" (run), "migrate", "health", "seed-demo"
    QString dataDir;             // embedded cluster, keys, generated files
    QString configFile;          // INI file holding the persistent settings

    // HTTP
    QHostAddress bindAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8080;
    int ioThreads = 0;           // 0: one per core
    int workerThreads = 4;       // bounded pool for slow work (hashing, payments, reports)
    int workerQueueLimit = 256;  // tasks waiting beyond this get 503
    qint64 maxBodyBytes = 1 << 20;
    int maxHeaderBytes = 16 * 1024;
    int maxConnections = 20000;
    int readTimeoutMs = 15000;   // a request must arrive whole within this
    int idleTimeoutMs = 60000;   // keep-alive connections idle longer are closed
    int drainTimeoutMs = 10000;  // graceful stop: how long in-flight work may finish
    bool accessLog = true;
    // HTTPS (DESIGN.md "Security baseline"): the operator's PEM pair, both or neither,
    // or a self-signed pair for localhost made into <dataDir>/tls.
    QString tlsCertFile;
    QString tlsKeyFile;
    bool tlsSelfSigned = false;
    quint16 httpRedirectPort = 0; // with TLS: a plain listener answering 308 to HTTPS; 0: none

    bool tlsEnabled() const { return tlsSelfSigned || !tlsCertFile.isEmpty(); }

    // Database
    QString databaseUrl;         // empty: the embedded cluster under dataDir
    int dbPoolSize = 0;          // 0: ioThreads + workerThreads
    int dbAcquireTimeoutMs = 2000;
    bool dbPlainQueries = false; // PgBouncer transaction mode: no server-side prepares
    QString pgBinDir;            // where initdb/pg_ctl live; empty: look in the usual places
    QString dbListenUrl;         // LISTEN/NOTIFY connection; empty: databaseUrl

    // Mail: the email outbox is delivered by SMTP when smtpUrl is set; without it
    // messages wait in the outbox, where the desktop Outbox view shows them.
    QString smtpUrl;             // smtp://host:587 (STARTTLS) or smtps://host:465
    QString smtpUser;
    QString smtpPassword;        // environment only; never logged
    QString mailFrom = QStringLiteral("ShopDesk <no-reply@localhost>");
    QString smtpStartTls = QStringLiteral("try"); // off | try | required
    QString smtpCaFile;          // empty: the system's CA bundle

    // Accounts and security
    QString jwtSecret;            // empty: generated into <dataDir>/secrets
    QString dataKey;              // seals stored secrets (TOTP seeds); empty: <data-dir>/secrets/data-key
    int bcryptCost = 12;
    int accessTokenTtl = 15 * 60; // seconds
    int refreshTokenTtl = 30 * 86'400;
    QString publicUrl;            // links in emails; empty: this server's URL
    QString redisUrl;             // shared rate-limit counters; empty: per process
    QString corsOrigins;          // "https://a.example, https://b.example"; empty: same origin only
    QString trustedProxies;       // "10.0.0.1, 10.1.0.0/16": X-Forwarded-For believed from these

    // Catalog
    bool catalogCache = true;    // off: every catalog read goes to PostgreSQL (bench baseline)
    int seedProducts = 50;
    // Orders
    int paymentWindowMinutes = 24 * 60; // unpaid orders release their stock after this
    int orderExpiryIntervalSeconds = 60;
    // Payments (DESIGN.md "Payments"): manual unless stripeSecretKey is set.
    QString stripeSecretKey;      // sk_...: environment or config file only; never logged
    QString stripeWebhookSecret;  // whsec_...: environment or config file only; never logged
    QString stripePublishableKey; // pk_...: handed to the storefront
    QString stripeApiBase;        // empty: https://api.stripe.com (tests point it at a fake)
    QString paymentInstructions = QStringLiteral(
        "Pay by bank transfer or at the counter; we ship once payment arrives."); // manual provider

    QString adminEmail;          // create-admin       // seed-demo: the learning lab's catalog had 50

    int effectiveIoThreads() const;
    int effectiveDbPoolSize() const;
};

// Builds a Config from the layers. Pure: tests pass their own environment and file.
class ConfigLoader
{
public:
    // Parses arguments (argv without the program name), the environment and the
    // config file (named by --config, SHOPDESK_CONFIG, or the platform default).
    static Result<Config> load(const QStringList &arguments,
                               const QProcessEnvironment &environment,
                               const QString &defaultConfigFile,
                               const QString &defaultDataDir);

    static QString usage();

    // The platform defaults (QStandardPaths) used by the real program.
    static QString standardConfigFile();
    static QString standardDataDir();
};

} // namespace shop
