#include "connectionoptions.h"

#include <QSqlDatabase>
#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

namespace shop::db {

namespace {

// libpq parameters that QPSQL accepts through setConnectOptions(). The list keeps a
// typo (sslmdoe=...) from being silently ignored.
bool isKnownParameter(const QString &key)
{
    static const QStringList known = {
        u"sslmode"_s, u"sslrootcert"_s, u"sslcert"_s, u"sslkey"_s, u"sslcrl"_s,
        u"sslpassword"_s, u"sslcompression"_s, u"sslsni"_s, u"ssl_min_protocol_version"_s,
        u"ssl_max_protocol_version"_s, u"connect_timeout"_s, u"application_name"_s,
        u"options"_s, u"keepalives"_s, u"keepalives_idle"_s, u"keepalives_interval"_s,
        u"keepalives_count"_s, u"tcp_user_timeout"_s, u"target_session_attrs"_s,
        u"gssencmode"_s, u"requiressl"_s, u"client_encoding"_s, u"hostaddr"_s,
        u"passfile"_s, u"channel_binding"_s, u"krbsrvname"_s, u"service"_s,
    };
    return known.contains(key);
}

Status assign(ConnectionOptions &o, const QString &key, const QString &value)
{
    if (key == "host"_L1) {
        o.host = value;
    } else if (key == "port"_L1) {
        bool ok = false;
        const int port = value.toInt(&ok);
        if (!ok || port <= 0 || port > 65535)
            return fail(Error::Kind::InvalidRequest, u"database port \"%1\" is not a port number"_s.arg(value));
        o.port = port;
    } else if (key == "dbname"_L1) {
        o.database = value;
    } else if (key == "user"_L1) {
        o.user = value;
    } else if (key == "password"_L1) {
        o.password = value;
    } else if (key == "sslmode"_L1) {
        static const QStringList modes = {u"disable"_s, u"allow"_s, u"prefer"_s, u"require"_s,
                                          u"verify-ca"_s, u"verify-full"_s};
        if (!modes.contains(value))
            return fail(Error::Kind::InvalidRequest, u"sslmode \"%1\" is not one of %2"_s.arg(value, modes.join(u", ")));
        o.parameters.insert(key, value);
    } else if (isKnownParameter(key)) {
        o.parameters.insert(key, value);
    } else {
        return fail(Error::Kind::InvalidRequest, u"unknown database connection parameter \"%1\""_s.arg(key));
    }
    return {};
}

Result<ConnectionOptions> parseUri(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return fail(Error::Kind::InvalidRequest, u"database URL is not a valid URI: %1"_s.arg(url.errorString()));
    ConnectionOptions o;
    o.host = url.host();
    if (url.port() != -1)
        o.port = url.port();
    o.user = url.userName(QUrl::FullyDecoded);
    o.password = url.password(QUrl::FullyDecoded);
    QString path = url.path(QUrl::FullyDecoded);
    if (path.startsWith(u'/'))
        path.remove(0, 1);
    o.database = path;
    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (auto ok = assign(o, key, value); !ok)
            return std::unexpected(ok.error());
    }
    return o;
}

Result<ConnectionOptions> parseKeyValue(const QString &text)
{
    ConnectionOptions o;
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n) {
        while (i < n && text.at(i).isSpace())
            ++i;
        if (i >= n)
            break;
        const qsizetype keyStart = i;
        while (i < n && text.at(i) != u'=' && !text.at(i).isSpace())
            ++i;
        const QString key = text.mid(keyStart, i - keyStart);
        while (i < n && text.at(i).isSpace())
            ++i;
        if (i >= n || text.at(i) != u'=')
            return fail(Error::Kind::InvalidRequest, u"database connection string: \"%1\" has no value"_s.arg(key));
        ++i;
        while (i < n && text.at(i).isSpace())
            ++i;
        QString value;
        if (i < n && text.at(i) == u'\'') {
            ++i;
            bool closed = false;
            while (i < n) {
                const QChar c = text.at(i++);
                if (c == u'\\' && i < n) {
                    value.append(text.at(i++));
                } else if (c == u'\'') {
                    closed = true;
                    break;
                } else {
                    value.append(c);
                }
            }
            if (!closed)
                return fail(Error::Kind::InvalidRequest, u"database connection string: unterminated quote after \"%1=\""_s.arg(key));
        } else {
            while (i < n && !text.at(i).isSpace()) {
                const QChar c = text.at(i++);
                if (c == u'\\' && i < n)
                    value.append(text.at(i++));
                else
                    value.append(c);
            }
        }
        if (auto ok = assign(o, key, value); !ok)
            return std::unexpected(ok.error());
    }
    return o;
}

QString quoted(const QString &value)
{
    QString v = value;
    v.replace(u'\\', u"\\\\"_s).replace(u'\'', u"\\'"_s);
    return u'\'' + v + u'\'';
}

} // namespace

Result<ConnectionOptions> ConnectionOptions::parse(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return fail(Error::Kind::InvalidRequest, u"database URL is empty"_s);
    if (trimmed.startsWith("postgresql://"_L1) || trimmed.startsWith("postgres://"_L1))
        return parseUri(trimmed);
    if (trimmed.contains(u'='))
        return parseKeyValue(trimmed);
    return fail(Error::Kind::InvalidRequest,
                u"database URL must be a postgresql:// URI or key=value pairs"_s);
}

void ConnectionOptions::applyTo(QSqlDatabase &db) const
{
    db.setHostName(host);
    db.setPort(port);
    db.setDatabaseName(database);
    db.setUserName(user);
    db.setPassword(password);
    // QPSQL hands these to libpq as "key=value" pairs separated by ';', quoting values.
    QStringList options;
    for (auto it = parameters.cbegin(); it != parameters.cend(); ++it)
        options.append(it.key() + u'=' + quoted(it.value()));
    db.setConnectOptions(options.join(u';'));
}

QString ConnectionOptions::redacted() const
{
    QString where = host.isEmpty() ? u"localhost"_s : host;
    if (!host.startsWith(u'/'))
        where += u':' + QString::number(port);
    QString text = u"%1@%2/%3"_s.arg(user.isEmpty() ? u"(default user)"_s : user, where, database);
    if (parameters.contains(u"sslmode"_s))
        text += u" sslmode="_s + parameters.value(u"sslmode"_s);
    return text;
}

QString ConnectionOptions::toUri() const
{
    QUrl url;
    url.setScheme(u"postgresql"_s);
    if (!host.startsWith(u'/'))
        url.setHost(host);
    url.setPort(port);
    url.setUserName(user);
    url.setPassword(password);
    url.setPath(u'/' + database);
    QUrlQuery query;
    if (host.startsWith(u'/'))
        query.addQueryItem(u"host"_s, host);
    for (auto it = parameters.cbegin(); it != parameters.cend(); ++it)
        query.addQueryItem(it.key(), it.value());
    url.setQuery(query);
    return url.toString(QUrl::FullyEncoded);
}

} // namespace shop::db
