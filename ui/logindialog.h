#pragma once

#include "auth/authservice.h"

#include <QDialog>

#include <optional>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;

namespace shop {

// Signing in to the console: email and password, then the authenticator code when
// the account has two-factor (the service answers TOTP_REQUIRED only after the right
// password). Only staff and admins get through; customers are told to use the
// storefront. The check runs off the GUI thread (bcrypt takes a quarter second by
// design). The console talks to the services directly, so the refresh token the
// sign-in issues is revoked at once rather than left valid and unused.
class LoginDialog : public QDialog
{
    Q_OBJECT
public:
    explicit LoginDialog(auth::AuthService &auth, QWidget *parent = nullptr);
    ~LoginDialog() override;

    // Set once the dialog is accepted.
    const std::optional<auth::User> &user() const { return m_user; }
    void setEmail(const QString &email);
    // Shown above the fields when the dialog opens (e.g. after signing out).
    void setNotice(const QString &text);

    QString errorText() const;
    bool isCodeRequested() const;
    bool isBusy() const { return m_busy; }

public Q_SLOTS:
    void signIn();

Q_SIGNALS:
    void busyChanged(bool busy);

private:
    void finished(const Result<auth::User> &result);
    void setBusy(bool busy);
    void showError(const QString &text);

    auth::AuthService &m_auth;
    std::optional<auth::User> m_user;
    QLabel *m_notice = nullptr;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QLabel *m_codeLabel = nullptr;
    QLineEdit *m_code = nullptr;
    QLabel *m_error = nullptr;
    QProgressBar *m_progress = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    bool m_busy = false;
};

// The client the console signs in as: login history shows "desktop".
auth::ClientInfo desktopClient();

// True for the roles that may open the console.
bool mayUseConsole(const auth::User &user);

} // namespace shop
