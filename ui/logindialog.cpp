#include "logindialog.h"

#include "productmodel.h"
#include "widgetstyle.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

auth::ClientInfo desktopClient()
{
    return auth::ClientInfo{u"desktop"_s, u"ShopDesk desktop"_s};
}

bool mayUseConsole(const auth::User &user)
{
    return user.role == "admin"_L1 || user.role == "staff"_L1;
}

LoginDialog::LoginDialog(auth::AuthService &auth, QWidget *parent) : QDialog(parent), m_auth(auth)
{
    setObjectName(u"loginDialog"_s);
    setWindowTitle(tr("Sign in to ShopDesk"));
    setMinimumWidth(420);

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(12);
    auto *title = new QLabel(tr("Sign in"));
    QFont font = title->font();
    font.setPointSizeF(font.pointSizeF() * 1.5);
    font.setBold(true);
    title->setFont(font);
    layout->addWidget(title);
    auto *hint = new QLabel(tr("Use a staff or administrator account of this shop."));
    hint->setWordWrap(true);
    setMuted(hint);
    layout->addWidget(hint);
    m_notice = new QLabel;
    m_notice->setObjectName(u"loginNotice"_s);
    m_notice->setWordWrap(true);
    m_notice->hide();
    layout->addWidget(m_notice);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_email = new QLineEdit;
    m_email->setObjectName(u"loginEmail"_s);
    m_email->setPlaceholderText(u"you@example.com"_s);
    form->addRow(tr("&Email:"), m_email);
    m_password = new QLineEdit;
    m_password->setObjectName(u"loginPassword"_s);
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("&Password:"), m_password);
    m_code = new QLineEdit;
    m_code->setObjectName(u"loginCode"_s);
    m_code->setPlaceholderText(tr("6-digit code or a recovery code"));
    m_code->setInputMethodHints(Qt::ImhSensitiveData | Qt::ImhNoPredictiveText);
    m_codeLabel = new QLabel(tr("&Code:"));
    m_codeLabel->setBuddy(m_code);
    form->addRow(m_codeLabel, m_code);
    m_codeLabel->hide();
    m_code->hide();
    layout->addLayout(form);

    m_error = new QLabel;
    m_error->setObjectName(u"loginError"_s);
    setErrorStyle(m_error);
    layout->addWidget(m_error);

    m_progress = new QProgressBar;
    m_progress->setObjectName(u"loginBusy"_s);
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->setFixedHeight(6);
    QSizePolicy keep = m_progress->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_progress->setSizePolicy(keep);
    m_progress->hide();
    layout->addWidget(m_progress);
    layout->addStretch();

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Sign in"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(u"signInButton"_s);
    layout->addWidget(m_buttons);
    // The Ok button signs in; the dialog is accepted only when that succeeds.
    connect(m_buttons, &QDialogButtonBox::accepted, this, &LoginDialog::signIn);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_email->setFocus();
}

LoginDialog::~LoginDialog()
{
    waitForBackgroundWork(this); // the task holds the service by reference
}

void LoginDialog::setEmail(const QString &email)
{
    m_email->setText(email);
    m_password->setFocus();
}

void LoginDialog::setNotice(const QString &text)
{
    setMessage(m_notice, text);
}

QString LoginDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

bool LoginDialog::isCodeRequested() const
{
    return !m_code->isHidden();
}

void LoginDialog::signIn()
{
    if (m_busy)
        return;
    if (m_email->text().trimmed().isEmpty() || m_password->text().isEmpty()) {
        showError(tr("Enter your email address and password."));
        (m_email->text().trimmed().isEmpty() ? m_email : m_password)->setFocus();
        return;
    }
    showError({});
    setBusy(true);
    runInBackground(
        this,
        [&auth = m_auth, email = m_email->text(), password = m_password->text(),
         code = isCodeRequested() ? m_code->text().trimmed() : QString()]() -> Result<auth::User> {
            auto session = auth.login(email, password, code, desktopClient());
            if (!session)
                return std::unexpected(session.error());
            if (auto ended = auth.logout(session->refreshToken); !ended)
                return std::unexpected(ended.error());
            return session->user;
        },
        [this](Result<auth::User> result) { finished(result); });
}

void LoginDialog::finished(const Result<auth::User> &result)
{
    setBusy(false);
    if (result) {
        if (!mayUseConsole(*result)) {
            showError(tr("%1 is a customer account. Customers shop on the storefront; the console is "
                         "for staff and administrators.")
                          .arg(result->email));
            m_password->clear();
            m_email->setFocus();
            return;
        }
        m_user = *result;
        accept();
        return;
    }
    const Error &error = result.error();
    const QString &code = error.code();
    if (code == "TOTP_REQUIRED"_L1) {
        const bool wasShown = isCodeRequested();
        m_codeLabel->show();
        m_code->show();
        m_code->setFocus();
        // The first time the field appears it is a request, not a failure.
        showError(wasShown ? error.message() : QString());
        if (!wasShown)
            setNotice(tr("This account uses two-factor sign-in: enter the code from your authenticator app."));
        return;
    }
    if (code == "INVALID_TOTP"_L1) {
        showError(tr("That code is not valid. Enter the current code from your authenticator app, or a "
                     "recovery code."));
        m_code->clear();
        m_code->setFocus();
        return;
    }
    if (code == "INVALID_CREDENTIALS"_L1) {
        showError(tr("The email address or password is not right."));
        m_password->clear();
        m_password->setFocus();
        return;
    }
    if (code == "ACCOUNT_DISABLED"_L1) {
        showError(tr("This account is disabled. Ask an administrator to enable it."));
        return;
    }
    if (code == "PASSWORD_RESET_REQUIRED"_L1) {
        showError(tr("An administrator asked you to choose a new password. We sent a link to your email "
                     "address; sign in again once you have set it."));
        m_password->clear();
        return;
    }
    // RATE_LIMITED and everything else: the service's own words are meant for people.
    showError(error.message());
}

void LoginDialog::setBusy(bool busy)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!busy);
    for (QLineEdit *field : {m_email, m_password, m_code})
        field->setEnabled(!busy);
    Q_EMIT busyChanged(busy);
}

void LoginDialog::showError(const QString &text)
{
    setMessage(m_error, text);
}

} // namespace shop
