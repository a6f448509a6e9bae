#include "settingsdialog.h"
#include "ui_settingsdialog.h"

#include "core/secretstore.h"
#include "widgetstyle.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLocale>
#include <QPushButton>
#include <QStyle>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

const QString kSslMode = u"sslmode"_s;
const QString kSslRootCert = u"sslrootcert"_s;
const QString kDefaultSslMode = u"prefer"_s; // libpq's own default
constexpr int kProbeTimeoutSeconds = 5;

// A database given on the command line or in the environment wins over the config
// file (DESIGN.md precedence), so a saved choice would silently not apply.
bool databaseOverridden()
{
    if (qEnvironmentVariableIsSet("DATABASE_URL"))
        return true;
    const QStringList arguments = QCoreApplication::arguments();
    return std::any_of(arguments.cbegin(), arguments.cend(),
                       [](const QString &a) { return a == "--database-url"_L1 || a.startsWith("--database-url="_L1); });
}

// The form always names a TLS mode; a saved URL without one means libpq's default.
bool sameSettings(DatabaseSettings a, DatabaseSettings b)
{
    for (DatabaseSettings *s : {&a, &b}) {
        if (!s->server.parameters.contains(kSslMode))
            s->server.parameters.insert(kSslMode, kDefaultSslMode);
    }
    return a == b;
}

} // namespace

SettingsDialog::SettingsDialog(QString configFile, QString dataDir, SecretStore &secrets, QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::SettingsDialog>()), m_configFile(std::move(configFile)),
      m_dataDir(std::move(dataDir)), m_secrets(secrets)
{
    m_ui->setupUi(this);
    setWindowTitle(tr("ShopDesk Settings"));

    const struct
    {
        QString mode;
        QString text;
    } modes[] = {
        {u"disable"_s, tr("disable \u2014 no TLS")},
        {u"allow"_s, tr("allow \u2014 TLS only if the server demands it")},
        {u"prefer"_s, tr("prefer \u2014 TLS when the server offers it (default)")},
        {u"require"_s, tr("require \u2014 always TLS, certificate not checked")},
        {u"verify-ca"_s, tr("verify-ca \u2014 TLS, certificate signed by the CA")},
        {u"verify-full"_s, tr("verify-full \u2014 TLS, certificate and host name checked")},
    };
    for (const auto &m : modes)
        m_ui->sslModeCombo->addItem(m.text, m.mode);
    setSslMode(kDefaultSslMode);

    m_ui->embeddedHint->setText(
        tr("The data lives in %1. ShopDesk starts and stops it with the app; nothing to set up.")
            .arg(QDir::toNativeSeparators(QDir(m_dataDir).filePath(u"postgres"_s))));
    for (QLabel *hint : {m_ui->embeddedHint, m_ui->urlHint, m_ui->passwordHint, m_ui->tlsHint, m_ui->restartNote})
        setMuted(hint);
    for (QLabel *error : {m_ui->hostError, m_ui->portError, m_ui->databaseError, m_ui->urlError, m_ui->caFileError,
                          m_ui->saveError}) {
        setErrorStyle(error);
    }
    m_ui->overrideNotice->setStyleSheet(u"color: #b06000;"_s);
    setMessage(m_ui->overrideNotice,
               databaseOverridden()
                   ? tr("This ShopDesk was started with a database given by DATABASE_URL or --database-url, "
                        "which takes precedence over the setting saved here.")
                   : QString());
    m_ui->testProgress->hide();
    m_ui->testResultIcon->hide();

    connect(m_ui->embeddedRadio, &QRadioButton::toggled, this, &SettingsDialog::validate);
    connect(m_ui->connectionTabs, &QTabWidget::currentChanged, this, &SettingsDialog::switchTab);
    for (QLineEdit *edit : {m_ui->hostEdit, m_ui->portEdit, m_ui->databaseEdit, m_ui->userEdit, m_ui->urlEdit,
                            m_ui->passwordEdit, m_ui->caFileEdit})
        connect(edit, &QLineEdit::textChanged, this, &SettingsDialog::validate);
    connect(m_ui->urlEdit, &QLineEdit::editingFinished, this, &SettingsDialog::absorbUrlExtras);
    connect(m_ui->sslModeCombo, &QComboBox::currentIndexChanged, this, &SettingsDialog::validate);
    connect(m_ui->caFileBrowseButton, &QPushButton::clicked, this, &SettingsDialog::chooseCaFile);
    connect(m_ui->testConnectionButton, &QPushButton::clicked, this, &SettingsDialog::testConnection);
    connect(&m_probe, &QFutureWatcher<Result<db::Database::Probe>>::finished, this, &SettingsDialog::probeFinished);
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);

    if (auto loaded = DatabaseSettings::load(m_configFile, m_secrets)) {
        m_loaded = *loaded;
    } else {
        setMessage(m_ui->saveError, tr("The saved database setting could not be read: %1").arg(loaded.error().message()));
    }
    setForm(m_loaded);
    validate();
}

