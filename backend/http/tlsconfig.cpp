#include "tlsconfig.h"

#include "core/logging.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QSslCertificate>
#include <QSslKey>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

struct BioFree
{
    void operator()(BIO *b) const { BIO_free(b); }
};
struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};
struct PkeyFree
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct BnFree
{
    void operator()(BIGNUM *n) const { BN_free(n); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

constexpr qint64 kMaxPemBytes = 1 << 20;
constexpr long kSelfSignedLifetime = 365L * 86'400;
constexpr long kRenewBefore = 86'400; // a certificate that ends within a day is made again

// OpenSSL's error queue as one line, emptied so the next call starts clean.
QString openSslError()
{
    QString text;
    while (const unsigned long e = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(e, buffer, sizeof buffer);
        if (!text.isEmpty())
            text += u"; "_s;
        text += QString::fromLatin1(buffer);
    }
    return text.isEmpty() ? u"unknown OpenSSL error"_s : text;
}

// PEM readers ask for a passphrase on the terminal when a key is encrypted; a server
// must not block on a prompt, so encrypted keys simply fail to load.
int noPassphrase(char *, int, int, void *)
{
    return -1;
}

Result<QByteArray> readPem(const QString &path, const QString &what)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::invalid(u"the TLS %1 file %2 cannot be read: %3"_s.arg(what, path, file.errorString())));
    if (file.size() > kMaxPemBytes)
        return fail(Error::invalid(u"the TLS %1 file %2 is too large for PEM"_s.arg(what, path)));
    return file.readAll();
}

BioPtr memoryBio(const QByteArray &bytes)
{
    return BioPtr(BIO_new_mem_buf(bytes.constData(), int(bytes.size())));
}

Result<X509Ptr> parseCertificate(const QByteArray &pem, const QString &path)
{
    ERR_clear_error();
    BioPtr bio = memoryBio(pem);
    X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
    if (!certificate) {
        ERR_clear_error();
        return fail(Error::invalid(u"%1 holds no PEM certificate"_s.arg(path)));
    }
    return certificate;
}

Result<PkeyPtr> parsePrivateKey(const QByteArray &pem, const QString &path)
{
    ERR_clear_error();
    BioPtr bio = memoryBio(pem);
    PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
    if (!key) {
        ERR_clear_error();
        return fail(Error::invalid(
            u"%1 holds no PEM private key (encrypted keys are not supported; decrypt it first)"_s.arg(path)));
    }
    return key;
}

QByteArray keyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, qsizetype(size));
}

QByteArray certificateToPem(X509 *certificate)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1)
        return {};
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, qsizetype(size));
}

// Seconds from now until the certificate ends (negative once it has).
long secondsLeft(const X509 *certificate)
{
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(certificate)) != 1)
        return -1;
    return long(days) * 86'400 + seconds;
}

struct Pair
{
    X509Ptr certificate;
    PkeyPtr key;
    QByteArray certificatePem;
};

Result<Pair> loadPair(const QString &certificateFile, const QString &keyFile)
{
    auto certificatePem = readPem(certificateFile, u"certificate"_s);
    if (!certificatePem)
        return std::unexpected(certificatePem.error());
    auto keyPem = readPem(keyFile, u"key"_s);
    if (!keyPem)
        return std::unexpected(keyPem.error());
    auto certificate = parseCertificate(*certificatePem, certificateFile);
    if (!certificate)
        return std::unexpected(certificate.error());
    auto key = parsePrivateKey(*keyPem, keyFile);
    if (!key)
        return std::unexpected(key.error());
    ERR_clear_error();
    if (X509_check_private_key(certificate->get(), key->get()) != 1) {
        ERR_clear_error();
        return fail(Error::invalid(
            u"the private key in %1 does not belong to the certificate in %2"_s.arg(keyFile, certificateFile)));
    }
    return Pair{std::move(*certificate), std::move(*key), *certificatePem};
}

std::optional<QSsl::KeyAlgorithm> qtAlgorithm(const EVP_PKEY *key)
{
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        return QSsl::Rsa;
    case EVP_PKEY_EC:
        return QSsl::Ec;
    case EVP_PKEY_DSA:
        return QSsl::Dsa;
    default:
        return std::nullopt;
    }
}

