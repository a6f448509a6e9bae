#include "config.h"

#include <QSettings>
#include <QStandardPaths>
#include <QThread>

#include <functional>

using namespace Qt::StringLiterals;

namespace shop {

int Config::effectiveIoThreads() const
{
    return ioThreads > 0 ? ioThreads : qMax(1, QThread::idealThreadCount());
}

int Config::effectiveDbPoolSize() const
{
    return dbPoolSize > 0 ? dbPoolSize : effectiveIoThreads() + workerThreads;
}

namespace {

using Apply = std::function<Status(Config &, const QString &)>;

// One row per setting: the same row drives the flag, the environment variable and
// the config-file key, so the three can never drift apart.
struct Option
{
    QString flag;     // --flag (empty: no flag)
    QString env;      // ENV_NAME (empty: none)
    QString fileKey;  // section/key in the INI file (empty: not persisted)
    QString valueName; // empty: a switch (--flag alone means on; --flag=off also works)
    QString help;
    Apply apply;
};

Status parseInt(const QString &text, qint64 min, qint64 max, qint64 &out, const QString &what)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok || v < min || v > max)
        return fail(Error::Kind::InvalidRequest,
                    u"%1: \"%2\" is not a whole number in %3..%4"_s.arg(what, text).arg(min).arg(max));
    out = v;
    return {};
}

template<typename T>
Apply intField(T Config::*member, qint64 min, qint64 max, QString what)
{
    return [=](Config &c, const QString &v) -> Status {
        qint64 out = 0;
        if (auto ok = parseInt(v, min, max, out, what); !ok)
            return ok;
        c.*member = static_cast<T>(out);
        return {};
    };
}

Apply boolField(bool Config::*member, QString what)
{
    return [=](Config &c, const QString &v) -> Status {
        const QString s = v.trimmed().toLower();
        if (s == "1"_L1 || s == "true"_L1 || s == "yes"_L1 || s == "on"_L1) {
            c.*member = true;
        } else if (s == "0"_L1 || s == "false"_L1 || s == "no"_L1 || s == "off"_L1) {
            c.*member = false;
        } else {
            return fail(Error::Kind::InvalidRequest, u"%1: \"%2\" is not on/off"_s.arg(what, v));
        }
        return {};
    };
}

Apply stringField(QString Config::*member)
{
    return [=](Config &c, const QString &v) -> Status {
        c.*member = v;
        return {};
    };
}

