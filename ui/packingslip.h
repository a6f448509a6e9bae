#pragma once

#include "core/result.h"
#include "orders/order.h"

#include <QString>

class QPagedPaintDevice;
class QWidget;

namespace shop {

// The packing slip that goes in the parcel: the shop, the order number and date, where
// it goes, and what to pack (SKU, item, quantity, a box to tick) — no prices, since
// the slip is often a gift's only paperwork. Rendered with QPainter onto any paged
// device: a PDF (QPdfWriter) or a printer (QPrinter). Long orders continue on further
// pages, each with the order number and "page n of m" at the foot.

// What the slip says at the top: the application's display name ("ShopDesk") unless
// the caller has a better one.
QString defaultShopName();

// The slip as rich text (every order field escaped), for the renderer and for tests.
QString packingSlipHtml(const orders::Order &order, const QString &shopName);

// Paints every page of the slip on `device` (begins and ends its own QPainter).
Status renderPackingSlip(QPagedPaintDevice &device, const orders::Order &order, const QString &shopName);

// A4 (Letter in the US and Canada) PDF at `path`, replaced atomically.
Status writePackingSlipPdf(const orders::Order &order, const QString &path);
Status writePackingSlipPdf(const orders::Order &order, const QString &path, const QString &shopName);

// The print dialog, then the printer; false when the admin cancelled.
bool printPackingSlip(const orders::Order &order, QWidget *parent, QString *error = nullptr);

} // namespace shop
