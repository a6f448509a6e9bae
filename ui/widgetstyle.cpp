#include "widgetstyle.h"

#include <QLabel>

using namespace Qt::StringLiterals;

namespace shop {

void setMuted(QLabel *label)
{
    QPalette palette = label->palette();
    const QColor text = palette.color(QPalette::WindowText);
    const QColor back = palette.color(QPalette::Window);
    const auto mix = [](int a, int b) { return (a * 55 + b * 45) / 100; };
    palette.setColor(QPalette::WindowText,
                     QColor(mix(text.red(), back.red()), mix(text.green(), back.green()), mix(text.blue(), back.blue())));
    label->setPalette(palette);
}

void setErrorStyle(QLabel *label)
{
    label->setStyleSheet(u"color: #c5221f;"_s);
    label->setWordWrap(true);
    label->hide();
}

void setMessage(QLabel *label, const QString &text)
{
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

} // namespace shop
