#include "secretstore.h"

#include "logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QThread>

#ifdef SHOPDESK_HAVE_KEYCHAIN
#include <QEventLoop>
#include <QTimer>
#include <qt6keychain/keychain.h>
#endif

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// Keys become file names: nothing that could climb out of the secrets directory.
bool isValidKey(QStringView key)
{
    if (key.isEmpty() || key.size() > 100 || key.startsWith(u'.'))
        return false;
    return std::all_of(key.begin(), key.end(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'-' || c == u'_' || c == u'.';
    });
}

Error invalidKey(QStringView key)
{
    return Error::invalid(u"secret name \"%1\" is not valid"_s.arg(key));
}

QString systemError()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Owner-only access, or an error. Runs after every write because QSaveFile keeps an
// existing file's mode and a copy restored from a backup may have come back wider.
Status enforceMode(const QString &path, mode_t wanted)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat st {};
    if (::stat(native.constData(), &st) != 0)
        return fail(Error::internal(u"cannot inspect %1: %2"_s.arg(path, systemError())));
    if ((st.st_mode & 07777) == wanted)
        return {};
    if (::chmod(native.constData(), wanted) != 0)
        return fail(Error::internal(u"cannot restrict the permissions of %1: %2"_s.arg(path, systemError())));
    return {};
}

#ifdef SHOPDESK_HAVE_KEYCHAIN
const QString kKeyringService = u"ShopDesk"_s;

struct JobOutcome
{
    bool finished = false;
    QKeychain::Error error = QKeychain::NoError;
    QString errorString;
    QString text;
};

// QtKeychain answers asynchronously; callers of SecretStore want an answer now. The
// local loop skips user input so a click cannot re-enter the caller meanwhile.
JobOutcome runJob(QKeychain::Job *job, int timeoutMs)
{
    JobOutcome outcome;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    job->setAutoDelete(true);
    // QtKeychain's "insecure fallback" is a plain-text QSettings entry: never.
    job->setInsecureFallback(false);
    // The loop is the context: a job that answers after the timeout finds the
    // connection gone instead of writing into this stack frame.
    QObject::connect(job, &QKeychain::Job::finished, &loop, [&outcome, &loop](QKeychain::Job *done) {
        outcome.finished = true;
        outcome.error = done->error();
        outcome.errorString = done->errorString();
        if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(done))
            outcome.text = read->textData();
        loop.quit();
    });
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    job->start();
    timer.start(timeoutMs);
    if (!outcome.finished)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    return outcome;
}
#endif

} // namespace

SecretStore::SecretStore(QString dataDir, Keyring keyring) : m_dataDir(std::move(dataDir)), m_keyring(keyring) {}

QString SecretStore::directory() const
{
    return QDir(m_dataDir).filePath(u"secrets"_s);
}

QString SecretStore::filePath(QStringView key) const
{
    return QDir(directory()).filePath(key.toString());
}

Result<std::optional<QString>> SecretStore::read(QStringView key)
{
    if (!isValidKey(key))
        return fail(invalidKey(key));
    QString secret;
    switch (keyringRead(key, secret)) {
    case KeyringOutcome::Done:
        qCInfo(lcApp).noquote() << "secret" << key << "read from the system keyring";
        return secret;
    case KeyringOutcome::NotFound:
    case KeyringOutcome::Unavailable:
        break;
    }
    auto fromFile = fileRead(key);
    if (fromFile && *fromFile)
        qCInfo(lcApp).noquote() << "secret" << key << "read from" << filePath(key);
    return fromFile;
}

Status SecretStore::write(QStringView key, const QString &secret)
{
    if (!isValidKey(key))
        return fail(invalidKey(key));
    if (keyringWrite(key, secret) == KeyringOutcome::Done) {
        qCInfo(lcApp).noquote() << "secret" << key << "stored in the system keyring";
        // A copy left in a file from a keyring-less run would outlive this one.
        return fileRemove(key);
    }
    if (auto ok = fileWrite(key, secret); !ok)
        return ok;
    qCInfo(lcApp).noquote() << "secret" << key << "stored in" << filePath(key) << "(no system keyring)";
    return {};
}

Status SecretStore::remove(QStringView key)
{
    if (!isValidKey(key))
        return fail(invalidKey(key));
    if (keyringRemove(key) == KeyringOutcome::Done)
        qCInfo(lcApp).noquote() << "secret" << key << "removed from the system keyring";
    return fileRemove(key);
}

// ---- keyring ---------------------------------------------------------------------

bool SecretStore::keyringUsable() const
{
#ifdef SHOPDESK_HAVE_KEYCHAIN
    if (m_keyring == Keyring::Disabled || m_keyringBroken)
        return false;
    const QCoreApplication *app = QCoreApplication::instance();
    return app && QThread::currentThread() == app->thread();
#else
    return false;
#endif
}

// One keyring holds the secrets of every ShopDesk data directory on the account
// (a test instance beside the real shop, two shops): the directory is part of the key.
QString SecretStore::keyringKey(QStringView key) const
{
    return key.toString() + u'@' + QFileInfo(m_dataDir).absoluteFilePath();
}

