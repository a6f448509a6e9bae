#pragma once

#include "core/result.h"

#include <QByteArray>

namespace shop::auth {

// Secrets the shop must read back (the TOTP seeds) are stored sealed: AES-256-GCM under
// the data key (--data-key, or <data-dir>/secrets/data-key), with associated data that
// binds a sealed value to its row, so a copied dump or a value moved to another account
// opens nothing. Format: 0x01 | 12-byte nonce | ciphertext | 16-byte tag.
class SecretBox
{
public:
    // Any key material of 32 bytes or more; the AES key is its SHA-256.
    explicit SecretBox(const QByteArray &keyMaterial);

    Result<QByteArray> seal(const QByteArray &plain, const QByteArray &associated) const;
    // Fails for a value sealed under another key, for another row, or altered.
    Result<QByteArray> open(const QByteArray &sealed, const QByteArray &associated) const;
    static bool isSealed(const QByteArray &value);

private:
    QByteArray m_key;
};

} // namespace shop::auth