SettingsDialog::~SettingsDialog() = default;

void SettingsDialog::setSslMode(const QString &mode)
{
    const int index = m_ui->sslModeCombo->findData(mode.isEmpty() ? kDefaultSslMode : mode);
    m_ui->sslModeCombo->setCurrentIndex(index >= 0 ? index : m_ui->sslModeCombo->findData(kDefaultSslMode));
}

QString SettingsDialog::sslMode() const
{
    return m_ui->sslModeCombo->currentData().toString();
}

void SettingsDialog::setForm(const DatabaseSettings &settings)
{
    const db::ConnectionOptions &o = settings.server;
    m_ui->embeddedRadio->setChecked(settings.mode == DatabaseSettings::Mode::Embedded);
    m_ui->serverRadio->setChecked(settings.mode == DatabaseSettings::Mode::Server);
    if (settings.mode == DatabaseSettings::Mode::Embedded)
        return;

    m_extraParameters = o.parameters;
    m_extraParameters.remove(kSslMode);
    m_extraParameters.remove(kSslRootCert);
    m_ui->hostEdit->setText(o.host);
    m_ui->portEdit->setText(QString::number(o.port));
    m_ui->databaseEdit->setText(o.database);
    m_ui->userEdit->setText(o.user);
    m_ui->passwordEdit->setText(o.password);
    setSslMode(o.parameters.value(kSslMode));
    m_ui->caFileEdit->setText(o.parameters.value(kSslRootCert));

    db::ConnectionOptions bare = o;
    bare.password.clear();
    bare.parameters = m_extraParameters;
    const QSignalBlocker blockTabs(m_ui->connectionTabs);
    m_ui->urlEdit->setText(bare.toUri());
    // Parameters the detail fields cannot show are visible in the URL.
    m_ui->connectionTabs->setCurrentWidget(m_extraParameters.isEmpty() ? m_ui->fieldsTab : m_ui->urlTab);
}

