#include "staticfiles.h"

#include <QCryptographicHash>
#include <QFile>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

QByteArray mimeType(const QString &path)
{
    static const QHash<QString, QByteArray> types = {
        {u"html"_s, "text/html; charset=utf-8"},  {u"css"_s, "text/css; charset=utf-8"},
        {u"js"_s, "text/javascript; charset=utf-8"}, {u"mjs"_s, "text/javascript; charset=utf-8"},
        {u"json"_s, "application/json"},           {u"svg"_s, "image/svg+xml"},
        {u"png"_s, "image/png"},                   {u"jpg"_s, "image/jpeg"},
        {u"webp"_s, "image/webp"},                 {u"ico"_s, "image/x-icon"},
        {u"txt"_s, "text/plain; charset=utf-8"},   {u"woff2"_s, "font/woff2"},
        {u"webmanifest"_s, "application/manifest+json"},
    };
    const QString ext = path.section(u'.', -1).toLower();
    return types.value(ext, "application/octet-stream");
}

bool matchesEtag(const QByteArray &header, const QByteArray &etag)
{
    if (header.trimmed() == "*")
        return true;
    for (const QByteArray &candidate : header.split(',')) {
        QByteArray tag = candidate.trimmed();
        if (tag.startsWith("W/"))
            tag = tag.mid(2);
        if (tag == etag)
            return true;
    }
    return false;
}

} // namespace

bool StaticFiles::isSafePath(const QString &path)
{
    if (path.contains(u'\\') || path.contains(QChar(0)))
        return false;
    const auto segments = QStringView(path).split(u'/');
    for (QStringView s : segments) {
        if (s == u"." || s == u"..")
            return false;
    }
    return true;
}

StaticFiles::File StaticFiles::load(const QString &relative)
{
    QMutexLocker lock(&m_mutex);
    if (auto it = m_cache.constFind(relative); it != m_cache.cend())
        return *it;
    File file;
    QFile f(m_root + u'/' + relative);
    if (f.open(QIODevice::ReadOnly)) {
        file.content = f.readAll();
        file.etag = '"' + QCryptographicHash::hash(file.content, QCryptographicHash::Sha256).toHex().left(32) + '"';
        file.contentType = mimeType(relative);
        file.found = true;
    }
    // Resources are compiled in and never change while running, so misses are cached
    // too, but only while the cache is small: arbitrary URLs cannot grow it unbounded.
    if (file.found || m_cache.size() < 1024)
        m_cache.insert(relative, file);
    return file;
}

Response StaticFiles::serve(const Request &request)
{
    if (request.path.startsWith("/api/"_L1) || request.path == "/api"_L1)
        return Response::error(404, u"NOT_FOUND"_s, u"no such API route"_s);
    if (request.method != "GET")
        return Response::error(405, u"METHOD_NOT_ALLOWED"_s, u"static files are read-only"_s)
            .withHeader("Allow", "GET, HEAD");
    // The path is checked after percent-decoding, so %2e%2e and %5c are caught too.
    if (!isSafePath(request.path))
        return Response::error(400, u"INVALID_REQUEST"_s, u"the path is not allowed"_s);

    QString relative = request.path.mid(1);
    if (relative.isEmpty() || relative.endsWith(u'/'))
        relative += u"index.html"_s;
    File file = load(relative);
    const QString last = relative.section(u'/', -1);
    if (!file.found && !last.contains(u'.'))
        file = load(u"index.html"_s);
    if (!file.found)
        return Response::error(404, u"NOT_FOUND"_s, u"no such file"_s);

    // HTML names the current assets, so it is revalidated every time; the assets
    // themselves may be cached for an hour and revalidated with the ETag.
    const QByteArray cacheControl = file.contentType.startsWith("text/html") ? "no-cache" : "public, max-age=3600";
    if (matchesEtag(request.header("if-none-match"), file.etag))
        return Response::notModified(file.etag).withHeader("Cache-Control", cacheControl);
    return Response::text(200, file.contentType, file.content)
        .withHeader("ETag", file.etag)
        .withHeader("Cache-Control", cacheControl);
}

} // namespace shop::http
