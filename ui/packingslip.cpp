#include "packingslip.h"

#include "pagekit.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QGuiApplication>
#include <QLocale>
#include <QPageLayout>
#include <QPainter>
#include <QPdfWriter>
#include <QPrintDialog>
#include <QPrinter>
#include <QSaveFile>
#include <QTextDocument>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

// "Germany" for "DE"; the code itself when Qt does not know it.
QString countryName(const QString &code)
{
    const QLocale::Territory territory = QLocale::codeToTerritory(code);
    return territory == QLocale::AnyTerritory ? code : QLocale::territoryToString(territory);
}

QStringList addressLines(const orders::Address &a)
{
    QStringList lines;
    for (const QString &line : {a.name, a.line1, a.line2})
        if (!line.trimmed().isEmpty())
            lines.append(line.trimmed());
    const QString cityLine = QString(a.postalCode.trimmed() + u' ' + a.city.trimmed()).trimmed();
    if (!cityLine.isEmpty())
        lines.append(cityLine);
    if (!a.region.trimmed().isEmpty())
        lines.append(a.region.trimmed());
    if (!a.country.trimmed().isEmpty())
        lines.append(countryName(a.country.trimmed()));
    return lines;
}

QPageSize::PageSizeId localPaperSize()
{
    const QLocale::Territory territory = QLocale().territory();
    return territory == QLocale::UnitedStates || territory == QLocale::Canada ? QPageSize::Letter
                                                                              : QPageSize::A4;
}

} // namespace

QString defaultShopName()
{
    const QString name = QGuiApplication::applicationDisplayName();
    return name.isEmpty() ? u"ShopDesk"_s : name;
}

QString packingSlipHtml(const orders::Order &order, const QString &shopName)
{
    const QLocale locale;
    QString html;
    html += u"<html><body style=\"color: #000000;\">"_s;

    // The shop and what this is.
    html += u"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"0\"><tr>"
            "<td valign=\"top\"><span style=\"font-size: 20pt; font-weight: bold;\">%1</span></td>"
            "<td valign=\"top\" align=\"right\"><span style=\"font-size: 16pt; font-weight: "
            "bold;\">%2</span><br/>"
            "<span style=\"font-size: 13pt;\">%3</span><br/>%4</td></tr></table>"_s.arg(esc(shopName),
                esc(QGuiApplication::translate("PackingSlip", "Packing slip")), esc(order.number()),
                esc(QGuiApplication::translate("PackingSlip", "Placed %1")
                        .arg(locale.toString(order.createdAt.toLocalTime().date(), QLocale::LongFormat))));
    html += u"<hr/>"_s;

    // Where it goes; how it goes.
    QString shipTo;
    for (const QString &line : addressLines(order.address))
        shipTo += esc(line) + u"<br/>"_s;
    if (!order.address.phone.trimmed().isEmpty())
        shipTo
            += esc(QGuiApplication::translate("PackingSlip", "Phone: %1").arg(order.address.phone.trimmed()))
            + u"<br/>"_s;
    QString shipping = esc(order.email) + u"<br/>"_s;
    if (!order.carrier.isEmpty())
        shipping += u"<br/><b>%1</b> %2"_s.arg(
            esc(QGuiApplication::translate("PackingSlip", "Carrier:")), esc(order.carrier));
    if (!order.trackingNumber.isEmpty())
        shipping += u"<br/><b>%1</b> %2"_s.arg(
            esc(QGuiApplication::translate("PackingSlip", "Tracking:")), esc(order.trackingNumber));
    html += u"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"2\"><tr>"
            "<td width=\"55%\" valign=\"top\"><b>%1</b><br/><span style=\"font-size: 12pt;\">%2</span></td>"
            "<td valign=\"top\"><b>%3</b><br/>%4</td></tr></table>"_s.arg(
                esc(QGuiApplication::translate("PackingSlip", "Ship to")), shipTo,
                esc(QGuiApplication::translate("PackingSlip", "Customer")), shipping);

    // What to pack.
    html += u"<p style=\"margin-top: 14px;\"><b>%1</b></p>"_s.arg(
        esc(QGuiApplication::translate("PackingSlip", "Items")));
    html += u"<table width=\"100%\" cellspacing=\"0\" cellpadding=\"5\" border=\"1\""
            " style=\"border-collapse: collapse; border-color: #888888;\">"
            "<tr style=\"background-color: #eeeeee;\"><th width=\"6%\">%1</th><th align=\"left\" "
            "width=\"24%\">%2</th>"
            "<th align=\"left\">%3</th><th align=\"right\" width=\"10%\">%4</th></tr>"_s.arg(
                esc(QGuiApplication::translate("PackingSlip", "\u2713")),
                esc(QGuiApplication::translate("PackingSlip", "SKU")),
                esc(QGuiApplication::translate("PackingSlip", "Item")),
                esc(QGuiApplication::translate("PackingSlip", "Qty")));
    for (const orders::OrderLine &line : order.lines) {
        html += u"<tr><td align=\"center\">\u25a1</td><td>%1</td><td>%2</td>"
                "<td align=\"right\"><b>%3</b></td></tr>"_s.arg(
                    esc(line.sku), esc(line.name), locale.toString(line.quantity));
    }
    html += u"</table>"_s;
    html += u"<p align=\"right\">%1</p>"_s.arg(
        esc(order.itemCount() == 1 ? QGuiApplication::translate("PackingSlip", "1 item in total")
                                   : QGuiApplication::translate("PackingSlip", "%1 items in total")
                                         .arg(locale.toString(order.itemCount()))));

    if (!order.customerNote.trimmed().isEmpty())
        html += u"<p><b>%1</b><br/>%2</p>"_s.arg(
            esc(QGuiApplication::translate("PackingSlip", "Note from the customer")),
            esc(order.customerNote.trimmed()).replace(u'\n', u"<br/>"_s));

    html += u"<p style=\"margin-top: 28px;\">%1 ______________________ &nbsp;&nbsp; %2 ______________</p>"_s
                .arg(esc(QGuiApplication::translate("PackingSlip", "Packed by")),
                    esc(QGuiApplication::translate("PackingSlip", "Date")));
    html += u"</body></html>"_s;
    return html;
}