const QList<Option> &options()
{
    static const QList<Option> table = {
        {u"port"_s, u"PORT"_s, u"http/port"_s, u"port"_s, u"HTTP port (0: any free port)"_s,
         intField(&Config::port, 0, 65535, u"port"_s)},
        {u"bind"_s, u"SHOPDESK_BIND"_s, u"http/bind"_s, u"address"_s,
         u"address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)"_s,
         [](Config &c, const QString &v) -> Status {
             QHostAddress a;
             if (!a.setAddress(v.trimmed()))
                 return fail(Error::Kind::InvalidRequest, u"bind: \"%1\" is not an IP address"_s.arg(v));
             c.bindAddress = a;
             return {};
         }},
        {u"threads"_s, u"SHOPDESK_THREADS"_s, u"http/threads"_s, u"n"_s,
         u"HTTP I/O threads (default: one per core)"_s,
         intField(&Config::ioThreads, 0, 256, u"threads"_s)},
        {u"workers"_s, u"SHOPDESK_WORKERS"_s, u"http/workers"_s, u"n"_s,
         u"worker threads for slow requests"_s, intField(&Config::workerThreads, 1, 256, u"workers"_s)},
        {u"worker-queue"_s, u"SHOPDESK_WORKER_QUEUE"_s, u"http/worker_queue"_s, u"n"_s,
         u"slow requests allowed to wait for a worker before 503"_s,
         intField(&Config::workerQueueLimit, 1, 1'000'000, u"worker-queue"_s)},
        {u"max-body"_s, u"SHOPDESK_MAX_BODY_BYTES"_s, u"http/max_body_bytes"_s, u"bytes"_s,
         u"largest request body accepted (413 beyond)"_s,
         intField(&Config::maxBodyBytes, 0, qint64(1) << 34, u"max-body"_s)},
        {u"max-header"_s, u"SHOPDESK_MAX_HEADER_BYTES"_s, u"http/max_header_bytes"_s, u"bytes"_s,
         u"largest request line plus headers accepted (431 beyond)"_s,
         intField(&Config::maxHeaderBytes, 256, 1 << 24, u"max-header"_s)},
        {u"max-connections"_s, u"SHOPDESK_MAX_CONNECTIONS"_s, u"http/max_connections"_s, u"n"_s,
         u"open connections allowed across all threads"_s,
         intField(&Config::maxConnections, 1, 10'000'000, u"max-connections"_s)},
        {u"read-timeout"_s, u"SHOPDESK_READ_TIMEOUT_MS"_s, u"http/read_timeout_ms"_s, u"ms"_s,
         u"time a client has to send a whole request (408 beyond)"_s,
         intField(&Config::readTimeoutMs, 100, 3'600'000, u"read-timeout"_s)},
        {u"idle-timeout"_s, u"SHOPDESK_IDLE_TIMEOUT_MS"_s, u"http/idle_timeout_ms"_s, u"ms"_s,
         u"keep-alive connections idle longer are closed"_s,
         intField(&Config::idleTimeoutMs, 100, 3'600'000, u"idle-timeout"_s)},
        {u"access-log"_s, u"SHOPDESK_ACCESS_LOG"_s, u"http/access_log"_s, u"on|off"_s,
         u"one log line per request"_s, boolField(&Config::accessLog, u"access-log"_s)},
        {u"tls-cert"_s, u"SHOPDESK_TLS_CERT"_s, u"http/tls_cert"_s, u"file"_s,
         u"serve HTTPS with this PEM certificate (chain, leaf first); needs --tls-key"_s,
         stringField(&Config::tlsCertFile)},
        {u"tls-key"_s, u"SHOPDESK_TLS_KEY"_s, u"http/tls_key"_s, u"file"_s,
         u"the certificate's PEM private key (unencrypted); needs --tls-cert"_s,
         stringField(&Config::tlsKeyFile)},
        {u"tls-self-signed"_s, u"SHOPDESK_TLS_SELF_SIGNED"_s, u"http/tls_self_signed"_s, {},
         u"serve HTTPS with a self-signed certificate for localhost, made once into "
         u"<data-dir>/tls (local use: browsers warn about it)"_s,
         boolField(&Config::tlsSelfSigned, u"tls-self-signed"_s)},
        {u"http-redirect-port"_s, u"SHOPDESK_HTTP_REDIRECT_PORT"_s, u"http/redirect_port"_s, u"port"_s,
         u"with HTTPS: a plain HTTP port that redirects every request to HTTPS (default 0: none)"_s,
         intField(&Config::httpRedirectPort, 0, 65535, u"http-redirect-port"_s)},
        {u"data-dir"_s, u"SHOPDESK_DATA_DIR"_s, {}, u"dir"_s,
         u"where the embedded database and generated keys live"_s, stringField(&Config::dataDir)},
        {u"database-url"_s, u"DATABASE_URL"_s, u"database/url"_s, u"url"_s,
         u"PostgreSQL to use instead of the embedded cluster (libpq URI or key=value)"_s,
         stringField(&Config::databaseUrl)},
        {u"db-pool-size"_s, u"SHOPDESK_DB_POOL_SIZE"_s, u"database/pool_size"_s, u"n"_s,
         u"database connections at most (default: threads + workers)"_s,
         intField(&Config::dbPoolSize, 0, 10'000, u"db-pool-size"_s)},
        {u"db-acquire-timeout"_s, u"SHOPDESK_DB_ACQUIRE_TIMEOUT_MS"_s, u"database/acquire_timeout_ms"_s,
         u"ms"_s, u"how long a request waits for a database connection before 503"_s,
         intField(&Config::dbAcquireTimeoutMs, 1, 600'000, u"db-acquire-timeout"_s)},
        {u"db-plain-queries"_s, u"SHOPDESK_DB_PLAIN_QUERIES"_s, u"database/plain_queries"_s, u"on|off"_s,
         u"no server-side prepared statements (PgBouncer transaction mode)"_s,
         boolField(&Config::dbPlainQueries, u"db-plain-queries"_s)},
        {u"pg-bin-dir"_s, u"SHOPDESK_PG_BIN_DIR"_s, u"database/pg_bin_dir"_s, u"dir"_s,
         u"directory holding initdb and pg_ctl for the embedded cluster"_s,
         stringField(&Config::pgBinDir)},
        {u"db-listen-url"_s, u"SHOPDESK_DB_LISTEN_URL"_s, u"database/listen_url"_s, u"url"_s,
         u"PostgreSQL for LISTEN/NOTIFY when DATABASE_URL goes through PgBouncer in "
         u"transaction mode (default: the same database)"_s,
         stringField(&Config::dbListenUrl)},
        {u"smtp-url"_s, u"SHOPDESK_SMTP_URL"_s, u"mail/smtp_url"_s, u"url"_s,
         u"SMTP server for outgoing mail: smtp://host:587 or smtps://host:465 (default: none; "
         u"messages wait in the outbox)"_s,
         stringField(&Config::smtpUrl)},
        {u"smtp-user"_s, u"SHOPDESK_SMTP_USER"_s, u"mail/smtp_user"_s, u"name"_s, u"SMTP login name"_s,
         stringField(&Config::smtpUser)},
        // Environment only: a flag would show in the process list, a file key on disk.
        {{}, u"SHOPDESK_SMTP_PASSWORD"_s, {}, u"secret"_s, u"SMTP password"_s, stringField(&Config::smtpPassword)},
        {u"mail-from"_s, u"SHOPDESK_MAIL_FROM"_s, u"mail/from"_s, u"address"_s,
         u"sender of the shop's mail, e.g. \"My Shop <shop@example.com>\""_s, stringField(&Config::mailFrom)},
        {u"smtp-starttls"_s, u"SHOPDESK_SMTP_STARTTLS"_s, u"mail/smtp_starttls"_s, u"off|try|required"_s,
         u"STARTTLS on smtp:// URLs (default try; required refuses to send in clear)"_s,
         [](Config &c, const QString &v) -> Status {
             const QString s = v.trimmed().toLower();
             if (s != "off"_L1 && s != "try"_L1 && s != "required"_L1)
                 return fail(Error::Kind::InvalidRequest,
                             u"smtp-starttls: \"%1\" is not off, try or required"_s.arg(v));
             c.smtpStartTls = s;
             return {};
         }},
        {u"smtp-ca-file"_s, u"SHOPDESK_SMTP_CA_FILE"_s, u"mail/smtp_ca_file"_s, u"file"_s,
         u"CA certificates (PEM) to verify the SMTP server with (default: the system's)"_s,
         stringField(&Config::smtpCaFile)},
        {u"catalog-cache"_s, u"SHOPDESK_CATALOG_CACHE"_s, u"catalog/cache"_s, u"on|off"_s,
         u"cache catalog responses in process (invalidated by LISTEN/NOTIFY)"_s,
         boolField(&Config::catalogCache, u"catalog-cache"_s)},
        {u"jwt-secret"_s, u"SHOPDESK_JWT_SECRET"_s, {}, u"secret"_s,
         u"access-token signing key, 32+ bytes; the same on every instance (default: generated "
         u"into <data-dir>/secrets/jwt-signing-key)"_s,
         stringField(&Config::jwtSecret)},
        {u"data-key"_s, u"SHOPDESK_DATA_KEY"_s, {}, u"secret"_s,
         u"key (32+ bytes) that seals stored secrets such as TOTP seeds; the same on every instance "
         u"(default: generated into <data-dir>/secrets/data-key)"_s,
         stringField(&Config::dataKey)},
        {u"bcrypt-cost"_s, u"SHOPDESK_BCRYPT_COST"_s, u"security/bcrypt_cost"_s, u"n"_s,
         u"bcrypt work factor for new password hashes (10..16)"_s,
         intField(&Config::bcryptCost, 10, 16, u"bcrypt-cost"_s)},
        {u"access-token-ttl"_s, u"SHOPDESK_ACCESS_TOKEN_TTL"_s, u"security/access_token_ttl"_s, u"seconds"_s,
         u"lifetime of access tokens"_s, intField(&Config::accessTokenTtl, 60, 86'400, u"access-token-ttl"_s)},
        {u"refresh-token-ttl"_s, u"SHOPDESK_REFRESH_TOKEN_TTL"_s, u"security/refresh_token_ttl"_s, u"seconds"_s,
         u"lifetime of refresh tokens (each use rotates them)"_s,
         intField(&Config::refreshTokenTtl, 300, 365 * 86'400, u"refresh-token-ttl"_s)},
        {u"public-url"_s, u"SHOPDESK_PUBLIC_URL"_s, u"http/public_url"_s, u"url"_s,
         u"the shop's address as shoppers reach it, for links in emails (default: this server)"_s,
         stringField(&Config::publicUrl)},
        {u"redis-url"_s, u"REDIS_URL"_s, u"redis/url"_s, u"url"_s,
         u"Redis for rate-limit counters shared by every instance (redis://host:6379/0 or unix:///path)"_s,
         stringField(&Config::redisUrl)},
        {u"cors-origins"_s, u"SHOPDESK_CORS_ORIGINS"_s, u"http/cors_origins"_s, u"origins"_s,
         u"comma-separated origins (https://shop.example.com) allowed to call the API from browsers"_s,
         stringField(&Config::corsOrigins)},
        {u"trusted-proxies"_s, u"SHOPDESK_TRUSTED_PROXIES"_s, u"http/trusted_proxies"_s, u"addresses"_s,
         u"comma-separated proxy addresses or CIDRs whose X-Forwarded-For is believed"_s,
         stringField(&Config::trustedProxies)},
        {u"payment-window"_s, u"SHOPDESK_PAYMENT_WINDOW"_s, u"orders/payment_window"_s, u"minutes"_s,
         u"an unpaid order is cancelled and its stock released after this long"_s,
         intField(&Config::paymentWindowMinutes, 1, 60 * 24 * 60, u"payment-window"_s)},
        {u"order-expiry-interval"_s, u"SHOPDESK_ORDER_EXPIRY_INTERVAL"_s, u"orders/expiry_interval"_s, u"seconds"_s,
         u"how often each instance looks for unpaid orders past their payment window"_s,
         intField(&Config::orderExpiryIntervalSeconds, 1, 3600, u"order-expiry-interval"_s)},
        // Secrets: environment or config file, never a flag (it would show in the process list).
        {{}, u"STRIPE_SECRET_KEY"_s, u"payments/stripe_secret_key"_s, u"secret"_s,
         u"Stripe secret API key (sk_...); when set, shoppers pay by card through Stripe"_s,
         stringField(&Config::stripeSecretKey)},
        {{}, u"STRIPE_WEBHOOK_SECRET"_s, u"payments/stripe_webhook_secret"_s, u"secret"_s,
         u"signing secret (whsec_...) of the Stripe webhook endpoint /api/webhook/stripe"_s,
         stringField(&Config::stripeWebhookSecret)},
        {u"stripe-publishable-key"_s, u"STRIPE_PUBLISHABLE_KEY"_s, u"payments/stripe_publishable_key"_s, u"key"_s,
         u"Stripe publishable key (pk_...) the storefront uses to show the card form"_s,
         stringField(&Config::stripePublishableKey)},
        {u"stripe-api-base"_s, u"STRIPE_API_BASE"_s, u"payments/stripe_api_base"_s, u"url"_s,
         u"Stripe API address (default https://api.stripe.com)"_s,
         [](Config &c, const QString &v) -> Status {
             const QString s = v.trimmed();
             if (!s.isEmpty() && !s.startsWith("https://"_L1) && !s.startsWith("http://"_L1))
                 return fail(Error::Kind::InvalidRequest, u"stripe-api-base: \"%1\" is not an http(s) URL"_s.arg(v));
             c.stripeApiBase = s;
             return {};
         }},
        {u"payment-instructions"_s, u"SHOPDESK_PAYMENT_INSTRUCTIONS"_s, u"payments/instructions"_s, u"text"_s,
         u"what shoppers are told about paying when Stripe is not configured"_s,
         stringField(&Config::paymentInstructions)},
        {u"email"_s, {}, {}, u"address"_s, u"create-admin: the new administrator's email"_s,
         stringField(&Config::adminEmail)},
        {u"products"_s, {}, {}, u"n"_s, u"seed-demo: how many demo products the catalog should hold"_s,
         intField(&Config::seedProducts, 1, 1'000'000, u"products"_s)},
    };
    return table;
}

Status applyFile(Config &config, const QString &path)
{
    QSettings file(path, QSettings::IniFormat);
    if (file.status() != QSettings::NoError)
        return fail(Error::Kind::InvalidRequest, u"config file %1 cannot be read"_s.arg(path));
    for (const Option &o : options()) {
        if (o.fileKey.isEmpty() || !file.contains(o.fileKey))
            continue;
        if (auto ok = o.apply(config, file.value(o.fileKey).toString()); !ok)
            return fail(Error::Kind::InvalidRequest, u"%1 [%2]: %3"_s.arg(path, o.fileKey, ok.error().message()));
    }
    return {};
}

} // namespace

Result<Config> ConfigLoader::load(const QStringList &arguments, const QProcessEnvironment &environment,
                                  const QString &defaultConfigFile, const QString &defaultDataDir)
{
    // Flags are collected first (their values are applied last) so --config can
    // name the file before the file layer is read.
    QList<std::pair<const Option *, QString>> flagValues;
    Config config;
    bool headlessFlag = false;
    QString configFlag;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (!arg.startsWith("--"_L1)) {
            if (!config.command.isEmpty())
                return fail(Error::Kind::InvalidRequest, u"unexpected argument \"%1\""_s.arg(arg));
            config.command = arg;
            continue;
        }
        QString name = arg.mid(2);
        QString value;
        bool hasValue = false;
        if (const qsizetype eq = name.indexOf(u'='); eq >= 0) {
            value = name.mid(eq + 1);
            name.truncate(eq);
            hasValue = true;
        }
        if (name == "headless"_L1) {
            headlessFlag = true;
            continue;
        }
        if (name == "config"_L1) {
            if (!hasValue) {
                if (++i >= arguments.size())
                    return fail(Error::Kind::InvalidRequest, u"--config needs a file"_s);
                value = arguments.at(i);
            }
            configFlag = value;
            continue;
        }
        const auto &table = options();
        const auto it = std::find_if(table.cbegin(), table.cend(),
                                     [&](const Option &o) { return !o.flag.isEmpty() && o.flag == name; });
        if (it == table.cend())
            return fail(Error::Kind::InvalidRequest, u"unknown option --%1 (see --help)"_s.arg(name));
        if (!hasValue && it->valueName.isEmpty()) {
            value = u"on"_s;
        } else if (!hasValue) {
            if (++i >= arguments.size())
                return fail(Error::Kind::InvalidRequest, u"--%1 needs a value"_s.arg(name));
            value = arguments.at(i);
        }
        flagValues.append({&*it, value});
    }

    static const QStringList commands = {u"migrate"_s, u"health"_s, u"seed-demo"_s, u"create-admin"_s};
    if (!config.command.isEmpty() && !commands.contains(config.command))
        return fail(Error::Kind::InvalidRequest, u"unknown command \"%1\" (see --help)"_s.arg(config.command));

    config.configFile = !configFlag.isEmpty() ? configFlag
                        : environment.contains(u"SHOPDESK_CONFIG"_s) ? environment.value(u"SHOPDESK_CONFIG"_s)
                                                                     : defaultConfigFile;
    config.dataDir = defaultDataDir;

    if (!config.configFile.isEmpty()) {
        if (auto ok = applyFile(config, config.configFile); !ok)
            return std::unexpected(ok.error());
    }
    for (const Option &o : options()) {
        if (o.env.isEmpty() || !environment.contains(o.env))
            continue;
        if (auto ok = o.apply(config, environment.value(o.env)); !ok)
            return fail(Error::Kind::InvalidRequest, u"%1: %2"_s.arg(o.env, ok.error().message()));
    }
    if (environment.contains(u"SHOPDESK_HEADLESS"_s))
        config.headless = environment.value(u"SHOPDESK_HEADLESS"_s) == "1"_L1;
    for (const auto &[option, value] : flagValues) {
        if (auto ok = option->apply(config, value); !ok)
            return fail(Error::Kind::InvalidRequest, u"--%1: %2"_s.arg(option->flag, ok.error().message()));
    }
    if (headlessFlag)
        config.headless = true;
    if (config.tlsCertFile.isEmpty() != config.tlsKeyFile.isEmpty())
        return fail(Error::Kind::InvalidRequest, u"--tls-cert and --tls-key go together: give both or neither"_s);
    if (config.tlsSelfSigned && !config.tlsCertFile.isEmpty())
        return fail(Error::Kind::InvalidRequest,
                    u"--tls-self-signed and --tls-cert/--tls-key exclude each other: choose one"_s);
    if (config.httpRedirectPort != 0 && !config.tlsEnabled())
        return fail(Error::Kind::InvalidRequest,
                    u"--http-redirect-port needs HTTPS (--tls-cert and --tls-key, or --tls-self-signed)"_s);
    if (config.httpRedirectPort != 0 && config.httpRedirectPort == config.port)
        return fail(Error::Kind::InvalidRequest, u"--http-redirect-port must differ from --port"_s);
    if (config.dataDir.isEmpty())
        return fail(Error::Kind::InvalidRequest, u"no data directory (use --data-dir)"_s);
    return config;
}

QString ConfigLoader::usage()
{
    QString text = u"Usage: shopdesk [command] [options]\n\n"
                   "Commands:\n"
                   "  (none)     run the shop: admin window and server (headless with --headless\n"
                   "             or when there is no display)\n"
                   "  migrate    apply database migrations and exit\n"
                   "  health     ask a running instance's /readyz (exit 0 when ready)\n"
                   "  create-admin  add an administrator (--email E; the password is read from\n"
                   "             the terminal or stdin, never from the command line)\n"
                   "  seed-demo  fill the catalog with demo categories and products\n"
                   "             (--products N, default 50; adds only what is missing)\n\n"
                   "Options (flag, environment variable):\n"
                   "  --headless                      SHOPDESK_HEADLESS=1\n"
                   "      never open a window\n"
                   "  --config <file>                 SHOPDESK_CONFIG\n"
                   "      settings file (INI)\n"_s;
    for (const Option &o : options()) {
        QString left = o.flag.isEmpty()      ? u"  (environment only)"_s
                       : o.valueName.isEmpty() ? QString(u"  --"_s + o.flag)
                                               : QString(u"  --"_s + o.flag + u" <"_s + o.valueName + u'>');
        text += left.leftJustified(34) + o.env + u"\n      "_s + o.help + u'\n';
    }
    return text;
}

QString ConfigLoader::standardConfigFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) + u"/shopdesk.conf"_s;
}

QString ConfigLoader::standardDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

} // namespace shop