Result<DatabaseSettings> SettingsDialog::collect(FieldErrors &errors) const
{
    DatabaseSettings settings;
    if (m_ui->embeddedRadio->isChecked())
        return settings;
    settings.mode = DatabaseSettings::Mode::Server;
    db::ConnectionOptions &o = settings.server;

    if (m_ui->connectionTabs->currentWidget() == m_ui->fieldsTab) {
        o.host = m_ui->hostEdit->text().trimmed();
        if (o.host.isEmpty())
            errors.host = tr("Enter the server's host name or address.");
        bool ok = false;
        const QString portText = m_ui->portEdit->text().trimmed();
        o.port = portText.toInt(&ok);
        if (portText.isEmpty())
            errors.port = tr("Enter the port (PostgreSQL's usual one is 5432).");
        else if (!ok || o.port < 1 || o.port > 65535)
            errors.port = tr("The port must be a number from 1 to 65535.");
        o.database = m_ui->databaseEdit->text().trimmed();
        if (o.database.isEmpty())
            errors.database = tr("Enter the name of the database.");
        o.user = m_ui->userEdit->text().trimmed();
        o.parameters = m_extraParameters;
    } else {
        const QString url = m_ui->urlEdit->text().trimmed();
        if (url.isEmpty()) {
            errors.url = tr("Enter a connection URL.");
        } else if (auto parsed = db::ConnectionOptions::parse(url)) {
            o = std::move(*parsed);
        } else {
            errors.url = parsed.error().message();
        }
    }

    // Until absorbUrlExtras() moves them out, a password or TLS setting typed into the
    // URL is what the user sees last, so it wins over the fields below.
    if (o.password.isEmpty())
        o.password = m_ui->passwordEdit->text();
    if (!o.parameters.contains(kSslMode))
        o.parameters.insert(kSslMode, sslMode());
    if (!o.parameters.contains(kSslRootCert) && !m_ui->caFileEdit->text().trimmed().isEmpty())
        o.parameters.insert(kSslRootCert, m_ui->caFileEdit->text().trimmed());
    if (const QString ca = o.parameters.value(kSslRootCert); !ca.isEmpty()) {
        const QFileInfo info(ca);
        if (!info.isAbsolute())
            errors.caFile = tr("Give the full path of the CA file.");
        else if (!info.exists())
            errors.caFile = tr("There is no file %1.").arg(QDir::toNativeSeparators(ca));
        else if (!info.isFile() || !info.isReadable())
            errors.caFile = tr("%1 is not a readable file.").arg(QDir::toNativeSeparators(ca));
    }

    for (const QString *message : {&errors.host, &errors.port, &errors.database, &errors.url, &errors.caFile}) {
        if (!message->isEmpty())
            return fail(Error(Error::Kind::Validation, *message));
    }
    return settings;
}

Result<DatabaseSettings> SettingsDialog::settings() const
{
    FieldErrors errors;
    return collect(errors);
}

void SettingsDialog::validate()
{
    const bool server = m_ui->serverRadio->isChecked();
    m_ui->serverPanel->setEnabled(server);
    FieldErrors errors;
    const bool valid = collect(errors).has_value();
    setMessage(m_ui->hostError, errors.host);
    setMessage(m_ui->portError, errors.port);
    setMessage(m_ui->databaseError, errors.database);
    setMessage(m_ui->urlError, errors.url);
    setMessage(m_ui->caFileError, errors.caFile);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setEnabled(valid);
    m_ui->testConnectionButton->setEnabled(server && valid && !isTesting());
}

// A password or TLS setting pasted as part of a URL moves into its own field, where
// the user sees it will be stored apart from the URL.
void SettingsDialog::absorbUrlExtras()
{
    const QString text = m_ui->urlEdit->text().trimmed();
    if (text.isEmpty())
        return;
    auto parsed = db::ConnectionOptions::parse(text);
    if (!parsed)
        return;
    db::ConnectionOptions o = std::move(*parsed);
    if (o.password.isEmpty() && !o.parameters.contains(kSslMode) && !o.parameters.contains(kSslRootCert))
        return;
    if (!o.password.isEmpty())
        m_ui->passwordEdit->setText(std::exchange(o.password, QString()));
    if (o.parameters.contains(kSslMode))
        setSslMode(o.parameters.take(kSslMode));
    if (o.parameters.contains(kSslRootCert))
        m_ui->caFileEdit->setText(o.parameters.take(kSslRootCert));
    m_ui->urlEdit->setText(o.toUri());
}

void SettingsDialog::switchTab(int index)
{
    if (m_ui->connectionTabs->widget(index) == m_ui->urlTab) {
        // Details -> URL: only when there is something to carry over.
        if (m_ui->hostEdit->text().trimmed().isEmpty() && m_ui->databaseEdit->text().trimmed().isEmpty()) {
            validate();
            return;
        }
        db::ConnectionOptions o;
        o.host = m_ui->hostEdit->text().trimmed();
        bool ok = false;
        const int port = m_ui->portEdit->text().trimmed().toInt(&ok);
        if (ok && port > 0 && port <= 65535)
            o.port = port;
        o.database = m_ui->databaseEdit->text().trimmed();
        o.user = m_ui->userEdit->text().trimmed();
        o.parameters = m_extraParameters;
        m_ui->urlEdit->setText(o.toUri());
    } else {
        // URL -> details: an unparsable URL leaves the details as they were.
        absorbUrlExtras();
        const QString text = m_ui->urlEdit->text().trimmed();
        if (!text.isEmpty()) {
            if (auto parsed = db::ConnectionOptions::parse(text)) {
                m_ui->hostEdit->setText(parsed->host);
                m_ui->portEdit->setText(QString::number(parsed->port));
                m_ui->databaseEdit->setText(parsed->database);
                m_ui->userEdit->setText(parsed->user);
                m_extraParameters = parsed->parameters;
            }
        }
    }
    validate();
}

