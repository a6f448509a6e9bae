#pragma once

#include "auth/authservice.h"

#include <QDialog>

#include <optional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace shop {

// Shown when the shop has no administrator yet (a new database): creates the first
// one, then signs in as it, so the console opens without a second prompt. Policy
// failures (too short, too common, a bad address) appear under the field they concern,
// in the service's words.
class FirstRunDialog : public QDialog
{
    Q_OBJECT
public:
    explicit FirstRunDialog(auth::AuthService &auth, QWidget *parent = nullptr);
    ~FirstRunDialog() override;

    // The new administrator, signed in; set once the dialog is accepted. Empty after
    // acceptance only if the sign-in that follows creation failed (then the login
    // dialog takes over).
    const std::optional<auth::User> &user() const { return m_user; }
    // The created account's email, even if signing in failed.
    QString createdEmail() const { return m_createdEmail; }

    QString errorText() const;
    QString fieldError(const QString &field) const; // "email", "password", "repeat"
    bool isBusy() const { return m_busy; }

public Q_SLOTS:
    void create();

private:
    struct Outcome
    {
        Result<auth::User> created;
        std::optional<auth::User> signedIn;
    };
    void finished(const Outcome &outcome);
    void setBusy(bool busy);
    void clearErrors();

    auth::AuthService &m_auth;
    std::optional<auth::User> m_user;
    QString m_createdEmail;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QLineEdit *m_repeat = nullptr;
    QLabel *m_emailError = nullptr;
    QLabel *m_passwordError = nullptr;
    QLabel *m_repeatError = nullptr;
    QLabel *m_error = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_createButton = nullptr;
    bool m_busy = false;
};

} // namespace shop
