#pragma once

#include "core/databasesettings.h"
#include "core/result.h"
#include "db/database.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QMap>

#include <memory>

namespace Ui {
class SettingsDialog;
}

namespace shop {

class SecretStore;

// Where the shop's data lives: the embedded cluster or a PostgreSQL server (fields or
// a URL, TLS mode and CA file), with a connection test that runs off the GUI thread.
// OK saves to the config file and the SecretStore; the running shop keeps its
// database until the next start.
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    SettingsDialog(QString configFile, QString dataDir, SecretStore &secrets, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    // The settings as the form describes them, or the first problem with them.
    Result<DatabaseSettings> settings() const;
    bool isValid() const { return settings().has_value(); }
    bool isTesting() const { return m_probe.isRunning(); }

public Q_SLOTS:
    void testConnection();
    void accept() override;

Q_SIGNALS:
    // After a connection test: the line shown to the user.
    void connectionTested(bool ok, const QString &message);
    // After OK: whether anything differs from what was saved before.
    void saved(bool changed);

private:
    struct FieldErrors
    {
        QString host;
        QString port;
        QString database;
        QString url;
        QString caFile;
    };
    Result<DatabaseSettings> collect(FieldErrors &errors) const;
    void setForm(const DatabaseSettings &settings);
    void validate();
    void switchTab(int index);
    void absorbUrlExtras();
    void chooseCaFile();
    void probeFinished();
    void setTestResult(bool ok, const QString &message);
    void setSslMode(const QString &mode);
    QString sslMode() const;

    std::unique_ptr<Ui::SettingsDialog> m_ui;
    QString m_configFile;
    QString m_dataDir;
    SecretStore &m_secrets;
    DatabaseSettings m_loaded;
    // libpq parameters beyond TLS (connect_timeout, application_name, ...) that came
    // with a URL: the detail fields have no place for them, but they must survive a
    // switch between the two tabs and a save.
    QMap<QString, QString> m_extraParameters;
    QFutureWatcher<Result<db::Database::Probe>> m_probe;
};

} // namespace shop
