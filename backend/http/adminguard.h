#pragma once

#include "core/actor.h"
#include "core/result.h"
#include "request.h"
#include "router.h"

#include <functional>

namespace shop::http {

// Decides whether a request may use an /api/admin route, and who is asking. Every
// admin handler calls it first, server-side; there is no route that skips it. The
// running shop uses http::tokenGuard (authroutes.h); tests may pass their own.
using AdminGuard = std::function<Result<Actor>(const Request &)>;

// Wraps an admin handler: the guard runs first, on every request; an {id:int} that
// matched digits but is too large for qint64 names nothing (404); the actor's source
// is the client address when the guard left it empty.
inline Handler withAdmin(AdminGuard guard, std::function<Response(const Request &, const Actor &)> handler)
{
    return [guard = std::move(guard), handler = std::move(handler)](const Request &request) {
        auto actor = guard(request);
        if (!actor)
            return Response::error(actor.error());
        if (!request.param(u"id").isEmpty() && !request.intParam(u"id"))
            return Response::error(Error::notFound(QStringLiteral("Not found")));
        if (actor->source.isEmpty())
            actor->source = request.peer.toString();
        return handler(request, *actor);
    };
}

} // namespace shop::http
