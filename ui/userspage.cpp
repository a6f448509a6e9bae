#include "userspage.h"

#include "pagekit.h"
#include "productmodel.h"
#include "usermodel.h"
#include "widgetstyle.h"

#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QShowEvent>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

constexpr int kSearchDelayMs = 250;
constexpr int kListLimit = 500;
constexpr int kHistoryLimit = 100;

QTableView *makeTable(const QString &name, QWidget *owner)
{
    auto *view = new QTableView;
    view->setObjectName(name);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setShowGrid(false);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(owner->fontMetrics().height() + 10);
    view->horizontalHeader()->setHighlightSections(false);
    return view;
}

QString quoted(const QString &text)
{
    return QString(u'\u201c' + text + u'\u201d');
}

} // namespace

template<typename Work, typename Done>
void UsersPage::run(Work work, Done done)
{
    ++m_tasks;
    updateBusy();
    runInBackground(this, std::move(work), [this, done = std::move(done)](auto result) mutable {
        --m_tasks;
        updateBusy();
        done(std::move(result));
    });
}

UsersPage::UsersPage(auth::UserAdmin &admin, QWidget *parent)
    : QWidget(parent), m_admin(admin), m_actor{std::nullopt, u"desktop"_s, u"desktop"_s}
{
    m_model = new UserTableModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(UserTableModel::SortRole);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_history = new LoginEventModel(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 12);
    layout->setSpacing(10);
    const PageHeader header = makePageHeader(tr("Users"), u"users"_s);
    m_status = header.status;
    m_busy = header.busy;
    layout->addLayout(header.layout);

    createActions();
    layout->addWidget(m_toolbar);

    m_search = new QLineEdit;
    m_search->setObjectName(u"userSearch"_s);
    m_search->setPlaceholderText(tr("Search email or name\u2026"));
    m_search->setClearButtonEnabled(true);
    m_search->addAction(themedIcon(u"edit-find"_s, QStyle::SP_FileDialogContentsView, style()),
                        QLineEdit::LeadingPosition);
    layout->addWidget(m_search);

    m_message = new MessageBar(u"usersMessageBar"_s);
    layout->addWidget(m_message);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setChildrenCollapsible(false);
    m_view = makeTable(u"usersView"_s, this);
    m_view->setModel(m_proxy);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    QHeaderView *columns = m_view->horizontalHeader();
    columns->setSectionResizeMode(QHeaderView::Interactive);
    columns->setSectionResizeMode(UserTableModel::EmailColumn, QHeaderView::Stretch);
    const int digit = fontMetrics().horizontalAdvance(u'0');
    m_view->setColumnWidth(UserTableModel::NameColumn, digit * 18);
    m_view->setColumnWidth(UserTableModel::RoleColumn, digit * 10);
    m_view->setColumnWidth(UserTableModel::StatusColumn, digit * 24);
    m_view->setColumnWidth(UserTableModel::TwoFactorColumn, digit * 6);
    m_view->setColumnWidth(UserTableModel::LastSignInColumn, digit * 18);
    m_view->setColumnWidth(UserTableModel::CreatedColumn, digit * 18);
    columns->setSortIndicator(-1, Qt::AscendingOrder); // the service's order: newest first
    columns->setSortIndicatorClearable(true);
    m_view->setSortingEnabled(true);
    for (QAction *action : {m_roleAction, m_lockAction, m_disableAction, m_resetAction, m_revokeAction})
        m_view->addAction(action);
    splitter->addWidget(m_view);

    auto *historyPane = new QWidget;
    auto *historyLayout = new QVBoxLayout(historyPane);
    historyLayout->setContentsMargins(0, 6, 0, 0);
    m_historyTitle = new QLabel(tr("Sign-in history: select an account"));
    m_historyTitle->setObjectName(u"historyTitle"_s);
    QFont bold = m_historyTitle->font();
    bold.setBold(true);
    m_historyTitle->setFont(bold);
    historyLayout->addWidget(m_historyTitle);
    m_historyView = makeTable(u"loginHistoryView"_s, this);
    m_historyView->setModel(m_history);
    m_historyView->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_historyView->horizontalHeader()->setSectionResizeMode(LoginEventModel::ResultColumn, QHeaderView::Stretch);
    m_historyView->setColumnWidth(LoginEventModel::AtColumn, digit * 18);
    m_historyView->setColumnWidth(LoginEventModel::AddressColumn, digit * 16);
    m_historyView->setColumnWidth(LoginEventModel::ClientColumn, digit * 22);
    historyLayout->addWidget(m_historyView);
    splitter->addWidget(historyPane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(kSearchDelayMs);
    connect(&m_searchDelay, &QTimer::timeout, this, &UsersPage::load);
    connect(m_search, &QLineEdit::textChanged, &m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, &UsersPage::load);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        loadHistory();
    });
    // A changed row changes what Lock and Disable say.
    connect(m_model, &QAbstractItemModel::dataChanged, this, &UsersPage::updateActions);

    updateActions();
    updateStatus();
}

