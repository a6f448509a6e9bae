#pragma once

#include "request.h"
#include "response.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace shop::http {

using Handler = std::function<Response(const Request &)>;
// An inline attempt that may answer at once (a cache hit) or decline (nullopt), in
// which case the route's handler runs on the worker pool.
using FastPath = std::function<std::optional<Response>(const Request &)>;

// Where a handler runs. Inline handlers run on the connection's I/O thread and must
// be quick (a cached read, one indexed query). Worker handlers (bcrypt, payment
// calls, reports) run on the bounded worker pool; the reply is written back on the
// I/O thread only if the connection still exists.
enum class Execution { Inline, Worker };

// The one route table. Patterns are literal segments and typed parameters:
// "/api/products/{id:int}" matches digits only, "{slug}" any single segment, and a
// trailing "{path*}" the rest of the path.
class Router
{
public:
    struct Route
    {
        QByteArray method;
        QString pattern;
        Handler handler;
        Execution execution = Execution::Inline;
        QList<QString> segments;
        FastPath fast; // tried inline first when set; the handler then runs as a worker
    };

    struct Match
    {
        const Route *route = nullptr;
        QList<std::pair<QString, QString>> params;
        QList<QByteArray> allowedMethods; // when the path matched but the method did not
    };

    void add(QByteArray method, const QString &pattern, Handler handler, Execution execution = Execution::Inline);
    void get(const QString &pattern, Handler handler, Execution execution = Execution::Inline)
    {
        add("GET", pattern, std::move(handler), execution);
    }
    void post(const QString &pattern, Handler handler, Execution execution = Execution::Inline)
    {
        add("POST", pattern, std::move(handler), execution);
    }

    // GET with a fast path: `fast` runs on the I/O thread and answers what it can
    // (cached reads); what it declines goes to `handler` on the worker pool, so a
    // database-bound miss never holds an I/O thread (health checks stay prompt) and
    // overload meets the worker queue's bound (503) instead of an invisible queue.
    void cached(const QString &pattern, FastPath fast, Handler handler);
    // Any method with an inline gate: `gate` runs on the I/O thread and may answer at
    // once (a rate-limit refusal); what it lets through goes to `handler` on the worker
    // pool.
    void gated(QByteArray method, const QString &pattern, FastPath gate, Handler handler);

    Match match(QByteArrayView method, const QString &path) const;
    const QList<Route> &routes() const { return m_routes; }

private:
    static bool matchSegments(const Route &route, const QList<QStringView> &parts,
                              QList<std::pair<QString, QString>> &params);
    QList<Route> m_routes;
};

} // namespace shop::http
