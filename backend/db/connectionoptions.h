#pragma once

#include "core/result.h"

#include <QMap>
#include <QString>

class QSqlDatabase;

namespace shop::db {

// Where and how to reach a PostgreSQL server. Parsed from a libpq connection URI
// (postgresql://user:pass@host:5432/db?sslmode=verify-full&sslrootcert=/ca.pem) or a
// key=value string (host=... dbname=... sslmode=...), as libpq itself accepts them.
struct ConnectionOptions
{
    QString host;      // name, address, or an absolute unix-socket directory
    int port = 5432;
    QString database;
    QString user;
    QString password;
    // Every other libpq parameter (sslmode, sslrootcert, sslcert, sslkey,
    // connect_timeout, application_name, ...) passed through unchanged.
    QMap<QString, QString> parameters;

    static Result<ConnectionOptions> parse(const QString &text);

    QString sslMode() const { return parameters.value(QStringLiteral("sslmode")); }

    // Applies everything to a QPSQL connection (not yet opened).
    void applyTo(QSqlDatabase &db) const;

    // A description safe for logs and the UI: no password.
    QString redacted() const;

    // A URI that round-trips through parse() (with the password).
    QString toUri() const;
};

} // namespace shop::db
