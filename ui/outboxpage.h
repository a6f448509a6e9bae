#pragma once

#include "mail/outbox.h"

#include <QWidget>

class QAction;
class QLabel;
class QProgressBar;
class QTableView;
class QTextBrowser;

namespace shop::db {
class Database;
}

namespace shop {

class MessageBar;
class OutboxModel;

// The mail the shop sent or is sending (admins only: the bodies hold password-reset
// and verification links). With no SMTP server configured, the admin opens or copies
// a link from the body pane. Failed messages can be retried.
class OutboxPage : public QWidget
{
    Q_OBJECT
public:
    explicit OutboxPage(db::Database &database, QWidget *parent = nullptr);
    ~OutboxPage() override;

    static constexpr int Limit = 200;

    OutboxModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    bool isBusy() const { return m_tasks > 0; }
    QString statusText() const;
    QString messageText() const;
    QString bodyText() const;

public Q_SLOTS:
    void refresh();
    void retry();
    void selectRow(int row);

Q_SIGNALS:
    void busyChanged(bool busy);

protected:
    void showEvent(QShowEvent *event) override;

private:
    template<typename Work, typename Done>
    void run(Work work, Done done);
    void showDetail();
    void updateBusy();

    mail::Outbox m_outbox;
    OutboxModel *m_model = nullptr;
    QAction *m_retryAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_detailTitle = nullptr;
    QTextBrowser *m_body = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_busy = nullptr;
    MessageBar *m_message = nullptr;
    int m_tasks = 0;
    bool m_wasBusy = false;
    quint64 m_generation = 0;
};

} // namespace shop
