#pragma once

#include "db/connectionoptions.h"
#include "result.h"

#include <QString>

namespace shop {

class SecretStore;

// The persisted choice of database: the embedded cluster, or a PostgreSQL server.
//
// The server is kept as the config file's `database/url` (what ConfigLoader reads as
// DATABASE_URL) without its password; the password lives in the SecretStore under
// SecretStore::kDatabasePassword, so the INI file can be copied, backed up and shown
// in a bug report without leaking it.
struct DatabaseSettings
{
    enum class Mode { Embedded, Server };

    Mode mode = Mode::Embedded;
    db::ConnectionOptions server; // meaningful in Server mode; password included

    // Embedded when the file has no `database/url`. In Server mode the password comes
    // from the URL if it carries one (a hand-edited file), else from the store.
    static Result<DatabaseSettings> load(const QString &configFile, SecretStore &secrets);

    // Server: writes the URL without the password and stores the password (or removes
    // a stored one when it is empty). Embedded: removes both. Other keys in the file
    // are kept.
    Status save(const QString &configFile, SecretStore &secrets) const;

    // At startup: a DATABASE_URL without a password gets the stored one.
    static Status fillPassword(db::ConnectionOptions &options, SecretStore &secrets);

    // The URL as written to the config file.
    QString urlWithoutPassword() const;

    friend bool operator==(const DatabaseSettings &a, const DatabaseSettings &b);
};

} // namespace shop
