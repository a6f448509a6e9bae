#pragma once

#include "core/actor.h"
#include "core/result.h"
#include "request.h"

#include <functional>

namespace shop::http {

// Decides whether a request may use an /api/admin route, and who is asking. Every
// admin handler calls it first, server-side; there is no route that skips it.
using AdminGuard = std::function<Result<Actor>(const Request &)>;

// The guard until accounts and tokens exist: every admin request gets 401. The admin
// API is closed, not open, while nobody can sign in.
inline AdminGuard closedAdminGuard()
{
    return [](const Request &) -> Result<Actor> {
        return fail(Error(Error::Kind::Unauthorized, QStringLiteral("Sign in as an administrator to use the admin API")));
    };
}

} // namespace shop::http
