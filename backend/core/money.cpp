#include "money.h"

#include <QLocale>

#include <cmath>

using namespace Qt::StringLiterals;

namespace shop::money {

namespace {

constexpr qint64 MaxCents = 10'000'000'000'000; // 100 billion in currency units

Error invalidAmount(QString message)
{
    return Error(Error::Kind::Validation, std::move(message));
}

} // namespace

Result<qint64> parseCents(QStringView text)
{
    const QStringView s = text.trimmed();
    if (s.isEmpty())
        return fail(invalidAmount(u"Enter a price"_s));
    if (s.startsWith(u'-'))
        return fail(invalidAmount(u"The price cannot be negative"_s));
    qint64 whole = 0;
    qint64 fraction = 0;
    int fractionDigits = 0;
    bool seenPoint = false;
    bool seenDigit = false;
    for (const QChar c : s) {
        if (c == u'.' && !seenPoint) {
            seenPoint = true;
            continue;
        }
        if (c < u'0' || c > u'9')
            return fail(invalidAmount(u"Write the price as a number such as 19.99"_s));
        seenDigit = true;
        const int digit = c.unicode() - u'0';
        if (seenPoint) {
            if (++fractionDigits > 2)
                return fail(invalidAmount(u"A price has at most two decimals"_s));
            fraction = fraction * 10 + digit;
        } else {
            whole = whole * 10 + digit;
            if (whole > MaxCents / 100)
                return fail(invalidAmount(u"The price is too large"_s));
        }
    }
    if (!seenDigit)
        return fail(invalidAmount(u"Write the price as a number such as 19.99"_s));
    if (fractionDigits == 1)
        fraction *= 10;
    return whole * 100 + fraction;
}

Result<qint64> centsFromJsonNumber(double value)
{
    if (!std::isfinite(value))
        return fail(invalidAmount(u"Write the price as a number such as 19.99"_s));
    if (value < 0)
        return fail(invalidAmount(u"The price cannot be negative"_s));
    if (value >= double(MaxCents) / 100)
        return fail(invalidAmount(u"The price is too large"_s));
    // 'f' with the shortest round-trip precision: 19.99 -> "19.99", 1e-7 -> "0.0000001"
    // (which then fails the two-decimal rule, as it should).
    return parseCents(QString::number(value, 'f', QLocale::FloatingPointShortest));
}

QString format(qint64 cents)
{
    const bool negative = cents < 0;
    const quint64 magnitude = negative ? quint64(0) - quint64(cents) : quint64(cents);
    QString text = QString::number(magnitude / 100) + u'.'
                   + QString::number(magnitude % 100).rightJustified(2, u'0');
    return negative ? u'-' + text : text;
}

} // namespace shop::money