SecretStore::KeyringOutcome SecretStore::keyringRead(QStringView key, QString &secret)
{
    if (!keyringUsable())
        return KeyringOutcome::Unavailable;
#ifdef SHOPDESK_HAVE_KEYCHAIN
    auto *job = new QKeychain::ReadPasswordJob(kKeyringService);
    job->setKey(keyringKey(key));
    const JobOutcome outcome = runJob(job, m_keyringTimeoutMs);
    if (outcome.finished && outcome.error == QKeychain::NoError) {
        secret = outcome.text;
        return KeyringOutcome::Done;
    }
    if (outcome.finished && outcome.error == QKeychain::EntryNotFound)
        return KeyringOutcome::NotFound;
    m_keyringBroken = true;
    qCInfo(lcApp).noquote() << "system keyring unavailable:"
                            << (outcome.finished ? outcome.errorString : u"no answer"_s)
                            << "- secrets are kept in" << directory();
#else
    Q_UNUSED(key)
    Q_UNUSED(secret)
#endif
    return KeyringOutcome::Unavailable;
}

SecretStore::KeyringOutcome SecretStore::keyringWrite(QStringView key, const QString &secret)
{
    if (!keyringUsable())
        return KeyringOutcome::Unavailable;
#ifdef SHOPDESK_HAVE_KEYCHAIN
    auto *job = new QKeychain::WritePasswordJob(kKeyringService);
    job->setKey(keyringKey(key));
    job->setTextData(secret);
    const JobOutcome outcome = runJob(job, m_keyringTimeoutMs);
    if (outcome.finished && outcome.error == QKeychain::NoError)
        return KeyringOutcome::Done;
    m_keyringBroken = true;
    qCInfo(lcApp).noquote() << "system keyring unavailable:"
                            << (outcome.finished ? outcome.errorString : u"no answer"_s)
                            << "- secrets are kept in" << directory();
#else
    Q_UNUSED(key)
    Q_UNUSED(secret)
#endif
    return KeyringOutcome::Unavailable;
}

SecretStore::KeyringOutcome SecretStore::keyringRemove(QStringView key)
{
    if (!keyringUsable())
        return KeyringOutcome::Unavailable;
#ifdef SHOPDESK_HAVE_KEYCHAIN
    auto *job = new QKeychain::DeletePasswordJob(kKeyringService);
    job->setKey(keyringKey(key));
    const JobOutcome outcome = runJob(job, m_keyringTimeoutMs);
    if (outcome.finished && outcome.error == QKeychain::NoError)
        return KeyringOutcome::Done;
    // Backends disagree on how "nothing to delete" is reported.
    if (outcome.finished && (outcome.error == QKeychain::EntryNotFound || outcome.error == QKeychain::CouldNotDeleteEntry))
        return KeyringOutcome::NotFound;
    m_keyringBroken = true;
    qCWarning(lcApp).noquote() << "system keyring could not remove secret" << key << "-"
                               << (outcome.finished ? outcome.errorString : u"no answer"_s);
#else
    Q_UNUSED(key)
#endif
    return KeyringOutcome::Unavailable;
}

// ---- file ------------------------------------------------------------------------

Status SecretStore::ensureDirectory()
{
    const QString dir = directory();
    if (!QDir().mkpath(dir))
        return fail(Error::internal(u"cannot create %1"_s.arg(dir)));
    return enforceMode(dir, 0700);
}

Result<std::optional<QString>> SecretStore::fileRead(QStringView key)
{
    const QString path = filePath(key);
    QFile file(path);
    if (!file.exists())
        return std::optional<QString>();
    if (auto ok = enforceMode(path, 0600); !ok)
        return std::unexpected(ok.error());
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::internal(u"cannot read %1: %2"_s.arg(path, file.errorString())));
    QString secret = QString::fromUtf8(file.readAll());
    // Operators provision servers with `echo ... > file`; no password ends in a newline.
    if (secret.endsWith(u'\n'))
        secret.chop(1);
    if (secret.endsWith(u'\r'))
        secret.chop(1);
    return std::optional<QString>(secret);
}

Status SecretStore::fileWrite(QStringView key, const QString &secret)
{
    if (auto ok = ensureDirectory(); !ok)
        return ok;
    const QString path = filePath(key);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(Error::internal(u"cannot write %1: %2"_s.arg(path, file.errorString())));
    // Narrow the temporary file before the secret is in it; QSaveFile creates new
    // files with the umask's mode (usually 0644).
    if (!file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        file.cancelWriting();
        return fail(Error::internal(u"cannot restrict the permissions of %1: %2"_s.arg(path, file.errorString())));
    }
    file.write(secret.toUtf8());
    if (!file.commit())
        return fail(Error::internal(u"cannot write %1: %2"_s.arg(path, file.errorString())));
    return enforceMode(path, 0600);
}

Status SecretStore::fileRemove(QStringView key)
{
    const QString path = filePath(key);
    QFile file(path);
    if (file.exists() && !file.remove())
        return fail(Error::internal(u"cannot remove %1: %2"_s.arg(path, file.errorString())));
    return {};
}

} // namespace shop
