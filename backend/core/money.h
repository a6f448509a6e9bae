#pragma once

#include "result.h"

#include <QString>

namespace shop::money {

// Money is integer cents everywhere (the learning lab kept floats and lost cents).
// These are the only conversions between cents and decimal text.

// "19.99" -> 1999; "20" -> 2000; "0.5" -> 50. Refuses negatives, more than two
// decimals, exponents, and amounts beyond 10^13 cents.
Result<qint64> parseCents(QStringView text);

// A JSON number as the client wrote it: the shortest text that round-trips the double
// (19.99 -> "19.99") is parsed exactly, so no binary fraction leaks into the cents.
Result<qint64> centsFromJsonNumber(double value);

// 1999 -> "19.99"; 2000 -> "20.00".
QString format(qint64 cents);

} // namespace shop::money
