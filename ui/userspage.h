#pragma once

#include "auth/useradmin.h"
#include "core/actor.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <optional>

class QAction;
class QComboBox;
class QDialog;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;
class QToolBar;

namespace shop {

class LoginEventModel;
class MessageBar;
class UserTableModel;

// Accounts in the admin console (admins only): search, role, lock, disable, forced
// password reset, revoking sessions, and the selected account's sign-in history.
// Every UserAdmin call runs off the GUI thread and writes the audit log with the
// page's actor. The page refuses to change the signed-in admin's own role, lock or
// status, so an admin cannot shut themselves out of the console by a slip.
class UsersPage : public QWidget
{
    Q_OBJECT
public:
    explicit UsersPage(auth::UserAdmin &admin, QWidget *parent = nullptr);
    ~UsersPage() override;

    // How long Lock locks an account for.
    static constexpr int LockMinutes = 60;

    const Actor &actor() const { return m_actor; }
    void setActor(Actor actor);

    UserTableModel *model() const { return m_model; }
    LoginEventModel *historyModel() const { return m_history; }
    QTableView *view() const { return m_view; }
    QTableView *historyView() const { return m_historyView; }
    bool isBusy() const { return m_tasks > 0; }
    QString statusText() const;
    QString messageText() const;

    std::optional<auth::User> currentUser() const;
    // Selects the account if listed; else as soon as a load brings it in.
    void selectUser(qint64 id);
    // The open role dialog, if any (tests drive it): a QComboBox "roleCombo".
    QDialog *roleDialog() const { return m_roleDialog.data(); }

public Q_SLOTS:
    void refresh();
    void changeRole();
    void toggleLock();
    void toggleDisabled();
    void forcePasswordReset();
    void revokeSessions();

Q_SIGNALS:
    void busyChanged(bool busy);
    // After every successful change (the Audit page has something new).
    void userChanged(qint64 userId);

protected:
    void showEvent(QShowEvent *event) override;

private:
    template<typename Work, typename Done>
    void run(Work work, Done done);

    void createActions();
    void load();
    void loadHistory();
    void applyChange(const Result<auth::User> &result, const QString &done);
    void setRole(const auth::User &user, const QString &role);
    void updateActions();
    void updateStatus();
    void updateBusy();
    bool isSelf(const auth::User &user) const;

    auth::UserAdmin &m_admin;
    Actor m_actor;
    UserTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    LoginEventModel *m_history = nullptr;

    QToolBar *m_toolbar = nullptr;
    QAction *m_roleAction = nullptr;
    QAction *m_lockAction = nullptr;
    QAction *m_disableAction = nullptr;
    QAction *m_resetAction = nullptr;
    QAction *m_revokeAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QLineEdit *m_search = nullptr;
    QTableView *m_view = nullptr;
    QTableView *m_historyView = nullptr;
    QLabel *m_historyTitle = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_busy = nullptr;
    MessageBar *m_message = nullptr;
    QTimer m_searchDelay;
    QPointer<QDialog> m_roleDialog;

    int m_tasks = 0;
    bool m_wasBusy = false;
    bool m_started = false;
    quint64 m_generation = 0;
    quint64 m_historyGeneration = 0;
    std::optional<qint64> m_pendingSelection;
};

} // namespace shop
