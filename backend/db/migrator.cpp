#include "migrator.h"

#include "core/logging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace shop::db {

namespace {

// Arbitrary but fixed: "ShopDesk" in ASCII, the key of the migration advisory lock.
constexpr qint64 kMigrationLockKey = 0x53686f704465736bLL;

Result<Migration> parseFile(const QString &path)
{
    static const QRegularExpression pattern(u"^(\\d{4})_[a-z0-9_]+\\.sql$"_s);
    const QString name = QFileInfo(path).fileName();
    const auto match = pattern.match(name);
    if (!match.hasMatch())
        return fail(Error::internal(u"migration file name %1 is not NNNN_name.sql"_s.arg(name)));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::internal(u"cannot read migration %1"_s.arg(path)));
    return Migration{match.captured(1).toInt(), name, file.readAll()};
}

Result<QList<Migration>> readDirectory(const QString &path)
{
    QList<Migration> list;
    const QDir dir(path);
    const QStringList files = dir.entryList({u"*.sql"_s}, QDir::Files, QDir::Name);
    for (const QString &f : files) {
        auto m = parseFile(dir.filePath(f));
        if (!m)
            return std::unexpected(m.error());
        if (!list.isEmpty() && list.last().version == m->version)
            return fail(Error::internal(u"two migrations share version %1"_s.arg(m->version)));
        list.append(*m);
    }
    return list;
}

const QString kCreateTable = u"CREATE TABLE IF NOT EXISTS schema_migrations ("
                             "  version integer PRIMARY KEY,"
                             "  name text NOT NULL,"
                             "  checksum text NOT NULL,"
                             "  applied_at timestamptz NOT NULL DEFAULT now())"_s;

} // namespace

QByteArray Migration::checksum() const
{
    return QCryptographicHash::hash(sql, QCryptographicHash::Sha256).toHex();
}

Migrator::Migrator(Database &database, QList<Migration> migrations)
    : m_database(database), m_migrations(std::move(migrations))
{
}

QList<Migration> Migrator::embedded()
{
    auto list = readDirectory(u":/migrations"_s);
    if (!list) {
        // The files are compiled in; a bad name is a build mistake caught by the tests.
        qCCritical(lcMigrate).noquote() << list.error().message();
        return {};
    }
    return *list;
}

Result<QList<Migration>> Migrator::fromDirectory(const QString &path)
{
    return readDirectory(path);
}

int Migrator::latestKnownVersion() const
{
    return m_migrations.isEmpty() ? 0 : m_migrations.last().version;
}

Result<int> Migrator::currentVersion()
{
    auto connection = m_database.acquire();
    if (!connection)
        return std::unexpected(connection.error());
    auto exists = connection->query(u"SELECT to_regclass('schema_migrations') IS NOT NULL"_s);
    if (auto ok = exists.exec(); !ok)
        return std::unexpected(ok.error());
    if (!exists.next() || !exists.value(0).toBool())
        return 0;
    auto q = connection->query(u"SELECT coalesce(max(version), 0) FROM schema_migrations"_s);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    return q.next() ? q.value(0).toInt() : 0;
}

Result<QList<int>> Migrator::migrate()
{
    auto connection = m_database.acquire(std::chrono::seconds(30));
    if (!connection)
        return std::unexpected(connection.error());
    QList<int> applied;

    // Each step: lock, read what is applied, apply at most one file, commit. Holding
    // the lock only per transaction keeps a slow migration from blocking readers of
    // schema_migrations, and a crash mid-way leaves every earlier file committed.
    for (const Migration &migration : std::as_const(m_migrations)) {
        Transaction tx(*connection);
        if (auto ok = tx.begin(); !ok)
            return std::unexpected(ok.error());
        auto lock = connection->query(u"SELECT pg_advisory_xact_lock(:key)"_s);
        lock.bind(u":key"_s, kMigrationLockKey);
        if (auto ok = lock.exec(); !ok)
            return std::unexpected(ok.error());
        if (auto ok = connection->execute(kCreateTable); !ok)
            return std::unexpected(ok.error());

        auto newest = connection->query(u"SELECT coalesce(max(version), 0) FROM schema_migrations"_s);
        if (auto ok = newest.exec(); !ok)
            return std::unexpected(ok.error());
        const int databaseVersion = newest.next() ? newest.value(0).toInt() : 0;
        if (databaseVersion > latestKnownVersion()) {
            return fail(Error::unavailable(
                u"the database schema is at version %1, newer than this ShopDesk knows (%2); "
                "upgrade ShopDesk before running it against this database"_s
                    .arg(databaseVersion).arg(latestKnownVersion())));
        }

        auto recorded = connection->query(u"SELECT checksum FROM schema_migrations WHERE version = :v"_s);
        recorded.bind(u":v"_s, migration.version);
        if (auto ok = recorded.exec(); !ok)
            return std::unexpected(ok.error());
        if (recorded.next()) {
            if (recorded.value(0).toByteArray() != migration.checksum()) {
                qCWarning(lcMigrate).noquote() << "migration" << migration.name
                                               << "changed after it was applied; the database keeps the applied version";
            }
            continue; // rolled back: nothing was written
        }

        qCInfo(lcMigrate).noquote() << "applying" << migration.name;
        if (auto ok = connection->execute(QString::fromUtf8(migration.sql)); !ok)
            return fail(Error::internal(u"migration %1 failed: %2"_s.arg(migration.name, ok.error().message())));
        auto record = connection->query(
            u"INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)"_s);
        record.bind(u":v"_s, migration.version)
            .bind(u":n"_s, migration.name)
            .bind(u":c"_s, QString::fromLatin1(migration.checksum()));
        if (auto ok = record.exec(); !ok)
            return std::unexpected(ok.error());
        if (auto ok = tx.commit(); !ok)
            return std::unexpected(ok.error());
        applied.append(migration.version);
    }

    // A database newer than every file we know is refused even when nothing was pending.
    auto version = currentVersion();
    if (!version)
        return std::unexpected(version.error());
    if (*version > latestKnownVersion()) {
        return fail(Error::unavailable(u"the database schema is at version %1, newer than this ShopDesk knows (%2)"_s
                                           .arg(*version).arg(latestKnownVersion())));
    }
    return applied;
}

} // namespace shop::db