UsersPage::~UsersPage()
{
    waitForBackgroundWork(this);
}

void UsersPage::createActions()
{
    m_toolbar = new QToolBar(tr("Users"));
    m_toolbar->setObjectName(u"usersToolBar"_s);
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolbar->setIconSize(QSize(18, 18));
    const auto make = [this](const QString &name, const QString &text, const QString &icon,
                             QStyle::StandardPixmap fallback, const QString &tip) {
        auto *action = new QAction(themedIcon(icon, fallback, style()), text, this);
        action->setObjectName(name);
        action->setToolTip(tip);
        action->setStatusTip(tip);
        return action;
    };
    m_roleAction = make(u"changeRoleAction"_s, tr("Change &role\u2026"), u"system-users"_s,
                        QStyle::SP_FileDialogDetailedView, tr("Make the account a customer, staff or admin"));
    connect(m_roleAction, &QAction::triggered, this, &UsersPage::changeRole);
    m_lockAction = make(u"lockAction"_s, tr("&Lock"), u"system-lock-screen"_s, QStyle::SP_BrowserStop,
                        tr("Refuse sign-ins for %n minute(s), or lift a lock", nullptr, LockMinutes));
    connect(m_lockAction, &QAction::triggered, this, &UsersPage::toggleLock);
    m_disableAction = make(u"disableAction"_s, tr("&Disable"), u"action-unavailable"_s,
                           QStyle::SP_DialogCancelButton, tr("Turn the account off, or on again"));
    connect(m_disableAction, &QAction::triggered, this, &UsersPage::toggleDisabled);
    m_resetAction = make(u"forceResetAction"_s, tr("Force password &reset"), u"dialog-password"_s,
                         QStyle::SP_MessageBoxWarning, tr("Ask for a new password at the next sign-in"));
    connect(m_resetAction, &QAction::triggered, this, &UsersPage::forcePasswordReset);
    m_revokeAction = make(u"revokeSessionsAction"_s, tr("Revoke &sessions"), u"system-log-out"_s,
                          QStyle::SP_DialogCloseButton, tr("Sign the account out on every device"));
    connect(m_revokeAction, &QAction::triggered, this, &UsersPage::revokeSessions);
    m_refreshAction = make(u"refreshUsersAction"_s, tr("Re&fresh"), u"view-refresh"_s,
                           QStyle::SP_BrowserReload, tr("Load the list again"));
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_refreshAction, &QAction::triggered, this, &UsersPage::refresh);

    m_toolbar->addAction(m_roleAction);
    m_toolbar->addAction(m_lockAction);
    m_toolbar->addAction(m_disableAction);
    m_toolbar->addSeparator();
    m_toolbar->addAction(m_resetAction);
    m_toolbar->addAction(m_revokeAction);
    auto *spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_toolbar->addWidget(spacer);
    m_toolbar->addAction(m_refreshAction);
    addAction(m_refreshAction);
}

void UsersPage::setActor(Actor actor)
{
    m_actor = std::move(actor);
    updateActions();
}

QString UsersPage::statusText() const
{
    return m_status->text();
}

QString UsersPage::messageText() const
{
    return m_message->text();
}

void UsersPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Nothing is queried until the page is first shown.
    if (!m_started) {
        m_started = true;
        load();
    }
}

void UsersPage::refresh()
{
    m_started = true;
    load();
}

