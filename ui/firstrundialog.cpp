#include "firstrundialog.h"

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

namespace {

// A field with its error line underneath, as one form row.
QWidget *withError(QLineEdit *field, QLabel *error)
{
    auto *box = new QWidget;
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(field);
    layout->addWidget(error);
    return box;
}

} // namespace

FirstRunDialog::FirstRunDialog(auth::AuthService &auth, QWidget *parent) : QDialog(parent), m_auth(auth)
{
    setObjectName(u"firstRunDialog"_s);
    setWindowTitle(tr("Welcome to ShopDesk"));
    setMinimumWidth(460);

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(12);
    auto *title = new QLabel(tr("Create the administrator"));
    QFont font = title->font();
    font.setPointSizeF(font.pointSizeF() * 1.5);
    font.setBold(true);
    title->setFont(font);
    layout->addWidget(title);
    auto *intro = new QLabel(tr("This shop has no administrator yet. The account you create here can sign in "
                                "to this console and to the shop's admin API, and can add staff later."));
    intro->setWordWrap(true);
    setMuted(intro);
    layout->addWidget(intro);

    const auto errorLabel = [](const QString &name) {
        auto *label = new QLabel;
        label->setObjectName(name);
        setErrorStyle(label);
        return label;
    };
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_email = new QLineEdit;
    m_email->setObjectName(u"firstRunEmail"_s);
    m_email->setPlaceholderText(u"you@example.com"_s);
    m_emailError = errorLabel(u"emailError"_s);
    form->addRow(tr("&Email:"), withError(m_email, m_emailError));
    m_password = new QLineEdit;
    m_password->setObjectName(u"firstRunPassword"_s);
    m_password->setEchoMode(QLineEdit::Password);
    m_passwordError = errorLabel(u"passwordError"_s);
    form->addRow(tr("&Password:"), withError(m_password, m_passwordError));
    m_repeat = new QLineEdit;
    m_repeat->setObjectName(u"firstRunRepeat"_s);
    m_repeat->setEchoMode(QLineEdit::Password);
    m_repeatError = errorLabel(u"repeatError"_s);
    form->addRow(tr("&Repeat it:"), withError(m_repeat, m_repeatError));
    layout->addLayout(form);
    auto *policy = new QLabel(tr("At least 8 characters, not a common password; a long passphrase is easier to remember."));
    policy->setWordWrap(true);
    setMuted(policy);
    layout->addWidget(policy);

    m_error = errorLabel(u"firstRunError"_s);
    layout->addWidget(m_error);
    m_progress = new QProgressBar;
    m_progress->setObjectName(u"firstRunBusy"_s);
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->setFixedHeight(6);
    QSizePolicy keep = m_progress->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_progress->setSizePolicy(keep);
    m_progress->hide();
    layout->addWidget(m_progress);
    layout->addStretch();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_createButton = buttons->button(QDialogButtonBox::Ok);
    m_createButton->setText(tr("Create and sign in"));
    m_createButton->setObjectName(u"createAdminButton"_s);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &FirstRunDialog::create);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_email->setFocus();
}

FirstRunDialog::~FirstRunDialog()
{
    waitForBackgroundWork(this);
}

QString FirstRunDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

QString FirstRunDialog::fieldError(const QString &field) const
{
    const QLabel *label = field == "email"_L1 ? m_emailError
                        : field == "password"_L1 ? m_passwordError
                        : field == "repeat"_L1 ? m_repeatError
                                               : nullptr;
    return label && !label->isHidden() ? label->text() : QString();
}

void FirstRunDialog::clearErrors()
{
    for (QLabel *label : {m_emailError, m_passwordError, m_repeatError, m_error})
        setMessage(label, {});
}

void FirstRunDialog::create()
{
    if (m_busy)
        return;
    clearErrors();
    if (m_password->text() != m_repeat->text()) {
        setMessage(m_repeatError, tr("The two passwords differ."));
        m_repeat->selectAll();
        m_repeat->setFocus();
        return;
    }
    setBusy(true);
    runInBackground(
        this,
        [&auth = m_auth, email = m_email->text(), password = m_password->text()] {
            const Actor actor{std::nullopt, u"first-run"_s, u"desktop"_s};
            Outcome outcome{auth.createUser(email, password, u"admin"_s, actor), std::nullopt};
            if (outcome.created) {
                if (auto session = auth.login(email, password, QString(), desktopClient())) {
                    outcome.signedIn = session->user;
                    (void)auth.logout(session->refreshToken); // the console does not use tokens
                }
            }
            return outcome;
        },
        [this](Outcome outcome) { finished(outcome); });
}

void FirstRunDialog::finished(const Outcome &outcome)
{
    setBusy(false);
    if (outcome.created) {
        m_createdEmail = outcome.created->email;
        m_user = outcome.signedIn;
        m_password->clear();
        m_repeat->clear();
        accept();
        return;
    }
    const Error &error = outcome.created.error();
    bool placed = false;
    for (const FieldError &field : error.fields()) {
        QLabel *label = field.field == "email"_L1 ? m_emailError
                      : field.field == "password"_L1 ? m_passwordError
                                                     : nullptr;
        if (label) {
            // The summary reads better next to a lone field ("This password is too
            // common; choose another" rather than "Too common").
            setMessage(label, error.fields().size() == 1 ? error.message() : field.message);
            placed = true;
        }
    }
    // The summary too, unless the field messages say it all.
    if (!placed || error.code() == "EMAIL_EXISTS"_L1)
        setMessage(m_error, error.message());
    if (!fieldError(u"email"_s).isEmpty())
        m_email->setFocus();
    else if (!fieldError(u"password"_s).isEmpty())
        m_password->setFocus();
}

void FirstRunDialog::setBusy(bool busy)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    m_createButton->setEnabled(!busy);
    for (QLineEdit *field : {m_email, m_password, m_repeat})
        field->setEnabled(!busy);
}

} // namespace shop