Status renderPackingSlip(QPagedPaintDevice &device, const orders::Order &order, const QString &shopName)
{
    QPainter painter;
    if (!painter.begin(&device))
        return fail(
            Error::internal(QGuiApplication::translate("PackingSlip", "The page could not be drawn")));
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);

    // The document lays out at the device's resolution, so point sizes come out as
    // points on paper whatever the printer's dpi.
    QTextDocument document;
    document.documentLayout()->setPaintDevice(&device);
    QFont base(u"DejaVu Sans"_s);
    base.setStyleHint(QFont::SansSerif);
    base.setPointSizeF(10);
    document.setDefaultFont(base);
    document.setDocumentMargin(0);
    document.setHtml(packingSlipHtml(order, shopName));

    QFont footerFont = base;
    footerFont.setPointSizeF(8);
    const QFontMetricsF footerMetrics(footerFont, &device);
    const qreal footerHeight = footerMetrics.height() * 2.5;
    const QRectF paper(0, 0, device.width(), device.height());
    const QSizeF body(paper.width(), paper.height() - footerHeight);
    document.setPageSize(body);
    const int pages = document.pageCount();

    for (int page = 0; page < pages; ++page) {
        if (page > 0 && !device.newPage())
            return fail(Error::internal(
                QGuiApplication::translate("PackingSlip", "A new page could not be started")));
        painter.save();
        painter.translate(0, -page * body.height());
        QAbstractTextDocumentLayout::PaintContext context;
        context.clip = QRectF(0, page * body.height(), body.width(), body.height());
        context.palette.setColor(QPalette::Text, Qt::black);
        painter.setClipRect(context.clip);
        document.documentLayout()->draw(&painter, context);
        painter.restore();

        painter.setFont(footerFont);
        painter.setPen(QColor(0x55, 0x55, 0x55));
        const QRectF footer(
            0, paper.height() - footerMetrics.height(), paper.width(), footerMetrics.height());
        painter.drawText(footer, Qt::AlignLeft | Qt::AlignVCenter, shopName + u" \u2014 "_s + order.number());
        painter.drawText(footer, Qt::AlignRight | Qt::AlignVCenter,
            QGuiApplication::translate("PackingSlip", "Page %1 of %2").arg(page + 1).arg(pages));
    }
    if (!painter.end())
        return fail(
            Error::internal(QGuiApplication::translate("PackingSlip", "The page could not be finished")));
    return {};
}

Status writePackingSlipPdf(const orders::Order &order, const QString &path)
{
    return writePackingSlipPdf(order, path, defaultShopName());
}

Status writePackingSlipPdf(const orders::Order &order, const QString &path, const QString &shopName)
{
    // Rendered in memory first, so a failure leaves no half-written file behind.
    QByteArray pdf;
    {
        QBuffer buffer(&pdf);
        buffer.open(QIODevice::WriteOnly);
        QPdfWriter writer(&buffer);
        writer.setTitle(QGuiApplication::translate("PackingSlip", "Packing slip %1").arg(order.number()));
        writer.setCreator(shopName);
        writer.setResolution(300);
        writer.setPageLayout(QPageLayout(QPageSize(localPaperSize()), QPageLayout::Portrait,
            QMarginsF(15, 15, 15, 12), QPageLayout::Millimeter));
        if (auto ok = renderPackingSlip(writer, order, shopName); !ok)
            return ok;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(pdf) != pdf.size() || !file.commit())
        return fail(Error::internal(QGuiApplication::translate("PackingSlip", "%1 could not be written: %2")
                                        .arg(path, file.errorString())));
    return {};
}

bool printPackingSlip(const orders::Order &order, QWidget *parent, QString *error)
{
    QPrinter printer(QPrinter::HighResolution);
    printer.setDocName(QGuiApplication::translate("PackingSlip", "Packing slip %1").arg(order.number()));
    printer.setPageLayout(QPageLayout(QPageSize(localPaperSize()), QPageLayout::Portrait,
        QMarginsF(15, 15, 15, 12), QPageLayout::Millimeter));
    QPrintDialog dialog(&printer, parent);
    dialog.setWindowTitle(QGuiApplication::translate("PackingSlip", "Print Packing Slip"));
    if (dialog.exec() != QDialog::Accepted)
        return false;
    if (auto ok = renderPackingSlip(printer, order, defaultShopName()); !ok) {
        if (error)
            *error = ok.error().message();
        return false;
    }
    return true;
}

} // namespace shop
