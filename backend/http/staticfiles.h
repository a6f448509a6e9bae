#pragma once

#include "request.h"
#include "response.h"

#include <QHash>
#include <QMutex>
#include <QString>

namespace shop::http {

// Serves the storefront from Qt resources (read-only, compiled in). Every file gets a
// strong ETag (content hash, computed once) and a Cache-Control; If-None-Match gives
// 304. Paths with "..", "." or "\" segments are refused, before any lookup.
// Extension-less paths that name no file get index.html, so storefront pages can
// have their own URLs.
class StaticFiles
{
public:
    explicit StaticFiles(QString root) : m_root(std::move(root)) {}

    Response serve(const Request &request);

    // True if the decoded path is safe to map onto the resource tree.
    static bool isSafePath(const QString &path);

private:
    struct File
    {
        QByteArray content;
        QByteArray etag;
        QByteArray contentType;
        bool found = false;
    };
    File load(const QString &relative);

    QString m_root;
    QMutex m_mutex;
    QHash<QString, File> m_cache;
};

} // namespace shop::http
