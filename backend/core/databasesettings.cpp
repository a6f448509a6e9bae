#include "databasesettings.h"

#include "logging.h"
#include "secretstore.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

const QString kUrlKey = u"database/url"_s;

Status checkStatus(const QSettings &settings, const QString &path, const char *action)
{
    switch (settings.status()) {
    case QSettings::NoError:
        return {};
    case QSettings::AccessError:
        return fail(Error::internal(u"cannot %1 %2: permission denied"_s.arg(QLatin1StringView(action), path)));
    case QSettings::FormatError:
        return fail(Error::internal(u"cannot %1 %2: not a valid INI file"_s.arg(QLatin1StringView(action), path)));
    }
    return {};
}

} // namespace

Result<DatabaseSettings> DatabaseSettings::load(const QString &configFile, SecretStore &secrets)
{
    DatabaseSettings settings;
    if (configFile.isEmpty() || !QFileInfo::exists(configFile))
        return settings;
    const QSettings file(configFile, QSettings::IniFormat);
    if (auto ok = checkStatus(file, configFile, "read"); !ok)
        return std::unexpected(ok.error());
    const QString url = file.value(kUrlKey).toString().trimmed();
    if (url.isEmpty())
        return settings;
    auto parsed = db::ConnectionOptions::parse(url);
    if (!parsed)
        return fail(Error::invalid(u"%1 [%2]: %3"_s.arg(configFile, kUrlKey, parsed.error().message())));
    settings.mode = Mode::Server;
    settings.server = std::move(*parsed);
    if (auto ok = fillPassword(settings.server, secrets); !ok)
        return std::unexpected(ok.error());
    return settings;
}

Status DatabaseSettings::save(const QString &configFile, SecretStore &secrets) const
{
    if (configFile.isEmpty())
        return fail(Error::internal(u"there is no configuration file to save the database setting in"_s));
    if (mode == Mode::Server && server.host.isEmpty() && server.database.isEmpty())
        return fail(Error::invalid(u"no database server given"_s));
    if (!QDir().mkpath(QFileInfo(configFile).absolutePath()))
        return fail(Error::internal(u"cannot create the directory of %1"_s.arg(configFile)));

    // The secret first: a failure then leaves the previous, consistent pair in place.
    if (mode == Mode::Server && !server.password.isEmpty()) {
        if (auto ok = secrets.write(SecretStore::kDatabasePassword, server.password); !ok)
            return ok;
    }

    QSettings file(configFile, QSettings::IniFormat);
    if (auto ok = checkStatus(file, configFile, "read"); !ok)
        return ok;
    if (mode == Mode::Server)
        file.setValue(kUrlKey, urlWithoutPassword());
    else
        file.remove(kUrlKey);
    file.sync();
    if (auto ok = checkStatus(file, configFile, "write"); !ok)
        return ok;

    // An old password must not be offered to a server that no longer needs one, nor
    // linger once the embedded cluster is back in use.
    if (mode == Mode::Embedded || server.password.isEmpty()) {
        if (auto ok = secrets.remove(SecretStore::kDatabasePassword); !ok)
            return ok;
    }
    qCInfo(lcDb).noquote() << "database setting saved:"
                           << (mode == Mode::Server ? server.redacted() : u"embedded cluster"_s);
    return {};
}

Status DatabaseSettings::fillPassword(db::ConnectionOptions &options, SecretStore &secrets)
{
    if (!options.password.isEmpty())
        return {};
    auto stored = secrets.read(SecretStore::kDatabasePassword);
    if (!stored)
        return std::unexpected(stored.error());
    if (*stored)
        options.password = **stored;
    return {};
}

QString DatabaseSettings::urlWithoutPassword() const
{
    db::ConnectionOptions options = server;
    options.password.clear();
    return options.toUri();
}

bool operator==(const DatabaseSettings &a, const DatabaseSettings &b)
{
    if (a.mode != b.mode)
        return false;
    return a.mode == DatabaseSettings::Mode::Embedded || a.server.toUri() == b.server.toUri();
}

} // namespace shop