Status enforceMode(const QString &path, mode_t wanted)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat st {};
    if (::stat(native.constData(), &st) != 0
        || ((st.st_mode & 07777) != wanted && ::chmod(native.constData(), wanted) != 0))
        return fail(Error::internal(
            u"cannot restrict the permissions of %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(errno)))));
    return {};
}

Status writeFile(const QString &path, const QByteArray &contents, bool secret)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::internal(u"cannot write %1: %2"_s.arg(path, file.errorString())));
    // Narrowed before the key is in it: QSaveFile creates files with the umask's mode.
    if (secret && !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        file.cancelWriting();
        return fail(Error::internal(u"cannot restrict the permissions of %1: %2"_s.arg(path, file.errorString())));
    }
    file.write(contents);
    if (!file.commit())
        return fail(Error::internal(u"cannot write %1: %2"_s.arg(path, file.errorString())));
    return secret ? enforceMode(path, 0600) : Status();
}

Status addExtension(X509 *certificate, X509V3_CTX *context, int nid, const char *value)
{
    X509_EXTENSION *extension = X509V3_EXT_nconf_nid(nullptr, context, nid, value);
    if (!extension)
        return fail(Error::internal(u"cannot build a certificate extension: "_s + openSslError()));
    const int added = X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
    if (added != 1)
        return fail(Error::internal(u"cannot add a certificate extension: "_s + openSslError()));
    return {};
}

// The certificate and key, PEM. No keyUsage extension: with one, OpenSSL only counts a
// self-issued certificate as self-signed when it allows keyCertSign, and a client that
// trusts this very certificate (curl --cacert, QSslSocket::setCaCertificates) would
// then fail to verify it. CA:FALSE, because browsers refuse a CA certificate used as
// a server's own (Firefox: MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY).
Result<std::pair<QByteArray, QByteArray>> makeSelfSigned()
{
    ERR_clear_error();
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        return fail(Error::internal(u"cannot generate an EC P-256 key: "_s + openSslError()));
    X509Ptr certificate(X509_new());
    BnPtr serial(BN_new());
    if (!certificate || !serial)
        return fail(Error::internal(u"out of memory making a certificate"_s));
    // A random 127-bit serial number: positive, and unique without a register of issued ones.
    if (X509_set_version(certificate.get(), X509_VERSION_3) != 1
        || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1
        || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get()))
        // Five minutes back for clocks that are a little behind.
        || !X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -300)
        || !X509_gmtime_adj(X509_getm_notAfter(certificate.get()), kSelfSignedLifetime)
        || X509_set_pubkey(certificate.get(), key.get()) != 1)
        return fail(Error::internal(u"cannot fill in the certificate: "_s + openSslError()));
    X509_NAME *name = X509_get_subject_name(certificate.get());
    const auto *organisation = reinterpret_cast<const unsigned char *>("ShopDesk (local)");
    const auto *localhost = reinterpret_cast<const unsigned char *>("localhost");
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, organisation, -1, -1, 0) != 1
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, localhost, -1, -1, 0) != 1
        || X509_set_issuer_name(certificate.get(), name) != 1)
        return fail(Error::internal(u"cannot name the certificate: "_s + openSslError()));

    X509V3_CTX context;
    X509V3_set_ctx(&context, certificate.get(), certificate.get(), nullptr, nullptr, 0);
    for (const auto &[nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                                     std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
                                     std::pair{NID_ext_key_usage, "serverAuth"},
                                     std::pair{NID_subject_key_identifier, "hash"}}) {
        if (auto ok = addExtension(certificate.get(), &context, nid, value); !ok)
            return std::unexpected(ok.error());
    }
    if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0)
        return fail(Error::internal(u"cannot sign the certificate: "_s + openSslError()));
    const QByteArray certificatePem = certificateToPem(certificate.get());
    const QByteArray keyPem = keyToPem(key.get());
    if (certificatePem.isEmpty() || keyPem.isEmpty())
        return fail(Error::internal(u"cannot encode the certificate: "_s + openSslError()));
    return std::pair{certificatePem, keyPem};
}

} // namespace

