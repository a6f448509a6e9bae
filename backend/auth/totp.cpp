#include "totp.h"

#include <QCryptographicHash>
#include <QSet>
#include <QUrl>

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <qrencode.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

using namespace Qt::StringLiterals;

namespace shop::auth::totp {

namespace {

// liboath asks for oath_init() before any other call; a function-local static makes
// that happen once, and safely when the first two logins race.
bool oathReady()
{
    static const bool ready = oath_init() == OATH_OK;
    return ready;
}

void randomBytes(unsigned char *out, int size)
{
    if (RAND_bytes(out, size) != 1)
        qFatal("OpenSSL's random generator failed");
}

// RFC 6238 section 4.2: TOTP = HOTP(K, T), HOTP being RFC 4226 with dynamic truncation.
QByteArray codeForStep(const QByteArray &secret, qint64 step, int digits)
{
    if (!oathReady() || secret.size() < MinimumSecretBytes || step < 0 || digits < 6 || digits > 8)
        return {};
    char out[9] = {};
    if (oath_hotp_generate(secret.constData(), size_t(secret.size()), quint64(step), unsigned(digits), false,
            OATH_HOTP_DYNAMIC_TRUNCATION, out)
        != OATH_OK)
        return {};
    return QByteArray(out, digits);
}

bool isSixAsciiDigits(const QString &code)
{
    // QChar::isDigit() would let other scripts' digits through; only 0-9 are codes.
    return code.size() == Digits
        && std::all_of(code.cbegin(), code.cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
}

// RFC 3986 section 3.3/3.4: "@" may stand as itself in a path or query; everything
// else outside the unreserved set (":" between issuer and account, "+", "&", space)
// is encoded, so "+" in an address never turns into a space and a space is "%20".
QString uriComponent(const QString &text)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(text, "@"));
}

struct QrDeleter
{
    void operator()(QRcode *qr) const { QRcode_free(qr); }
};
using QrPtr = std::unique_ptr<QRcode, QrDeleter>;

QrPtr encodeQr(const QString &text)
{
    if (text.isEmpty())
        return nullptr;
    // Level M (about 15 % of the symbol recoverable) survives glare on a phone camera
    // without the symbol growing as much as at Q or H; version 0 lets libqrencode pick
    // the smallest symbol that holds the text.
    return QrPtr(QRcode_encodeString(text.toUtf8().constData(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
}

bool isDark(const QRcode &qr, int x, int y)
{
    // libqrencode: bit 0 of each module byte is the colour, the other bits describe
    // the module's role.
    return qr.data[y * qr.width + x] & 1;
}

constexpr int QuietZone = 4;

// No 0/o or 1/l, so a code read off paper is not mistyped; 32 symbols give exactly
// 5 bits per character and let a random byte be reduced without bias.
constexpr char RecoveryAlphabet[] = "23456789abcdefghijkmnpqrstuvwxyz";
static_assert(sizeof RecoveryAlphabet - 1 == 32);
constexpr int RecoveryLength = 16; // 80 bits: out of reach of offline guessing even if the hashes leak

} // namespace

QByteArray generateSecret()
{
    QByteArray secret(SecretBytes, Qt::Uninitialized);
    randomBytes(reinterpret_cast<unsigned char *>(secret.data()), int(secret.size()));
    return secret;
}

QString base32(const QByteArray &secret)
{
    if (secret.isEmpty() || !oathReady())
        return {};
    char *out = nullptr;
    size_t length = 0;
    if (oath_base32_encode(secret.constData(), size_t(secret.size()), &out, &length) != OATH_OK)
        return {};
    QString text = QString::fromLatin1(out, qsizetype(length));
    ::free(out); // liboath hands out malloc()ed buffers
    // Authenticator apps expect the secret unpadded (Key URI Format); RFC 4648
    // section 3.2 allows leaving the padding out when the length is known.
    while (text.endsWith(u'='))
        text.chop(1);
    return text;
}

std::optional<QByteArray> fromBase32(const QString &text)
{
    if (!oathReady())
        return std::nullopt;
    // liboath ignores spaces, folds lower case and accepts missing or present padding;
    // anything outside the alphabet (including non-ASCII) is OATH_INVALID_BASE32.
    const QByteArray in = text.toUtf8();
    char *out = nullptr;
    size_t length = 0;
    if (oath_base32_decode(in.constData(), size_t(in.size()), &out, &length) != OATH_OK)
        return std::nullopt;
    QByteArray secret(out, qsizetype(length));
    ::free(out);
    return secret;
}

QString provisioningUri(const QByteArray &secret, const QString &accountEmail, const QString &issuer)
{
    // Key URI Format: the issuer both prefixes the label (older apps read only that)
    // and stands as a parameter (newer apps prefer it).
    const QString label = issuer.isEmpty() ? uriComponent(accountEmail)
                                           : uriComponent(issuer) + u':' + uriComponent(accountEmail);
    QString uri = u"otpauth://totp/"_s + label + u"?secret="_s + base32(secret);
    if (!issuer.isEmpty())
        uri += u"&issuer="_s + uriComponent(issuer);
    uri += u"&algorithm=SHA1&digits="_s + QString::number(Digits) + u"&period="_s
        + QString::number(StepSeconds);
    return uri;
}

std::optional<qint64> timeStep(const QDateTime &at)
{
    if (!at.isValid())
        return std::nullopt;
    const qint64 seconds = at.toSecsSinceEpoch();
    if (seconds < 0)
        return std::nullopt;
    return seconds / StepSeconds;
}

QString code(const QByteArray &secret, const QDateTime &at, int digits)
{
    const auto step = timeStep(at);
    if (!step)
        return {};
    return QString::fromLatin1(codeForStep(secret, *step, digits));
}

std::optional<qint64> verify(
    const QByteArray &secret, const QString &code, const QDateTime &now, std::optional<qint64> lastUsedStep)
{
    if (!isSixAsciiDigits(code))
        return std::nullopt;
    const auto current = timeStep(now);
    if (!current)
        return std::nullopt;
    const QByteArray given = code.toLatin1();
    std::optional<qint64> matched;
    // Every step in the window is computed and compared in constant time, whatever
    // matched earlier, so the response time says nothing about the expected code.
    // Taking the latest matching step means that storing it refuses this code at
    // every other step it might also match (RFC 6238 section 5.2: accept once).
    for (qint64 step = *current - Window; step <= *current + Window; ++step) {
        const QByteArray expected = codeForStep(secret, step, Digits);
        if (expected.size() != Digits)
            continue;
        const bool equal = CRYPTO_memcmp(expected.constData(), given.constData(), size_t(Digits)) == 0;
        const bool fresh = !lastUsedStep || step > *lastUsedStep;
        if (equal && fresh)
            matched = step;
    }
    return matched;
}

QString qrSvg(const QString &text)
{
    const QrPtr qr = encodeQr(text);
    if (!qr)
        return {};
    const int size = qr->width + 2 * QuietZone;
    // One subpath per horizontal run of black modules rather than one per module:
    // a provisioning URI (a 49-module symbol) comes to about 8 kB instead of 15, and
    // crispEdges keeps anti-aliasing from drawing seams between the rows.
    QString path;
    for (int y = 0; y < qr->width; ++y) {
        for (int x = 0; x < qr->width;) {
            if (!isDark(*qr, x, y)) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < qr->width && isDark(*qr, x, y))
                ++x;
            const QString run = QString::number(x - start);
            path += u'M' + QString::number(start + QuietZone) + u' ' + QString::number(y + QuietZone) + u'h'
                + run + u"v1h-"_s + run + u'z';
        }
    }
    const QString side = QString::number(size);
    return u"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "_s + side + u' ' + side
        + u"\" shape-rendering=\"crispEdges\"><rect width=\""_s + side + u"\" height=\""_s + side
        + u"\" fill=\"#fff\"/><path fill=\"#000\" d=\""_s + path + u"\"/></svg>"_s;
}

QList<QList<bool>> qrMatrix(const QString &text)
{
    const QrPtr qr = encodeQr(text);
    if (!qr)
        return {};
    QList<QList<bool>> rows;
    rows.reserve(qr->width);
    for (int y = 0; y < qr->width; ++y) {
        QList<bool> row;
        row.reserve(qr->width);
        for (int x = 0; x < qr->width; ++x)
            row.append(isDark(*qr, x, y));
        rows.append(row);
    }
    return rows;
}

QStringList generateRecoveryCodes(int count)
{
    QStringList codes;
    QSet<QString> seen;
    while (codes.size() < count) {
        unsigned char bytes[RecoveryLength];
        randomBytes(bytes, RecoveryLength);
        QString code;
        code.reserve(RecoveryLength + RecoveryLength / 4);
        for (int i = 0; i < RecoveryLength; ++i) {
            if (i > 0 && i % 4 == 0)
                code += u'-';
            code += QLatin1Char(RecoveryAlphabet[bytes[i] & 31]);
        }
        // A repeat is a one in 2^80 event, but two equal codes would be one code.
        if (!seen.contains(code)) {
            seen.insert(code);
            codes.append(code);
        }
    }
    return codes;
}

QByteArray recoveryCodeHash(const QString &code)
{
    QString normalised;
    normalised.reserve(code.size());
    for (QChar c : code) {
        if (c != u'-' && !c.isSpace())
            normalised += c.toLower();
    }
    return QCryptographicHash::hash(normalised.toUtf8(), QCryptographicHash::Sha256);
}

} // namespace shop::auth::totp
