#pragma once

#include "connectionoptions.h"
#include "core/result.h"

#include <QString>

#include <memory>

namespace shop::db {

// A private PostgreSQL cluster under the data directory: initdb on first use, started
// on a unix socket only (no TCP), stopped on exit. Root cannot run PostgreSQL, so as
// root the cluster runs as an unprivileged user (postgres, else nobody).
class LocalCluster
{
public:
    struct Options
    {
        QString dataDir;     // the cluster lives in <dataDir>/database/postgres
        QString binDir;      // empty: search the usual places
        QString databaseName = QStringLiteral("shopdesk");
        bool fastInit = false; // initdb --no-sync and fsync=off: throwaway test clusters only
        // Names the socket file (.s.PGSQL.<port>); also the TCP port if extraSettings
        // open one. The app never does: its cluster is reachable through the socket only.
        int port = 5432;
        // Appended to the generated settings (later lines win): tests use it to serve
        // TLS on 127.0.0.1, as a remote server would.
        QByteArray extraSettings;
    };

    ~LocalCluster();
    LocalCluster(const LocalCluster &) = delete;
    LocalCluster &operator=(const LocalCluster &) = delete;

    // Creates (when new) and starts the cluster, or adopts one already running on the
    // same directory. The returned object stops it when destroyed, if it started it.
    static Result<std::unique_ptr<LocalCluster>> start(const Options &options);

    // Where initdb and pg_ctl were found, or an error naming what is missing.
    static Result<QString> findBinDir(const QString &preferred);

    ConnectionOptions connection() const;
    QString clusterDir() const { return m_clusterDir; }
    QString socketDir() const { return m_socketDir; }
    bool ownsServer() const { return m_owned; }

    Status stop();

private:
    LocalCluster() = default;

    Status initialize(bool fastInit);
    Status writeRuntimeConfig(const Options &options);
    Status startServer();
    Status ensureDatabase(const QString &name);
    Result<QByteArray> run(const QString &program, const QStringList &arguments, int timeoutMs) const;
    bool isRunning() const;

    QString m_binDir;
    QString m_dataDir;
    QString m_clusterDir;
    QString m_socketDir;
    QString m_logFile;
    QString m_superuser = QStringLiteral("shopdesk");
    QString m_database;
    // When running as root: the account the server runs as.
    int m_runUid = -1;
    int m_runGid = -1;
    int m_port = 5432;
    bool m_owned = false;
};

} // namespace shop::db
