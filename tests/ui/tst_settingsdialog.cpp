// The settings dialog and what it saves: validation next to the fields, the URL in
// the config file without its password, the password in an owner-only secret file,
// and the connection test run against an unreachable and a real server.

#include "core/databasesettings.h"
#include "core/secretstore.h"
#include "settingsdialog.h"
#include "testcluster.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace shop;

namespace {

int fileMode(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

} // namespace

class TestSettingsDialog : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SecretStore> m_secrets;

    QString configFile() const { return m_dir->filePath(u"config/shopdesk.ini"_s); }
    QString dataDir() const { return m_dir->filePath(u"data"_s); }
    QString secretFile() const { return m_secrets->filePath(SecretStore::kDatabasePassword); }

    std::unique_ptr<SettingsDialog> makeDialog()
    {
        auto dialog = std::make_unique<SettingsDialog>(configFile(), dataDir(), *m_secrets);
        dialog->show();
        return dialog;
    }

    template<typename T>
    static T *child(const QObject &dialog, const QString &name)
    {
        T *widget = dialog.findChild<T *>(name);
        if (!widget)
            qFatal("no %s", qPrintable(name));
        return widget;
    }
    static QLineEdit *edit(const QObject &d, const QString &name) { return child<QLineEdit>(d, name); }
    static QLabel *label(const QObject &d, const QString &name) { return child<QLabel>(d, name); }
    static QPushButton *okButton(const QObject &d)
    {
        return child<QDialogButtonBox>(d, u"buttonBox"_s)->button(QDialogButtonBox::Ok);
    }

    static void chooseServer(const QObject &d, const QString &host, const QString &port, const QString &database,
                             const QString &user, const QString &password)
    {
        child<QRadioButton>(d, u"serverRadio"_s)->setChecked(true);
        auto *tabs = child<QTabWidget>(d, u"connectionTabs"_s);
        tabs->setCurrentWidget(child<QWidget>(d, u"fieldsTab"_s));
        edit(d, u"hostEdit"_s)->setText(host);
        edit(d, u"portEdit"_s)->setText(port);
        edit(d, u"databaseEdit"_s)->setText(database);
        edit(d, u"userEdit"_s)->setText(user);
        edit(d, u"passwordEdit"_s)->setText(password);
    }

    static void setSslMode(const QObject &d, const QString &mode)
    {
        auto *combo = child<QComboBox>(d, u"sslModeCombo"_s);
        const int index = combo->findData(mode);
        QVERIFY(index >= 0);
        combo->setCurrentIndex(index);
    }

    QString writeCaFile()
    {
        const QString path = m_dir->filePath(u"rds-ca.pem"_s);
        QFile ca(path);
        if (!ca.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        ca.write("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
        return path;
    }

private slots:
    void initTestCase() { QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString())); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        // The file backend only: no test may touch the developer's keyring.
        m_secrets = std::make_unique<SecretStore>(dataDir(), SecretStore::Keyring::Disabled);
    }

    void cleanup()
    {
        m_secrets.reset();
        m_dir.reset();
    }

    void embeddedByDefault()
    {
        auto d = makeDialog();
        QVERIFY(child<QRadioButton>(*d, u"embeddedRadio"_s)->isChecked());
        QVERIFY(!child<QWidget>(*d, u"serverPanel"_s)->isEnabled());
        QVERIFY(okButton(*d)->isEnabled());
        QVERIFY(label(*d, u"embeddedHint"_s)->text().contains(dataDir()));
        auto settings = d->settings();
        QVERIFY(settings);
        QCOMPARE(settings->mode, DatabaseSettings::Mode::Embedded);
    }

    void fieldValidation_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("port");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("errorLabel"); // empty: valid

