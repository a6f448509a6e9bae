#pragma once

#include "result.h"

#include <QString>

#include <optional>

namespace shop {

// Named secrets (the database password, later API keys) kept out of the config file.
//
// The system keyring (Secret Service, KWallet, macOS Keychain through QtKeychain) is
// used when one answers; otherwise, as on a headless server, each secret is a file
// <dataDir>/secrets/<key> readable by the owner only. The keyring is tried first on
// every read, so a secret saved while no keyring was running is still found in its
// file afterwards.
//
// QtKeychain runs its jobs on a process-wide executor and needs an event loop: use a
// SecretStore from the main thread after QCoreApplication exists. Without an
// application object only the file backend is used.
class SecretStore
{
public:
    enum class Keyring {
        Auto,     // keyring when available, else the file
        Disabled, // the file only: deterministic for tests and servers
    };

    static constexpr auto kDatabasePassword = QStringView(u"database-password");

    explicit SecretStore(QString dataDir, Keyring keyring = Keyring::Auto);

    // nullopt when no secret of that name is stored anywhere.
    Result<std::optional<QString>> read(QStringView key);
    Status write(QStringView key, const QString &secret);
    // Removes the secret from the keyring and the file; absent is not an error.
    Status remove(QStringView key);

    // Where the file backend keeps `key` (whether or not it exists).
    QString filePath(QStringView key) const;
    QString directory() const;

    // How long one keyring operation may take before the file is used instead.
    void setKeyringTimeout(int milliseconds) { m_keyringTimeoutMs = milliseconds; }

private:
    enum class KeyringOutcome { Done, NotFound, Unavailable };
    KeyringOutcome keyringRead(QStringView key, QString &secret);
    KeyringOutcome keyringWrite(QStringView key, const QString &secret);
    KeyringOutcome keyringRemove(QStringView key);
    bool keyringUsable() const;
    QString keyringKey(QStringView key) const;

    Result<std::optional<QString>> fileRead(QStringView key);
    Status fileWrite(QStringView key, const QString &secret);
    Status fileRemove(QStringView key);
    Status ensureDirectory();

    QString m_dataDir;
    Keyring m_keyring;
    int m_keyringTimeoutMs = 5000;
    // Set after the keyring failed once, so a machine without one pays the
    // timeout only once per process.
    bool m_keyringBroken = false;
};

} // namespace shop
