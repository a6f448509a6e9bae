#include "passwords.h"

#include <QFile>
#include <QSet>

#include <crypt.h>
#include <openssl/crypto.h>

using namespace Qt::StringLiterals;

namespace shop::auth {

namespace {

const QSet<QString> &commonPasswords()
{
    static const QSet<QString> list = [] {
        QSet<QString> out;
        QFile file(u":/security/common-passwords.txt"_s);
        if (file.open(QIODevice::ReadOnly)) {
            while (!file.atEnd()) {
                const QString line = QString::fromUtf8(file.readLine()).trimmed().toLower();
                if (!line.isEmpty() && !line.startsWith(u'#'))
                    out.insert(line);
            }
        }
        return out;
    }();
    return list;
}

Error weak(QString message)
{
    return Error(Error::Kind::Validation, std::move(message), u"WEAK_PASSWORD"_s);
}

} // namespace

Status Passwords::checkPolicy(const QString &password)
{
    if (password.size() < MinimumLength)
        return fail(weak(u"Use at least %1 characters"_s.arg(MinimumLength)).withField(
            u"password"_s, u"At least %1 characters"_s.arg(MinimumLength)));
    if (password.toUtf8().size() > MaximumBytes)
        return fail(weak(u"Use at most %1 bytes (bcrypt ignores the rest)"_s.arg(MaximumBytes))
                        .withField(u"password"_s, u"At most %1 bytes"_s.arg(MaximumBytes)));
    if (commonPasswords().contains(password.toLower()))
        return fail(weak(u"This password is too common; choose another"_s)
                        .withField(u"password"_s, u"Too common"_s));
    return {};
}

Result<QByteArray> Passwords::hash(const QString &password, int cost)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", qMax(cost, MinimumCost), nullptr, 0, setting, sizeof setting))
        return fail(Error::internal(u"bcrypt salt generation failed"_s));
    crypt_data data{};
    const QByteArray phrase = password.toUtf8();
    const char *out = crypt_rn(phrase.constData(), setting, &data, sizeof data);
    if (!out || out[0] == '*')
        return fail(Error::internal(u"bcrypt hashing failed"_s));
    QByteArray result(out);
    OPENSSL_cleanse(&data, sizeof data);
    return result;
}

bool Passwords::verify(const QString &password, const QByteArray &hash)
{
    if (!(hash.startsWith("$2a$") || hash.startsWith("$2b$") || hash.startsWith("$2y$")))
        return false;
    crypt_data data{};
    const QByteArray phrase = password.toUtf8();
    const char *out = crypt_rn(phrase.constData(), hash.constData(), &data, sizeof data);
    const bool ok = out && out[0] != '*' && qsizetype(strlen(out)) == hash.size()
                    && CRYPTO_memcmp(out, hash.constData(), size_t(hash.size())) == 0;
    OPENSSL_cleanse(&data, sizeof data);
    return ok;
}

bool Passwords::needsRehash(const QByteArray &hash, int cost)
{
    // "$2b$12$...": the cost is the two digits after the third character.
    if (hash.size() < 7 || hash.at(0) != '$' || hash.at(3) != '$')
        return true;
    return hash.mid(4, 2).toInt() < qMax(cost, MinimumCost) || !hash.startsWith("$2b$");
}

} // namespace shop::auth
