#pragma once

#include "adminguard.h"
#include "clientaddress.h"
#include "router.h"

#include <QStringList>

namespace shop::auth {
class AuthService;
class RateLimiter;
struct User;
} // namespace shop::auth

namespace shop::http {

struct AuthRoutesContext
{
    auth::AuthService *service = nullptr;
    auth::RateLimiter *limiter = nullptr;
    ClientAddress clientAddress;
    bool secureCookies = true; // the refresh cookie's Secure flag
};

// POST /api/auth/register, /login (seed-compatible: {user_id, token}), /refresh,
// /logout, /logout-all; GET /api/auth/me. Hashing routes run on the worker pool.
void addAuthRoutes(Router &router, const AuthRoutesContext *context);

// The token of an "Authorization: Bearer <token>" header, or empty.
QString bearerToken(const Request &request);
// Who sent it: no token is UNAUTHORIZED, a bad one INVALID_TOKEN or TOKEN_EXPIRED, the
// same on every route that needs a signed-in user.
Result<auth::User> signedInUser(auth::AuthService *service, const Request &request);
// A handler for a signed-in user (an {id:int} too large for qint64 is a 404).
Handler signedIn(auth::AuthService *service, std::function<Response(const Request &, const auth::User &)> handler);

// The guard for /api/admin routes once accounts exist: a valid access token whose
// account (as stored now, not as the token remembers it) has one of `roles`.
AdminGuard tokenGuard(auth::AuthService *service, QStringList roles);

} // namespace shop::http
