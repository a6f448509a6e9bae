#pragma once

#include "core/actor.h"
#include "core/result.h"
#include "request.h"

#include <functional>

namespace shop::http {

// Decides whether a request may use an /api/admin route, and who is asking. Every
// admin handler calls it first, server-side; there is no route that skips it. The
// running shop uses http::tokenGuard (authroutes.h); tests may pass their own.
using AdminGuard = std::function<Result<Actor>(const Request &)>;

} // namespace shop::http
