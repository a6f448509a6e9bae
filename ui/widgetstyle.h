#pragma once

class QLabel;
class QString;

namespace shop {

// Secondary text (hints, captions): between the text colour and the background, so
// it reads as secondary in light and dark palettes alike.
void setMuted(QLabel *label);

// A field's validation message: shown in the error colour, hidden when empty.
void setErrorStyle(QLabel *label);
void setMessage(QLabel *label, const QString &text);

} // namespace shop