Result<QSslConfiguration> loadServerTls(const QString &certificateFile, const QString &keyFile)
{
    auto pair = loadPair(certificateFile, keyFile);
    if (!pair)
        return std::unexpected(pair.error());
    const QList<QSslCertificate> chain = QSslCertificate::fromData(pair->certificatePem, QSsl::Pem);
    if (chain.isEmpty())
        return fail(Error::invalid(u"%1 holds no certificate Qt can read"_s.arg(certificateFile)));
    const auto algorithm = qtAlgorithm(pair->key.get());
    if (!algorithm)
        return fail(Error::invalid(u"the key in %1 is neither RSA, EC nor DSA"_s.arg(keyFile)));
    // Re-encoded by OpenSSL as PKCS#8 so that Qt reads every PEM flavour alike.
    const QSslKey key(keyToPem(pair->key.get()), *algorithm, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull())
        return fail(Error::invalid(u"the key in %1 cannot be used by Qt"_s.arg(keyFile)));
    if (secondsLeft(pair->certificate.get()) < 0)
        qCWarning(lcHttp).noquote() << "the TLS certificate in" << certificateFile
                                    << "has expired; browsers will refuse it";

    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    // TLS 1.0 and 1.1 are deprecated (RFC 8996).
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    // A server that asks for no client certificate needs no CA store; an empty list
    // also stops Qt loading the system's for every connection.
    tls.setCaCertificates({});
    tls.setAllowedNextProtocols({QSslConfiguration::NextProtocolHttp1_1});
    return tls;
}

Result<CertificateFiles> ensureSelfSignedCertificate(const QString &dir)
{
    const CertificateFiles files{dir + u"/cert.pem"_s, dir + u"/key.pem"_s};
    if (QFile::exists(files.certificate) && QFile::exists(files.key)) {
        auto existing = loadPair(files.certificate, files.key);
        if (existing && secondsLeft(existing->certificate.get()) > kRenewBefore) {
            if (auto ok = enforceMode(files.key, 0600); !ok)
                return std::unexpected(ok.error());
            return files;
        }
        qCInfo(lcHttp).noquote() << "making a new self-signed certificate in" << dir << "because"
                                 << (existing ? u"the old one has expired or is about to"_s
                                              : existing.error().message());
    }
    if (!QDir().mkpath(dir))
        return fail(Error::internal(u"cannot create %1"_s.arg(dir)));
    if (auto ok = enforceMode(dir, 0700); !ok)
        return std::unexpected(ok.error());
    auto made = makeSelfSigned();
    if (!made)
        return std::unexpected(made.error());
    // The key first: a crash in between leaves a mismatched pair, which the next start
    // replaces, never a new certificate beside an old key.
    if (auto ok = writeFile(files.key, made->second, true); !ok)
        return std::unexpected(ok.error());
    if (auto ok = writeFile(files.certificate, made->first, false); !ok)
        return std::unexpected(ok.error());
    qCInfo(lcHttp).noquote() << "made a self-signed certificate for localhost:" << files.certificate;
    return files;
}

Result<std::optional<QSslConfiguration>> serverTlsFromConfig(const Config &config)
{
    QString certificateFile = config.tlsCertFile;
    QString keyFile = config.tlsKeyFile;
    if (config.tlsSelfSigned) {
        auto files = ensureSelfSignedCertificate(config.dataDir + u"/tls"_s);
        if (!files)
            return std::unexpected(files.error());
        certificateFile = files->certificate;
        keyFile = files->key;
    }
    if (certificateFile.isEmpty() && keyFile.isEmpty())
        return std::optional<QSslConfiguration>();
    if (certificateFile.isEmpty() || keyFile.isEmpty())
        return fail(Error::invalid(u"--tls-cert and --tls-key go together: give both or neither"_s));
    auto tls = loadServerTls(certificateFile, keyFile);
    if (!tls)
        return std::unexpected(tls.error());
    return std::optional<QSslConfiguration>(*tls);
}

} // namespace shop::http
