#pragma once

#include "database.h"

#include <QList>
#include <QString>

namespace shop::db {

struct Migration
{
    int version = 0;
    QString name;      // file name, e.g. 0001_core.sql
    QByteArray sql;
    QByteArray checksum() const;
};

// Applies the forward-only migrations in order, each in its own transaction under a
// transaction-scoped advisory lock, so instances starting together apply each file
// exactly once (and it works behind PgBouncer in transaction mode, where a
// session-level lock would not).
class Migrator
{
public:
    explicit Migrator(Database &database, QList<Migration> migrations = embedded());

    // The migrations compiled into the binary (:/migrations/NNNN_name.sql).
    static QList<Migration> embedded();
    // Reads NNNN_name.sql files from a directory (tests, tools).
    static Result<QList<Migration>> fromDirectory(const QString &path);

    // Applies what is pending; returns the versions it applied.
    Result<QList<int>> migrate();

    // Highest version recorded in the database (0 for none).
    Result<int> currentVersion();
    int latestKnownVersion() const;

private:
    Database &m_database;
    QList<Migration> m_migrations;
};

} // namespace shop::db
