#pragma once

#include <QFrame>
#include <QIcon>
#include <QMessageBox>
#include <QStyle>

class QHBoxLayout;
class QLabel;
class QProgressBar;
class QVBoxLayout;

namespace shop {

// The desktop theme's icon, Adwaita where the session has no theme, Qt's own pixmap
// as the last resort (as MainWindow and ProductsPage do).
QIcon themedIcon(const QString &name, QStyle::StandardPixmap fallback, const QStyle *style);

// Results of writes and failures shown inline above a list, so nothing blocks and
// tests need not dismiss a box.
class MessageBar : public QFrame
{
    Q_OBJECT
public:
    explicit MessageBar(const QString &objectName, QWidget *parent = nullptr);

    void showError(const QString &text) { showMessage(text, true); }
    void showInfo(const QString &text) { showMessage(text, false); }
    // Empty while hidden.
    QString text() const;
    bool isError() const { return m_error; }

private:
    void showMessage(const QString &text, bool error);

    QLabel *m_label = nullptr;
    bool m_error = false;
};

// The top row every admin page has: a large title, a muted status line and an
// indeterminate busy bar that keeps its place while hidden.
struct PageHeader
{
    QHBoxLayout *layout = nullptr;
    QLabel *status = nullptr;
    QProgressBar *busy = nullptr;
};
PageHeader makePageHeader(const QString &title, const QString &prefix);

// Every confirmation the admin pages ask goes through ProductsPage::ask(), so one
// test hook (ProductsPage::setNextAnswer) answers them all.
QMessageBox::StandardButton confirm(QWidget *parent, const QString &title, const QString &text,
                                    const QString &acceptText);

// Locale-formatted date and time, or an em dash for a null one.
QString formatDateTime(const QDateTime &at);

} // namespace shop
