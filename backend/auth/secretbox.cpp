#include "secretbox.h"

#include <QCryptographicHash>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

constexpr char Version = 0x01;
constexpr int NonceBytes = 12;
constexpr int TagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char *bytes(const QByteArray &a)
{
    return reinterpret_cast<const unsigned char *>(a.constData());
}

unsigned char *bytes(QByteArray &a)
{
    return reinterpret_cast<unsigned char *>(a.data());
}

} // namespace

SecretBox::SecretBox(const QByteArray &keyMaterial)
    : m_key(QCryptographicHash::hash(keyMaterial, QCryptographicHash::Sha256))
{}

bool SecretBox::isSealed(const QByteArray &value)
{
    return value.size() > 1 + NonceBytes + TagBytes && value.at(0) == Version;
}

Result<QByteArray> SecretBox::seal(const QByteArray &plain, const QByteArray &associated) const
{
    QByteArray out(1 + NonceBytes + plain.size() + TagBytes, Qt::Uninitialized);
    out[0] = Version;
    unsigned char *nonce = bytes(out) + 1;
    if (RAND_bytes(nonce, NonceBytes) != 1)
        return fail(Error::internal(u"OpenSSL's random generator failed"_s));
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int length = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(m_key), nonce) != 1
        || EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(associated), int(associated.size())) != 1
        || EVP_EncryptUpdate(ctx.get(), nonce + NonceBytes, &length, bytes(plain), int(plain.size())) != 1
        || EVP_EncryptFinal_ex(ctx.get(), nonce + NonceBytes + length, &length) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TagBytes, nonce + NonceBytes + plain.size()) != 1)
        return fail(Error::internal(u"sealing a secret failed"_s));
    return out;
}

Result<QByteArray> SecretBox::open(const QByteArray &sealed, const QByteArray &associated) const
{
    if (!isSealed(sealed))
        return fail(Error::internal(u"not a sealed secret"_s));
    const unsigned char *nonce = bytes(sealed) + 1;
    const int cipherBytes = int(sealed.size()) - 1 - NonceBytes - TagBytes;
    QByteArray plain(cipherBytes, Qt::Uninitialized);
    QByteArray tag = sealed.right(TagBytes);
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int length = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(m_key), nonce) != 1
        || EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(associated), int(associated.size())) != 1
        || EVP_DecryptUpdate(ctx.get(), bytes(plain), &length, nonce + NonceBytes, cipherBytes) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TagBytes, bytes(tag)) != 1
        || EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + length, &length) != 1)
        return fail(Error::internal(u"a sealed secret did not open (another data key, or altered)"_s));
    return plain;
}

} // namespace shop::auth
