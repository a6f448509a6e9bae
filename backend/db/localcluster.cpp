#include "localcluster.h"

#include "core/logging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace shop::db {

namespace {

constexpr int kSocketPathMax = 100; // sun_path is 108 bytes with ".s.PGSQL.5432"

struct Account
{
    int uid = -1;
    int gid = -1;
    QString name;
};

// The unprivileged account a root-started cluster runs as.
std::optional<Account> unprivilegedAccount()
{
    QStringList names;
    if (const QByteArray configured = qgetenv("SHOPDESK_PG_USER"); !configured.isEmpty())
        names.append(QString::fromLocal8Bit(configured));
    names << u"postgres"_s << u"nobody"_s;
    for (const QString &name : std::as_const(names)) {
        if (const passwd *pw = ::getpwnam(name.toLocal8Bit().constData()))
            return Account{int(pw->pw_uid), int(pw->pw_gid), name};
    }
    return std::nullopt;
}

// Can uid/gid reach (search) every directory on the way to path?
bool traversable(const QString &path, int uid, int gid)
{
    QDir dir(QFileInfo(path).absoluteFilePath());
    while (true) {
        struct stat st {};
        if (::stat(QFile::encodeName(dir.absolutePath()).constData(), &st) == 0) {
            const bool ok = (st.st_uid == uid_t(uid)) ? (st.st_mode & S_IXUSR)
                            : (st.st_gid == gid_t(gid)) ? (st.st_mode & S_IXGRP)
                                                        : (st.st_mode & S_IXOTH);
            if (!ok)
                return false;
        }
        if (dir.isRoot())
            return true;
        dir.setPath(QFileInfo(dir.absolutePath()).absolutePath());
    }
}

Status chownTree(const QString &path, int uid, int gid)
{
    if (::chown(QFile::encodeName(path).constData(), uid_t(uid), gid_t(gid)) != 0)
        return fail(Error::internal(u"cannot hand %1 to the database account: %2"_s.arg(path, QString::fromLocal8Bit(strerror(errno)))));
    return {};
}

QString shortHash(const QString &text)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex().left(12));
}

} // namespace

LocalCluster::~LocalCluster()
{
    if (m_owned) {
        if (auto ok = stop(); !ok)
            qCWarning(lcCluster).noquote() << ok.error().message();
    }
}

