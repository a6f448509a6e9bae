#pragma once

#include "authservice.h"
#include "db/database.h"

namespace shop::auth {

// The users columns every account query reads, in readUser()'s order; `u` is users.
inline constexpr auto UserColumns =
    "u.id, u.email::text, u.first_name, u.last_name, u.role, u.email_verified_at IS NOT NULL,"
    " u.disabled_at IS NOT NULL, u.totp_enabled_at IS NOT NULL, u.must_reset_password,"
    " u.failed_logins, u.locked_until, u.last_login_at, u.created_at, u.version";
inline constexpr int UserColumnCount = 14;

inline User readUser(const db::Query &q, int at = 0)
{
    User u;
    u.id = q.value(at + 0).toLongLong();
    u.email = q.value(at + 1).toString();
    u.firstName = q.value(at + 2).toString();
    u.lastName = q.value(at + 3).toString();
    u.role = q.value(at + 4).toString();
    u.emailVerified = q.value(at + 5).toBool();
    u.disabled = q.value(at + 6).toBool();
    u.totpEnabled = q.value(at + 7).toBool();
    u.mustResetPassword = q.value(at + 8).toBool();
    u.failedLogins = int(q.value(at + 9).toLongLong());
    u.lockedUntil = q.value(at + 10).toDateTime();
    u.lastLoginAt = q.value(at + 11).toDateTime();
    u.createdAt = q.value(at + 12).toDateTime();
    u.version = int(q.value(at + 13).toLongLong());
    return u;
}

} // namespace shop::auth
