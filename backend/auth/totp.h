#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace shop::auth {

// Two-factor authentication for staff (DESIGN.md "Security baseline"): TOTP codes
// (RFC 6238) through liboath, the otpauth:// URI and its QR code for enrolment, and
// single-use recovery codes. Pure logic: storing the secret, the last used step and
// the recovery code hashes is the caller's business.
namespace totp {

// RFC 6238 section 4: SHA-1, X = 30 s, T0 = the Unix epoch; 6 digits as every
// authenticator app shows them.
inline constexpr int StepSeconds = 30;
inline constexpr int Digits = 6;
// RFC 6238 section 5.2: one step either way absorbs clock drift and typing time.
inline constexpr int Window = 1;
// RFC 4226 section 4 R6 asks for at least 128 bits and recommends 160.
inline constexpr int SecretBytes = 20;
inline constexpr int MinimumSecretBytes = 16;

// 160 bits from OpenSSL's CSPRNG.
QByteArray generateSecret();

// RFC 4648 section 6 alphabet, upper case, without padding (what authenticator apps
// expect in the URI and what a user types by hand).
QString base32(const QByteArray &secret);
// Accepts lower case, spaces and "=" padding; nullopt on any other character.
std::optional<QByteArray> fromBase32(const QString &text);

// The Key URI Format read by authenticator apps:
// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
QString provisioningUri(const QByteArray &secret, const QString &accountEmail, const QString &issuer);

// The time step (RFC 6238 section 4.2, T) that contains `at`; nullopt before the epoch
// or for an invalid date.
std::optional<qint64> timeStep(const QDateTime &at);

// The code for the step containing `at`, zero-padded to `digits` (6, 7 or 8; 8 only
// for the RFC 6238 Appendix B vectors). Empty for a secret shorter than
// MinimumSecretBytes, an invalid or pre-epoch time, or an unsupported digit count.
QString code(const QByteArray &secret, const QDateTime &at, int digits = Digits);

// The step whose code matches, searched within Window steps of `now`, so that the
// caller stores it and refuses that step and every older one afterwards (RFC 6238
// section 5.2: a code is accepted once). nullopt when nothing matches, when `code` is
// not exactly six ASCII digits, or when the only matching step is <= lastUsedStep.
std::optional<qint64> verify(
    const QByteArray &secret, const QString &code, const QDateTime &now, std::optional<qint64> lastUsedStep);

// A QR code (error correction level M, byte mode) for `text` as a standalone SVG
// document: one path of black modules on a white background, a quiet zone of four
// modules (ISO/IEC 18004 section 7.3.8), viewBox in modules so it scales cleanly.
// Empty when the text does not fit in a QR code.
QString qrSvg(const QString &text);
// The same symbol as rows of modules (true = black), without the quiet zone.
QList<QList<bool>> qrMatrix(const QString &text);

// `count` distinct codes shaped "xxxx-xxxx-xxxx-xxxx" from a 32-character alphabet
// without 0/o and 1/l: 80 bits each, drawn from OpenSSL's CSPRNG. (Codes issued before
// were 50 bits, "xxxx-xxxx-xx"; they still work, as only their hash is compared.)
QStringList generateRecoveryCodes(int count = 10);
// SHA-256 of the code in lower case with dashes and whitespace removed, so the user may
// type it loosely; store this, never the code.
QByteArray recoveryCodeHash(const QString &code);

} // namespace totp

} // namespace shop::auth
