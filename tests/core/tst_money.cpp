// Money text <-> integer cents: the only place decimal prices are read or written.

#include "core/money.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace shop;

class TestMoney : public QObject
{
    Q_OBJECT

private slots:
    void parseCents_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<qint64>("cents");
        QTest::addRow("two decimals") << u"19.99"_s << true << qint64(1999);
        QTest::addRow("one decimal") << u"0.5"_s << true << qint64(50);
        QTest::addRow("whole") << u"20"_s << true << qint64(2000);
        QTest::addRow("trailing point") << u"20."_s << true << qint64(2000);
        QTest::addRow("leading point") << u".75"_s << true << qint64(75);
        QTest::addRow("zero") << u"0"_s << true << qint64(0);
        QTest::addRow("spaces trimmed") << u" 7.10 "_s << true << qint64(710);
        QTest::addRow("lab's big price") << u"999.99"_s << true << qint64(99999);
        QTest::addRow("largest") << u"100000000000.00"_s << true << qint64(10'000'000'000'000);
        QTest::addRow("three decimals") << u"19.999"_s << false << qint64(0);
        QTest::addRow("negative") << u"-1"_s << false << qint64(0);
        QTest::addRow("exponent") << u"1e3"_s << false << qint64(0);
        QTest::addRow("comma") << u"1,50"_s << false << qint64(0);
        QTest::addRow("two points") << u"1.2.3"_s << false << qint64(0);
        QTest::addRow("empty") << QString() << false << qint64(0);
        QTest::addRow("point only") << u"."_s << false << qint64(0);
        QTest::addRow("letters") << u"abc"_s << false << qint64(0);
        QTest::addRow("plus sign") << u"+5"_s << false << qint64(0);
        QTest::addRow("too large") << u"1000000000000"_s << false << qint64(0);
        QTest::addRow("overflow digits") << u"99999999999999999999999"_s << false << qint64(0);
    }

    void parseCents()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(qint64, cents);
        const auto parsed = money::parseCents(text);
        QCOMPARE(parsed.has_value(), valid);
        if (valid)
            QCOMPARE(*parsed, cents);
        else
            QCOMPARE(parsed.error().kind(), Error::Kind::Validation);
    }

    void fromJsonNumber_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<qint64>("cents");
        // Binary doubles that are not the decimal the client wrote must still give
        // that decimal's cents: 0.1 + 0.2 style drift never reaches the database.
        QTest::addRow("19.99") << 19.99 << true << qint64(1999);
        QTest::addRow("0.29") << 0.29 << true << qint64(29);
        QTest::addRow("1.15") << 1.15 << true << qint64(115);
        QTest::addRow("999.99") << 999.99 << true << qint64(99999);
        QTest::addRow("whole") << 42.0 << true << qint64(4200);
        QTest::addRow("zero") << 0.0 << true << qint64(0);
        QTest::addRow("sum drift 0.1+0.2") << (0.1 + 0.2) << false << qint64(0);
        QTest::addRow("three decimals") << 1.005 << false << qint64(0);
        QTest::addRow("tiny") << 1e-7 << false << qint64(0);
        QTest::addRow("negative") << -3.5 << false << qint64(0);
        QTest::addRow("infinite") << qInf() << false << qint64(0);
        QTest::addRow("nan") << qQNaN() << false << qint64(0);
        QTest::addRow("huge") << 1e300 << false << qint64(0);
    }

    void fromJsonNumber()
    {
        QFETCH(double, value);
        QFETCH(bool, valid);
        QFETCH(qint64, cents);
        const auto parsed = money::centsFromJsonNumber(value);
        QCOMPARE(parsed.has_value(), valid);
        if (valid)
            QCOMPARE(*parsed, cents);
    }

    void format_data()
    {
        QTest::addColumn<qint64>("cents");
        QTest::addColumn<QString>("text");
        QTest::addRow("cents") << qint64(1999) << u"19.99"_s;
        QTest::addRow("whole") << qint64(2000) << u"20.00"_s;
        QTest::addRow("small") << qint64(5) << u"0.05"_s;
        QTest::addRow("zero") << qint64(0) << u"0.00"_s;
        QTest::addRow("negative") << qint64(-250) << u"-2.50"_s;
        QTest::addRow("min") << std::numeric_limits<qint64>::min() << u"-92233720368547758.08"_s;
    }

    void format()
    {
        QFETCH(qint64, cents);
        QFETCH(QString, text);
        QCOMPARE(money::format(cents), text);
    }

    void roundTrip()
    {
        for (qint64 cents : {qint64(0), qint64(1), qint64(99), qint64(100), qint64(123456789)})
            QCOMPARE(*money::parseCents(money::format(cents)), cents);
    }
};

QTEST_APPLESS_MAIN(TestMoney)
#include "tst_money.moc"