        QTest::addRow("valid") << u"db.example.com"_s << u"5432"_s << u"shop"_s << QString();
        QTest::addRow("unix socket") << u"/var/run/postgresql"_s << u"5432"_s << u"shop"_s << QString();
        QTest::addRow("no host") << u" "_s << u"5432"_s << u"shop"_s << u"hostError"_s;
        QTest::addRow("no port") << u"db"_s << QString() << u"shop"_s << u"portError"_s;
        QTest::addRow("port zero") << u"db"_s << u"0"_s << u"shop"_s << u"portError"_s;
        QTest::addRow("port too large") << u"db"_s << u"65536"_s << u"shop"_s << u"portError"_s;
        QTest::addRow("port not a number") << u"db"_s << u"54x"_s << u"shop"_s << u"portError"_s;
        QTest::addRow("negative port") << u"db"_s << u"-1"_s << u"shop"_s << u"portError"_s;
        QTest::addRow("no database") << u"db"_s << u"5432"_s << QString() << u"databaseError"_s;
    }

    void fieldValidation()
    {
        QFETCH(QString, host);
        QFETCH(QString, port);
        QFETCH(QString, database);
        QFETCH(QString, errorLabel);

        auto d = makeDialog();
        chooseServer(*d, host, port, database, u"shop"_s, QString());
        QVERIFY(child<QWidget>(*d, u"serverPanel"_s)->isEnabled());
        for (const QString &name : {u"hostError"_s, u"portError"_s, u"databaseError"_s}) {
            QLabel *error = label(*d, name);
            if (name == errorLabel) {
                QVERIFY2(error->isVisible() && !error->text().isEmpty(), qPrintable(name));
            } else {
                QVERIFY2(!error->isVisible(), qPrintable(name + u": "_s + error->text()));
            }
        }
        QCOMPARE(okButton(*d)->isEnabled(), errorLabel.isEmpty());
        QCOMPARE(child<QPushButton>(*d, u"testConnectionButton"_s)->isEnabled(), errorLabel.isEmpty());
        QCOMPARE(d->isValid(), errorLabel.isEmpty());
    }

    void urlValidation_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("valid");
        QTest::addRow("uri") << u"postgresql://shop@db.example.com:5432/shop"_s << true;
        QTest::addRow("key=value") << u"host=db.example.com port=5432 dbname=shop user=shop"_s << true;
        QTest::addRow("empty") << QString() << false;
        QTest::addRow("not a url") << u"db.example.com"_s << false;
        QTest::addRow("bad port") << u"postgresql://shop@db:99999/shop"_s << false;
        QTest::addRow("bad sslmode") << u"postgresql://shop@db/shop?sslmode=always"_s << false;
        QTest::addRow("unknown parameter") << u"postgresql://shop@db/shop?sslmdoe=require"_s << false;
        QTest::addRow("unterminated quote") << u"host='db dbname=shop"_s << false;
    }

    void urlValidation()
    {
        QFETCH(QString, url);
        QFETCH(bool, valid);

        auto d = makeDialog();
        child<QRadioButton>(*d, u"serverRadio"_s)->setChecked(true);
        child<QTabWidget>(*d, u"connectionTabs"_s)->setCurrentWidget(child<QWidget>(*d, u"urlTab"_s));
        edit(*d, u"urlEdit"_s)->setText(url);
        QLabel *error = label(*d, u"urlError"_s);
        QCOMPARE(error->isVisible(), !valid);
        if (!valid) {
            QVERIFY(!error->text().isEmpty());
            auto parsed = db::ConnectionOptions::parse(url);
            // The parser's own words, not a vaguer paraphrase.
            if (!parsed && !url.isEmpty())
                QCOMPARE(error->text(), parsed.error().message());
        }
        QCOMPARE(okButton(*d)->isEnabled(), valid);
    }

    void caFileMustExist()
    {
        auto d = makeDialog();
        chooseServer(*d, u"db.example.com"_s, u"5432"_s, u"shop"_s, u"shop"_s, QString());
        setSslMode(*d, u"verify-full"_s);
        QLabel *error = label(*d, u"caFileError"_s);

        edit(*d, u"caFileEdit"_s)->setText(m_dir->filePath(u"missing.pem"_s));
        QVERIFY(error->isVisible());
        QVERIFY(!okButton(*d)->isEnabled());

        edit(*d, u"caFileEdit"_s)->setText(u"relative/ca.pem"_s);
        QVERIFY(error->isVisible());

        edit(*d, u"caFileEdit"_s)->setText(writeCaFile());
        QVERIFY(!error->isVisible());
        QVERIFY(okButton(*d)->isEnabled());
    }

    void urlPasswordAndTlsMoveToTheirFields()
    {
        const QString ca = writeCaFile();
        auto d = makeDialog();
        child<QRadioButton>(*d, u"serverRadio"_s)->setChecked(true);
        child<QTabWidget>(*d, u"connectionTabs"_s)->setCurrentWidget(child<QWidget>(*d, u"urlTab"_s));
        QLineEdit *url = edit(*d, u"urlEdit"_s);
        url->setText(u"postgresql://shop:s3cr%40t@shop.abc.eu-west-1.rds.amazonaws.com:5432/shop"
                     "?sslmode=verify-full&sslrootcert="_s + ca);
        Q_EMIT url->editingFinished();

        QCOMPARE(edit(*d, u"passwordEdit"_s)->text(), u"s3cr@t"_s);
        QCOMPARE(child<QComboBox>(*d, u"sslModeCombo"_s)->currentData().toString(), u"verify-full"_s);
        QCOMPARE(edit(*d, u"caFileEdit"_s)->text(), ca);
        QVERIFY2(!url->text().contains(u"s3cr"_s), qPrintable(url->text()));
        QVERIFY(!url->text().contains(u"sslmode"_s));

        auto settings = d->settings();
        QVERIFY(settings);
        QCOMPARE(settings->server.host, u"shop.abc.eu-west-1.rds.amazonaws.com"_s);
        QCOMPARE(settings->server.password, u"s3cr@t"_s);
        QCOMPARE(settings->server.sslMode(), u"verify-full"_s);
        QCOMPARE(settings->server.parameters.value(u"sslrootcert"_s), ca);
    }

    void tabsCarryTheConnectionAcross()
    {
        auto d = makeDialog();
        chooseServer(*d, u"db.example.com"_s, u"6432"_s, u"shop"_s, u"admin"_s, u"pw"_s);
        auto *tabs = child<QTabWidget>(*d, u"connectionTabs"_s);
        tabs->setCurrentWidget(child<QWidget>(*d, u"urlTab"_s));
        auto fromUrl = db::ConnectionOptions::parse(edit(*d, u"urlEdit"_s)->text());
        QVERIFY(fromUrl);
        QCOMPARE(fromUrl->host, u"db.example.com"_s);
        QCOMPARE(fromUrl->port, 6432);
        QCOMPARE(fromUrl->database, u"shop"_s);
        QCOMPARE(fromUrl->user, u"admin"_s);
        QVERIFY(fromUrl->password.isEmpty());

        edit(*d, u"urlEdit"_s)->setText(u"postgresql://other@db2.example.com:5433/shop2?connect_timeout=3"_s);
        tabs->setCurrentWidget(child<QWidget>(*d, u"fieldsTab"_s));
        QCOMPARE(edit(*d, u"hostEdit"_s)->text(), u"db2.example.com"_s);
        QCOMPARE(edit(*d, u"portEdit"_s)->text(), u"5433"_s);
        QCOMPARE(edit(*d, u"databaseEdit"_s)->text(), u"shop2"_s);
        QCOMPARE(edit(*d, u"userEdit"_s)->text(), u"other"_s);
        // A parameter the fields cannot show still goes with the settings.
        auto settings = d->settings();
        QVERIFY(settings);
        QCOMPARE(settings->server.parameters.value(u"connect_timeout"_s), u"3"_s);
        QCOMPARE(settings->server.password, u"pw"_s);
    }

    void savingServerModeKeepsThePasswordOutOfTheConfigFile()
    {
        const QString ca = writeCaFile();
        {
            QSettings existing(configFile(), QSettings::IniFormat);
            existing.setValue(u"http/port"_s, 9000);
        }
        auto d = makeDialog();
        chooseServer(*d, u"db.example.com"_s, u"6432"_s, u"shop"_s, u"shop_admin"_s, u"Tr0ub4dor&3"_s);
        setSslMode(*d, u"verify-full"_s);
        edit(*d, u"caFileEdit"_s)->setText(ca);
        QSignalSpy saved(d.get(), &SettingsDialog::saved);
        QVERIFY(okButton(*d)->isEnabled());
        QTest::mouseClick(okButton(*d), Qt::LeftButton);
        QCOMPARE(d->result(), int(QDialog::Accepted));
        QCOMPARE(saved.count(), 1);
        QCOMPARE(saved.first().first().toBool(), true);

        // The config file: the URL, no password anywhere in it, other keys kept.
        QFile raw(configFile());
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const QByteArray content = raw.readAll();
        QVERIFY2(!content.contains("Tr0ub4dor"), content.constData());
        QSettings ini(configFile(), QSettings::IniFormat);
        QCOMPARE(ini.value(u"http/port"_s).toInt(), 9000);
        const QString url = ini.value(u"database/url"_s).toString();
        auto written = db::ConnectionOptions::parse(url);
        QVERIFY2(written, qPrintable(url));
        QCOMPARE(written->host, u"db.example.com"_s);
        QCOMPARE(written->port, 6432);
        QCOMPARE(written->user, u"shop_admin"_s);
        QVERIFY(written->password.isEmpty());
        QCOMPARE(written->sslMode(), u"verify-full"_s);
        QCOMPARE(written->parameters.value(u"sslrootcert"_s), ca);

        // The password: an owner-only file in an owner-only directory.
        QCOMPARE(fileMode(secretFile()), 0600);
        QCOMPARE(fileMode(m_secrets->directory()), 0700);
        QFile secret(secretFile());
        QVERIFY(secret.open(QIODevice::ReadOnly));
        QCOMPARE(secret.readAll(), QByteArray("Tr0ub4dor&3"));

        // load() gives back what was saved, password included.
        auto loaded = DatabaseSettings::load(configFile(), *m_secrets);
        QVERIFY2(loaded, loaded ? "" : qPrintable(loaded.error().message()));
        QCOMPARE(loaded->mode, DatabaseSettings::Mode::Server);
        QCOMPARE(loaded->server.password, u"Tr0ub4dor&3"_s);
        QCOMPARE(loaded->server.toUri(), d->settings()->server.toUri());

        // So does a fresh dialog, and OK without a change saves nothing new.
        auto again = makeDialog();
        QVERIFY(child<QRadioButton>(*again, u"serverRadio"_s)->isChecked());
        QCOMPARE(edit(*again, u"hostEdit"_s)->text(), u"db.example.com"_s);
        QCOMPARE(edit(*again, u"passwordEdit"_s)->text(), u"Tr0ub4dor&3"_s);
        QCOMPARE(edit(*again, u"caFileEdit"_s)->text(), ca);
        QSignalSpy savedAgain(again.get(), &SettingsDialog::saved);
        again->accept();
        QCOMPARE(savedAgain.count(), 1);
        QCOMPARE(savedAgain.first().first().toBool(), false);
    }

    void savingEmbeddedRemovesUrlAndPassword()
    {
        DatabaseSettings server;
        server.mode = DatabaseSettings::Mode::Server;
        server.server.host = u"db.example.com"_s;
        server.server.database = u"shop"_s;
        server.server.password = u"secret"_s;
        QVERIFY(server.save(configFile(), *m_secrets));
        QVERIFY(QFile::exists(secretFile()));

        auto d = makeDialog();
        QVERIFY(child<QRadioButton>(*d, u"serverRadio"_s)->isChecked());
        child<QRadioButton>(*d, u"embeddedRadio"_s)->setChecked(true);
        d->accept();
        QCOMPARE(d->result(), int(QDialog::Accepted));

        QSettings ini(configFile(), QSettings::IniFormat);
        QVERIFY(!ini.contains(u"database/url"_s));
        QVERIFY(!QFile::exists(secretFile()));
        auto loaded = DatabaseSettings::load(configFile(), *m_secrets);
        QVERIFY(loaded);
        QCOMPARE(loaded->mode, DatabaseSettings::Mode::Embedded);
    }

    void serverWithoutPasswordForgetsTheOldOne()
    {
        DatabaseSettings settings;
        settings.mode = DatabaseSettings::Mode::Server;
        settings.server.host = u"db.example.com"_s;
        settings.server.database = u"shop"_s;
        settings.server.password = u"old"_s;
        QVERIFY(settings.save(configFile(), *m_secrets));
        settings.server.password.clear();
        QVERIFY(settings.save(configFile(), *m_secrets));
        QVERIFY(!QFile::exists(secretFile()));
    }

    void fillPasswordUsesTheStore()
    {
        QVERIFY(m_secrets->write(SecretStore::kDatabasePassword, u"stored"_s));
        auto options = db::ConnectionOptions::parse(u"postgresql://shop@db/shop"_s);
        QVERIFY(options);
        QVERIFY(DatabaseSettings::fillPassword(*options, *m_secrets));
        QCOMPARE(options->password, u"stored"_s);

        // A password given with the URL wins.
        auto explicitOne = db::ConnectionOptions::parse(u"postgresql://shop:given@db/shop"_s);
        QVERIFY(explicitOne);
        QVERIFY(DatabaseSettings::fillPassword(*explicitOne, *m_secrets));
        QCOMPARE(explicitOne->password, u"given"_s);

        QVERIFY(m_secrets->remove(SecretStore::kDatabasePassword));
        auto none = db::ConnectionOptions::parse(u"postgresql://shop@db/shop"_s);
        QVERIFY(DatabaseSettings::fillPassword(*none, *m_secrets));
        QVERIFY(none->password.isEmpty());
    }

    void secretFilesStayPrivate()
    {
        // A file put there by hand with a wide mode and a trailing newline
        // (echo secret > file) is narrowed and read without the newline.
        QVERIFY(QDir().mkpath(m_secrets->directory()));
        QFile handMade(secretFile());
        QVERIFY(handMade.open(QIODevice::WriteOnly));
        handMade.write("from-echo\n");
        handMade.close();
        QVERIFY(::chmod(QFile::encodeName(secretFile()).constData(), 0644) == 0);
        auto read = m_secrets->read(SecretStore::kDatabasePassword);
        QVERIFY(read && *read);
        QCOMPARE(**read, u"from-echo"_s);
        QCOMPARE(fileMode(secretFile()), 0600);

        // Overwriting a wide file leaves it owner-only.
        QVERIFY(::chmod(QFile::encodeName(secretFile()).constData(), 0664) == 0);
        QVERIFY(m_secrets->write(SecretStore::kDatabasePassword, u"new"_s));
        QCOMPARE(fileMode(secretFile()), 0600);

        // Names cannot reach outside the directory.
        QVERIFY(!m_secrets->write(u"../escape"_s, u"x"_s));
        QVERIFY(!m_secrets->read(u"a/b"_s));
        QVERIFY(!QFile::exists(m_dir->filePath(u"escape"_s)));
    }

    void testConnectionReportsTheError()
    {
        auto d = makeDialog();
        chooseServer(*d, u"127.0.0.1"_s, u"1"_s, u"shop"_s, u"shop"_s, u"pw"_s);
        setSslMode(*d, u"disable"_s);
        auto *button = child<QPushButton>(*d, u"testConnectionButton"_s);
        auto *progress = child<QProgressBar>(*d, u"testProgress"_s);
        QVERIFY(button->isEnabled());
        QVERIFY(!progress->isVisible());
        QSignalSpy tested(d.get(), &SettingsDialog::connectionTested);

        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(d->isTesting());
        QVERIFY(!button->isEnabled());
        QVERIFY(progress->isVisible());

        QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 15000);
        QCOMPARE(tested.first().at(0).toBool(), false);
        const QString message = tested.first().at(1).toString();
        QVERIFY(!message.isEmpty());
        QVERIFY2(message.contains(u"127.0.0.1"_s) || message.contains(u"refused"_s, Qt::CaseInsensitive),
                 qPrintable(message));
        QCOMPARE(label(*d, u"testResultLabel"_s)->text(), message);
        QVERIFY(!d->isTesting());
        QVERIFY(!progress->isVisible());
        QVERIFY(button->isEnabled());
    }

    void testConnectionShowsTheServerVersion()
    {
        const db::ConnectionOptions real = m_cluster.createDatabase(u"ui_settings"_s);
        auto d = makeDialog();
        chooseServer(*d, real.host, QString::number(real.port), real.database, real.user, real.password);
        QSignalSpy tested(d.get(), &SettingsDialog::connectionTested);
        QTest::mouseClick(child<QPushButton>(*d, u"testConnectionButton"_s), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(tested.count(), 1, 15000);
        const QString message = tested.first().at(1).toString();
        QVERIFY2(tested.first().at(0).toBool(), qPrintable(message));
        QVERIFY2(message.startsWith(u"Connected: PostgreSQL "_s), qPrintable(message));
        QVERIFY2(message.contains(u"round trip "_s) && message.endsWith(u" ms"_s), qPrintable(message));
        QCOMPARE(label(*d, u"testResultLabel"_s)->text(), message);
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
