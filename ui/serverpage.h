#pragma once

#include <QTimer>
#include <QWidget>

class QGridLayout;
class QLabel;
class QProgressBar;

namespace shop {

class Runtime;

// The running shop at a glance: where the storefront is, which database it uses,
// and the live HTTP and connection-pool counters (DESIGN.md: pool pressure must be
// visible, never an accident).
class ServerPage : public QWidget
{
    Q_OBJECT
public:
    explicit ServerPage(Runtime &runtime, QWidget *parent = nullptr);

    // Reads the counters now; the page also does so every second while visible.
    void refresh();

    // "3 d 4 h", "1 h 02 min", "12 min 05 s", "42 s".
    static QString formatDuration(qint64 seconds);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    QLabel *addTile(QGridLayout *grid, int column, const QString &caption, const QString &objectName,
                    const QString &toolTip);

    Runtime &m_runtime;
    QTimer m_timer;
    QLabel *m_state = nullptr;
    QLabel *m_url = nullptr;
    QLabel *m_database = nullptr;
    QLabel *m_started = nullptr;
    QLabel *m_uptime = nullptr;
    QLabel *m_requests = nullptr;
    QLabel *m_clientErrors = nullptr;
    QLabel *m_serverErrors = nullptr;
    QLabel *m_inFlight = nullptr;
    QLabel *m_connections = nullptr;
    QLabel *m_poolInUse = nullptr;
    QLabel *m_poolSize = nullptr;
    QLabel *m_poolWaiting = nullptr;
    QLabel *m_poolTimeouts = nullptr;
    QProgressBar *m_poolBar = nullptr;
};

} // namespace shop