void SettingsDialog::chooseCaFile()
{
    const QString current = m_ui->caFileEdit->text().trimmed();
    const QString file = QFileDialog::getOpenFileName(
        this, tr("CA certificate"), current.isEmpty() ? QDir::homePath() : QFileInfo(current).absolutePath(),
        tr("Certificates (*.pem *.crt *.cer);;All files (*)"));
    if (!file.isEmpty())
        m_ui->caFileEdit->setText(file);
}

void SettingsDialog::testConnection()
{
    if (isTesting())
        return;
    if (m_ui->connectionTabs->currentWidget() == m_ui->urlTab)
        absorbUrlExtras();
    auto current = settings();
    if (!current || current->mode != DatabaseSettings::Mode::Server) {
        validate();
        return;
    }
    m_ui->testResultIcon->hide();
    m_ui->testResultLabel->setStyleSheet(QString());
    m_ui->testResultLabel->setText(tr("Connecting to %1\u2026").arg(current->server.redacted()));
    m_ui->testProgress->show();
    m_ui->testConnectionButton->setEnabled(false);
    // probe() connects on the calling thread and may wait for connect_timeout.
    m_probe.setFuture(QtConcurrent::run(
        [options = current->server] { return db::Database::probe(options, kProbeTimeoutSeconds); }));
}

void SettingsDialog::probeFinished()
{
    m_ui->testProgress->hide();
    const Result<db::Database::Probe> result = m_probe.result();
    if (result) {
        setTestResult(true, tr("Connected: PostgreSQL %1, round trip %2 ms")
                                .arg(result->serverVersion, QLocale().toString(result->roundTripMs, 'f', 1)));
    } else {
        // libpq spreads one error over lines with tab-indented hints; the label
        // wraps by itself.
        QStringList lines;
        for (const QString &line : result.error().message().split(u'\n')) {
            if (const QString trimmed = line.trimmed(); !trimmed.isEmpty())
                lines.append(trimmed);
        }
        setTestResult(false, lines.join(u'\n'));
    }
    validate();
}

void SettingsDialog::setTestResult(bool ok, const QString &message)
{
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    const QIcon icon = style()->standardIcon(ok ? QStyle::SP_DialogApplyButton : QStyle::SP_MessageBoxCritical,
                                             nullptr, this);
    m_ui->testResultIcon->setPixmap(icon.pixmap(size, size));
    m_ui->testResultIcon->show();
    m_ui->testResultLabel->setStyleSheet(ok ? u"color: #1e8e3e;"_s : u"color: #c5221f;"_s);
    m_ui->testResultLabel->setText(message);
    Q_EMIT connectionTested(ok, message);
}

void SettingsDialog::accept()
{
    if (m_ui->serverRadio->isChecked() && m_ui->connectionTabs->currentWidget() == m_ui->urlTab)
        absorbUrlExtras();
    auto chosen = settings();
    if (!chosen) {
        validate();
        return;
    }
    const bool changed = !sameSettings(*chosen, m_loaded);
    if (changed) {
        if (auto ok = chosen->save(m_configFile, m_secrets); !ok) {
            setMessage(m_ui->saveError, tr("The setting could not be saved: %1").arg(ok.error().message()));
            return;
        }
        m_loaded = *chosen;
    }
    setMessage(m_ui->saveError, QString());
    Q_EMIT saved(changed);
    QDialog::accept();
}

} // namespace shop
