#pragma once

#include "auth/useradmin.h"

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QTableView;

namespace shop {

class AuditModel;
class MessageBar;

// The audit log (admins only), newest first, with filters and the selected entry's
// before and after side by side. Read-only by design: the log is append-only.
class AuditPage : public QWidget
{
    Q_OBJECT
public:
    explicit AuditPage(auth::UserAdmin &admin, QWidget *parent = nullptr);
    ~AuditPage() override;

    AuditModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    bool isBusy() const { return m_tasks > 0; }
    QString statusText() const;
    QString messageText() const;
    QString beforeText() const;
    QString afterText() const;

    // What the controls ask for now.
    auth::AuditFilter filter() const;

public Q_SLOTS:
    // Reloads with the current filters (also on every showing of the page: the log
    // grows while the admin works elsewhere).
    void refresh();
    void selectRow(int row);

Q_SIGNALS:
    void busyChanged(bool busy);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showDetail();
    void updateBusy();

    auth::UserAdmin &m_admin;
    AuditModel *m_model = nullptr;
    QLineEdit *m_action = nullptr;
    QComboBox *m_target = nullptr;
    QLineEdit *m_actor = nullptr;
    QCheckBox *m_useDates = nullptr;
    QDateEdit *m_from = nullptr;
    QDateEdit *m_to = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_detailTitle = nullptr;
    QPlainTextEdit *m_before = nullptr;
    QPlainTextEdit *m_after = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_busy = nullptr;
    MessageBar *m_message = nullptr;
    QTimer m_filterDelay;
    int m_tasks = 0;
    bool m_wasBusy = false;
    quint64 m_generation = 0;
};

} // namespace shop