Result<QString> LocalCluster::findBinDir(const QString &preferred)
{
    const auto hasTools = [](const QString &dir) {
        return QFileInfo(dir + u"/initdb"_s).isExecutable() && QFileInfo(dir + u"/pg_ctl"_s).isExecutable()
               && QFileInfo(dir + u"/postgres"_s).isExecutable();
    };
    if (!preferred.isEmpty()) {
        if (hasTools(preferred))
            return preferred;
        return fail(Error::unavailable(
            u"PostgreSQL server programs (initdb, pg_ctl, postgres) are not in %1"_s.arg(preferred)));
    }
    QStringList candidates = {u"/usr/lib/postgresql/15/bin"_s};
    QDir versions(u"/usr/lib/postgresql"_s);
    QStringList found = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(found.begin(), found.end(), [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &v : std::as_const(found))
        candidates.append(versions.filePath(v) + u"/bin"_s);
    if (const QString initdb = QStandardPaths::findExecutable(u"initdb"_s); !initdb.isEmpty())
        candidates.append(QFileInfo(initdb).absolutePath());
    for (const QString &dir : std::as_const(candidates)) {
        if (hasTools(dir))
            return dir;
    }
    return fail(Error::unavailable(
        u"PostgreSQL server programs (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin "
        "or on PATH. Install them (Debian: apt-get install postgresql-15), point --pg-bin-dir at "
        "them, or use an existing server with --database-url."_s));
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::start(const Options &options)
{
    auto binDir = findBinDir(options.binDir);
    if (!binDir)
        return std::unexpected(binDir.error());

    std::unique_ptr<LocalCluster> cluster(new LocalCluster);
    cluster->m_binDir = *binDir;
    cluster->m_database = options.databaseName;
    cluster->m_dataDir = QDir(options.dataDir).absolutePath();
    if (!QDir().mkpath(cluster->m_dataDir))
        return fail(Error::unavailable(u"cannot create data directory %1"_s.arg(cluster->m_dataDir)));

    // Everything the server owns lives under one directory, so as root only that
    // directory is handed to the server account, never the data directory itself.
    QString root = cluster->m_dataDir + u"/database"_s;
    if (::geteuid() == 0) {
        const auto account = unprivilegedAccount();
        if (!account)
            return fail(Error::unavailable(u"running as root, and there is no unprivileged account "
                                           "(postgres or nobody) to run PostgreSQL as"_s));
        cluster->m_runUid = account->uid;
        cluster->m_runGid = account->gid;
        if (!traversable(root, account->uid, account->gid)) {
            // e.g. /root/.local/share: the server account cannot enter /root. Keep the
            // cluster where it can, tied to this data directory by name.
            root = u"/var/lib/shopdesk/"_s + shortHash(cluster->m_dataDir);
            qCInfo(lcCluster).noquote() << "running as root; the database account" << account->name
                                        << "cannot reach" << cluster->m_dataDir << "so the cluster lives in" << root;
            if (!QDir().mkpath(root))
                return fail(Error::unavailable(u"cannot create %1"_s.arg(root)));
            ::chmod("/var/lib/shopdesk", 0755);
        }
    }
    cluster->m_clusterDir = root + u"/postgres"_s;
    cluster->m_logFile = root + u"/postgres.log"_s;
    cluster->m_socketDir = root + u"/run"_s;
    if (cluster->m_socketDir.toLocal8Bit().size() > kSocketPathMax)
        cluster->m_socketDir = QDir::tempPath() + u"/shopdesk-"_s + shortHash(cluster->m_clusterDir);

    // Two processes starting on one data directory take turns here, so only one runs
    // initdb and only one starts the server; the other adopts it.
    QLockFile lock(cluster->m_dataDir + u"/cluster.lock"_s);
    lock.setStaleLockTime(0);
    if (!lock.tryLock(120'000))
        return fail(Error::unavailable(u"another process holds %1/cluster.lock"_s.arg(cluster->m_dataDir)));

    for (const QString &dir : {root, cluster->m_socketDir}) {
        if (!QDir().mkpath(dir))
            return fail(Error::unavailable(u"cannot create %1"_s.arg(dir)));
        ::chmod(QFile::encodeName(dir).constData(), 0700);
        if (cluster->m_runUid >= 0) {
            if (auto ok = chownTree(dir, cluster->m_runUid, cluster->m_runGid); !ok)
                return std::unexpected(ok.error());
        }
    }

    if (!QFileInfo::exists(cluster->m_clusterDir + u"/PG_VERSION"_s)) {
        if (auto ok = cluster->initialize(options.fastInit); !ok)
            return std::unexpected(ok.error());
    }
    cluster->m_port = options.port;
    if (auto ok = cluster->writeRuntimeConfig(options); !ok)
        return std::unexpected(ok.error());

    // owner.pid names the ShopDesk process that started the server and will stop it.
    // A server left running by a process that died (a crash, kill -9) is adopted and
    // stopped by us at exit; one whose starter is alive is shared and left running.
    QFile owner(root + u"/owner.pid"_s);
    if (cluster->isRunning()) {
        qint64 ownerPid = 0;
        if (owner.open(QIODevice::ReadOnly)) {
            ownerPid = owner.readAll().trimmed().toLongLong();
            owner.close();
        }
        const bool ownerAlive = ownerPid > 0 && ownerPid != ::getpid() && ::kill(pid_t(ownerPid), 0) == 0;
        cluster->m_owned = !ownerAlive;
        qCInfo(lcCluster).noquote() << "PostgreSQL is already running on" << cluster->m_clusterDir
                                    << (ownerAlive ? "(shared with the process that started it)"
                                                   : "(its starter is gone; this process now stops it at exit)");
    } else {
        if (auto ok = cluster->startServer(); !ok)
            return std::unexpected(ok.error());
        cluster->m_owned = true;
    }
    if (cluster->m_owned && owner.open(QIODevice::WriteOnly | QIODevice::Truncate))
        owner.write(QByteArray::number(::getpid()));
    if (auto ok = cluster->ensureDatabase(options.databaseName); !ok) {
        return std::unexpected(ok.error());
    }
    return cluster;
}

Result<QByteArray> LocalCluster::run(const QString &program, const QStringList &arguments, int timeoutMs) const
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setWorkingDirectory(m_runUid >= 0 ? u"/"_s : m_dataDir);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"LC_ALL"_s, u"C.UTF-8"_s);
    env.remove(u"PGDATA"_s);
    process.setProcessEnvironment(env);
    if (m_runUid >= 0) {
        const uid_t uid = uid_t(m_runUid);
        const gid_t gid = gid_t(m_runGid);
        process.setChildProcessModifier([uid, gid] {
            // Runs in the child between fork and exec: drop root for good.
            if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
                ::_exit(126);
        });
    }
    const QString path = m_binDir + u'/' + program;
    process.start(path, arguments);
    if (!process.waitForStarted(10'000))
        return fail(Error::unavailable(u"cannot run %1: %2"_s.arg(path, process.errorString())));
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        return fail(Error::unavailable(u"%1 did not finish within %2 s"_s.arg(program).arg(timeoutMs / 1000)));
    }
    const QByteArray output = process.readAll();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        return fail(Error::unavailable(u"%1 failed (exit %2): %3"_s.arg(program).arg(process.exitCode())
                                           .arg(QString::fromLocal8Bit(output).trimmed().right(2000))));
    }
    return output;
}

Status LocalCluster::initialize(bool fastInit)
{
    qCInfo(lcCluster).noquote() << "creating a PostgreSQL cluster in" << m_clusterDir;
    QStringList args = {u"-D"_s, m_clusterDir, u"-U"_s, m_superuser, u"--auth=trust"_s,
                        u"--encoding=UTF8"_s, u"--locale=C.UTF-8"_s};
    if (fastInit)
        args << u"--no-sync"_s;
    auto out = run(u"initdb"_s, args, 180'000);
    if (!out)
        return std::unexpected(out.error());
    // Every start rewrites shopdesk.conf; the generated postgresql.conf only includes it.
    QFile conf(m_clusterDir + u"/postgresql.conf"_s);
    if (!conf.open(QIODevice::Append))
        return fail(Error::unavailable(u"cannot extend %1"_s.arg(conf.fileName())));
    const QByteArray include = "\n# Written by ShopDesk at every start.\ninclude_if_exists = 'shopdesk.conf'\n";
    if (conf.write(include) != include.size() || !conf.flush())
        return fail(Error::unavailable(u"cannot extend %1"_s.arg(conf.fileName())));
    return {};
}

Status LocalCluster::writeRuntimeConfig(const Options &options)
{
    QFile conf(m_clusterDir + u"/shopdesk.conf"_s);
    if (!conf.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail(Error::unavailable(u"cannot write %1"_s.arg(conf.fileName())));
    QByteArray text = "listen_addresses = ''\n"
                      "unix_socket_directories = '" + m_socketDir.toUtf8() + "'\n"
                      "unix_socket_permissions = 0700\n"
                      "port = " + QByteArray::number(m_port) + "\n"
                      "max_connections = 200\n";
    if (options.fastInit)
        text += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
    text += options.extraSettings;
    if (conf.write(text) != text.size())
        return fail(Error::unavailable(u"cannot write %1"_s.arg(conf.fileName())));
    conf.close();
    if (m_runUid >= 0)
        return chownTree(conf.fileName(), m_runUid, m_runGid);
    return {};
}

bool LocalCluster::isRunning() const
{
    return run(u"pg_ctl"_s, {u"status"_s, u"-D"_s, m_clusterDir}, 10'000).has_value();
}

Status LocalCluster::startServer()
{
    qCInfo(lcCluster).noquote() << "starting PostgreSQL on" << m_socketDir;
    auto out = run(u"pg_ctl"_s, {u"start"_s, u"-D"_s, m_clusterDir, u"-l"_s, m_logFile, u"-w"_s,
                                 u"-t"_s, u"60"_s, u"-s"_s}, 90'000);
    if (!out) {
        QFile log(m_logFile);
        QString tail;
        if (log.open(QIODevice::ReadOnly))
            tail = QString::fromLocal8Bit(log.readAll().right(1500));
        return fail(Error::unavailable(out.error().message() + u"\n"_s + tail));
    }
    return {};
}

Status LocalCluster::ensureDatabase(const QString &name)
{
    const QString connectionName = u"shopdesk-cluster-"_s + QUuid::createUuid().toString(QUuid::Id128);
    Status result;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
        ConnectionOptions admin = connection();
        admin.database = u"postgres"_s;
        admin.applyTo(db);
        if (!db.open()) {
            result = fail(Error::unavailable(u"cannot connect to the embedded PostgreSQL: "_s + db.lastError().text()));
        } else {
            QSqlQuery q(db);
            q.prepare(u"SELECT 1 FROM pg_database WHERE datname = ?"_s);
            q.addBindValue(name);
            if (!q.exec()) {
                result = fail(Error::unavailable(q.lastError().text()));
            } else if (!q.next()) {
                // Identifiers cannot be bound; the name comes from our own options.
                QString quotedName = name;
                quotedName.replace(u'"', u"\"\""_s);
                QSqlQuery create(db);
                if (!create.exec(u"CREATE DATABASE \"%1\""_s.arg(quotedName))
                    && create.lastError().nativeErrorCode() != "42P04"_L1) // created meanwhile
                    result = fail(Error::unavailable(create.lastError().text()));
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
    return result;
}

ConnectionOptions LocalCluster::connection() const
{
    ConnectionOptions o;
    o.host = m_socketDir;
    o.port = m_port;
    o.user = m_superuser;
    o.database = m_database;
    return o;
}

Status LocalCluster::stop()
{
    if (!m_owned)
        return {};
    m_owned = false;
    qCInfo(lcCluster).noquote() << "stopping PostgreSQL on" << m_clusterDir;
    auto out = run(u"pg_ctl"_s, {u"stop"_s, u"-D"_s, m_clusterDir, u"-m"_s, u"fast"_s, u"-w"_s,
                                 u"-t"_s, u"60"_s, u"-s"_s}, 90'000);
    if (!out)
        return std::unexpected(out.error());
    return {};
}

} // namespace shop::db