void UsersPage::load()
{
    m_searchDelay.stop();
    if (const auto current = currentUser(); current && !m_pendingSelection)
        m_pendingSelection = current->id;
    const quint64 generation = ++m_generation;
    run([&admin = m_admin, search = m_search->text().simplified()] { return admin.users(search, 0, kListLimit); },
        [this, generation](Result<QList<auth::User>> result) {
            if (generation != m_generation)
                return; // an older search answered late
            if (!result) {
                m_message->showError(tr("The accounts could not be loaded: %1").arg(result.error().message()));
                return;
            }
            m_model->setUsers(std::move(*result));
            updateStatus();
            if (m_pendingSelection) {
                const qint64 id = *m_pendingSelection;
                m_pendingSelection.reset();
                selectUser(id);
            }
            updateActions();
        });
}

void UsersPage::loadHistory()
{
    const std::optional<auth::User> user = currentUser();
    const quint64 generation = ++m_historyGeneration;
    if (!user) {
        m_history->setEvents({});
        m_historyTitle->setText(tr("Sign-in history: select an account"));
        return;
    }
    m_historyTitle->setText(tr("Sign-in history of %1").arg(user->email));
    run([&admin = m_admin, id = user->id] { return admin.loginHistory(id, kHistoryLimit); },
        [this, generation](Result<QList<auth::LoginEvent>> result) {
            if (generation != m_historyGeneration)
                return;
            if (!result) {
                m_message->showError(tr("The sign-in history could not be loaded: %1").arg(result.error().message()));
                return;
            }
            m_history->setEvents(std::move(*result));
        });
}

std::optional<auth::User> UsersPage::currentUser() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return std::nullopt;
    return m_model->user(m_proxy->mapToSource(rows.first()).row());
}

void UsersPage::selectUser(qint64 id)
{
    const int row = m_model->rowOfUser(id);
    if (row < 0) {
        m_pendingSelection = id;
        return;
    }
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, UserTableModel::EmailColumn));
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

bool UsersPage::isSelf(const auth::User &user) const
{
    return m_actor.userId && *m_actor.userId == user.id;
}

void UsersPage::updateActions()
{
    const std::optional<auth::User> user = currentUser();
    const bool self = user && isSelf(*user);
    for (QAction *action : {m_resetAction, m_revokeAction})
        action->setEnabled(user.has_value());
    for (QAction *action : {m_roleAction, m_lockAction, m_disableAction})
        action->setEnabled(user && !self);
    const bool locked = user && user->lockedUntil.isValid() && user->lockedUntil > QDateTime::currentDateTimeUtc();
    m_lockAction->setText(locked ? tr("Un&lock") : tr("&Lock"));
    m_disableAction->setText(user && user->disabled ? tr("&Enable") : tr("&Disable"));
    if (self)
        m_roleAction->setToolTip(tr("You cannot change your own role, lock or status here"));
    else
        m_roleAction->setToolTip(m_roleAction->statusTip());
}

void UsersPage::updateStatus()
{
    const int count = m_model->rowCount();
    QString text = count == 1 ? tr("1 account") : tr("%1 accounts").arg(QLocale().toString(count));
    if (count >= kListLimit)
        text += tr(" (the newest %1; search to find others)").arg(kListLimit);
    m_status->setText(text);
}

void UsersPage::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

void UsersPage::applyChange(const Result<auth::User> &result, const QString &done)
{
    if (!result) {
        m_message->showError(result.error().message());
        load(); // the row may show an old state
        return;
    }
    m_message->showInfo(done);
    if (!m_model->updateUser(*result))
        load();
    loadHistory();
    Q_EMIT userChanged(result->id);
}

// --- Actions --------------------------------------------------------------------------

