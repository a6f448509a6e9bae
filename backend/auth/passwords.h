#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QString>

namespace shop::auth {

// bcrypt through libxcrypt (DESIGN.md "Security baseline"; ASVS 2.4.1).
class Passwords
{
public:
    static constexpr int MinimumCost = 10;
    static constexpr int MinimumLength = 8;
    static constexpr int MaximumBytes = 72; // bcrypt reads no further

    // ASVS 2.1: at least 8 characters, at most 72 bytes (said, not silently cut),
    // and not one of the common passwords shipped in resources.
    static Status checkPolicy(const QString &password);

    // "$2b$<cost>$..." with a fresh salt from libxcrypt's own random source.
    static Result<QByteArray> hash(const QString &password, int cost);
    // Verifies $2a$, $2b$ and $2y$ hashes in constant time (libxcrypt compares the
    // recomputed hash; we compare its output with CRYPT_memcmp-style equality).
    static bool verify(const QString &password, const QByteArray &hash);
    // True when the hash was made with a lower cost than asked (rehash at login).
    static bool needsRehash(const QByteArray &hash, int cost);
};

} // namespace shop::auth
