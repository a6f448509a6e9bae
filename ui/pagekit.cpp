#include "pagekit.h"

#include "productspage.h"
#include "widgetstyle.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QToolButton>

using namespace Qt::StringLiterals;

namespace shop {

QIcon themedIcon(const QString &name, QStyle::StandardPixmap fallback, const QStyle *style)
{
    if (QIcon::themeName().isEmpty() || QIcon::themeName() == "hicolor"_L1)
        QIcon::setFallbackThemeName(u"Adwaita"_s);
    return QIcon::fromTheme(name, style->standardIcon(fallback));
}

MessageBar::MessageBar(const QString &objectName, QWidget *parent) : QFrame(parent)
{
    setObjectName(objectName);
    setFrameShape(QFrame::StyledPanel);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    m_label = new QLabel;
    m_label->setObjectName(objectName + u"Text"_s);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_label, 1);
    auto *dismiss = new QToolButton;
    dismiss->setAutoRaise(true);
    dismiss->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    dismiss->setToolTip(tr("Dismiss"));
    connect(dismiss, &QToolButton::clicked, this, &QWidget::hide);
    layout->addWidget(dismiss, 0, Qt::AlignTop);
    hide();
}

QString MessageBar::text() const
{
    return isHidden() ? QString() : m_label->text();
}

void MessageBar::showMessage(const QString &text, bool error)
{
    m_error = error;
    m_label->setText(text);
    const QString selector = u"QFrame#"_s + objectName();
    setStyleSheet(error ? selector + u" { background: #fce8e6; border: 1px solid #f5c2bd; border-radius: 4px; }"
                                     " QLabel { color: #a50e0e; }"_s
                        : selector + u" { background: #e6f4ea; border: 1px solid #b7dfc2; border-radius: 4px; }"
                                     " QLabel { color: #0d652d; }"_s);
    show();
}

PageHeader makePageHeader(const QString &title, const QString &prefix)
{
    PageHeader header;
    header.layout = new QHBoxLayout;
    auto *label = new QLabel(title);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.6);
    font.setBold(true);
    label->setFont(font);
    header.layout->addWidget(label);
    header.layout->addSpacing(12);
    header.status = new QLabel;
    header.status->setObjectName(prefix + u"Status"_s);
    setMuted(header.status);
    header.layout->addWidget(header.status, 0, Qt::AlignBottom);
    header.layout->addStretch();
    header.busy = new QProgressBar;
    header.busy->setObjectName(prefix + u"Busy"_s);
    header.busy->setRange(0, 0);
    header.busy->setTextVisible(false);
    header.busy->setFixedSize(120, 8);
    QSizePolicy keep = header.busy->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    header.busy->setSizePolicy(keep);
    header.busy->hide();
    header.layout->addWidget(header.busy, 0, Qt::AlignVCenter);
    return header;
}

QMessageBox::StandardButton confirm(QWidget *parent, const QString &title, const QString &text,
                                    const QString &acceptText)
{
    return ProductsPage::ask(parent, title, text, acceptText);
}

QString formatDateTime(const QDateTime &at)
{
    if (!at.isValid())
        return u"\u2014"_s;
    return QLocale().toString(at.toLocalTime(), QLocale::ShortFormat);
}

} // namespace shop