void UsersPage::changeRole()
{
    const std::optional<auth::User> user = currentUser();
    if (!user || isSelf(*user))
        return;
    if (m_roleDialog) {
        m_roleDialog->raise();
        return;
    }
    auto *dialog = new QDialog(this);
    m_roleDialog = dialog;
    dialog->setObjectName(u"roleDialog"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Change role"));
    auto *layout = new QVBoxLayout(dialog);
    auto *explain = new QLabel(tr("Role of %1:").arg(user->email));
    layout->addWidget(explain);
    auto *combo = new QComboBox;
    combo->setObjectName(u"roleCombo"_s);
    combo->addItem(tr("Customer \u2014 shops on the storefront"), u"customer"_s);
    combo->addItem(tr("Staff \u2014 runs the catalog and orders"), u"staff"_s);
    combo->addItem(tr("Admin \u2014 also manages accounts and settings"), u"admin"_s);
    combo->setCurrentIndex(qMax(0, combo->findData(user->role)));
    layout->addWidget(combo);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(dialog, &QDialog::accepted, this, [this, user = *user, combo] {
        const QString role = combo->currentData().toString();
        if (role != user.role)
            setRole(user, role);
    });
    dialog->open();
}

void UsersPage::setRole(const auth::User &user, const QString &role)
{
    run([&admin = m_admin, id = user.id, role, actor = m_actor] { return admin.setRole(id, role, actor); },
        [this, email = user.email, role](Result<auth::User> result) {
            applyChange(result, tr("%1 is now %2.").arg(email, role));
        });
}

void UsersPage::toggleLock()
{
    const std::optional<auth::User> user = currentUser();
    if (!user || isSelf(*user))
        return;
    const bool locked = user->lockedUntil.isValid() && user->lockedUntil > QDateTime::currentDateTimeUtc();
    if (locked) {
        run([&admin = m_admin, id = user->id, actor = m_actor] { return admin.unlock(id, actor); },
            [this, email = user->email](Result<auth::User> result) {
                applyChange(result, tr("%1 is unlocked.").arg(email));
            });
        return;
    }
    run([&admin = m_admin, id = user->id, actor = m_actor] { return admin.lock(id, LockMinutes, actor); },
        [this, email = user->email](Result<auth::User> result) {
            applyChange(result, result ? tr("%1 is locked until %2.").arg(email, formatDateTime(result->lockedUntil))
                                       : QString());
        });
}

void UsersPage::toggleDisabled()
{
    const std::optional<auth::User> user = currentUser();
    if (!user || isSelf(*user))
        return;
    const bool disable = !user->disabled;
    if (disable
        && confirm(this, tr("Disable account"),
                   tr("Disable %1?\n\nThe account can no longer sign in, and its sessions on every device end "
                      "now. You can enable it again.")
                       .arg(quoted(user->email)),
                   tr("Disable"))
               != QMessageBox::Yes)
        return;
    run([&admin = m_admin, id = user->id, disable, actor = m_actor] { return admin.setDisabled(id, disable, actor); },
        [this, email = user->email, disable](Result<auth::User> result) {
            applyChange(result, disable ? tr("%1 is disabled.").arg(email) : tr("%1 is enabled.").arg(email));
        });
}

void UsersPage::forcePasswordReset()
{
    const std::optional<auth::User> user = currentUser();
    if (!user)
        return;
    if (confirm(this, tr("Force password reset"),
                tr("Make %1 choose a new password?\n\nTheir sessions end now; at the next sign-in they are sent "
                   "a reset link instead.")
                    .arg(quoted(user->email)),
                tr("Force reset"))
        != QMessageBox::Yes)
        return;
    run([&admin = m_admin, id = user->id, actor = m_actor] { return admin.forcePasswordReset(id, actor); },
        [this, email = user->email](Result<auth::User> result) {
            applyChange(result, tr("%1 must choose a new password at the next sign-in.").arg(email));
        });
}

void UsersPage::revokeSessions()
{
    const std::optional<auth::User> user = currentUser();
    if (!user)
        return;
    if (confirm(this, tr("Revoke sessions"),
                tr("Sign %1 out on every device?\n\nThey can sign in again with their password.")
                    .arg(quoted(user->email)),
                tr("Revoke"))
        != QMessageBox::Yes)
        return;
    run([&admin = m_admin, id = user->id, actor = m_actor] { return admin.revokeSessions(id, actor); },
        [this, id = user->id, email = user->email](Status result) {
            if (!result) {
                m_message->showError(result.error().message());
                return;
            }
            m_message->showInfo(tr("%1 is signed out on every device.").arg(email));
            Q_EMIT userChanged(id);
        });
}

} // namespace shop
