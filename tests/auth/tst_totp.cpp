// Two-factor building block: TOTP codes, base32, the otpauth:// URI, its QR code and
// recovery codes.

#include "auth/secretbox.h"
#include "auth/totp.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <QTimeZone>
#include <QUrl>
#include <QUrlQuery>
#include <QXmlStreamReader>

#include <algorithm>
#include <cstdlib>

using namespace Qt::StringLiterals;
using namespace shop::auth;

namespace {

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const QByteArray RfcSecret = QByteArrayLiteral("12345678901234567890");

QDateTime at(qint64 seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds, QTimeZone::utc());
}

// A fixed instant in the middle of a step, so that +-n steps are whole steps away.
const qint64 Now = 1'700'000'015;
const qint64 NowStep = Now / totp::StepSeconds;

} // namespace

class TestTotp : public QObject
{
    Q_OBJECT

private slots:
    // The sealed store for TOTP seeds: it opens only with its key, for its row, unaltered.
    void secretBox()
    {
        const SecretBox box("a data key that is at least thirty-two bytes long");
        const QByteArray seed = totp::generateSecret();
        auto sealed = box.seal(seed, "user 7");
        QVERIFY(sealed);
        QVERIFY(SecretBox::isSealed(*sealed));
        QCOMPARE(sealed->size(), 1 + 12 + seed.size() + 16);
        QVERIFY(!sealed->contains(seed));
        QCOMPARE(*box.open(*sealed, "user 7"), seed);
        QVERIFY(*box.seal(seed, "user 7") != *sealed); // a fresh nonce every time
        QVERIFY(!box.open(*sealed, "user 8"));         // moved to another row
        QVERIFY(!SecretBox("another key, also thirty-two bytes or more").open(*sealed, "user 7"));
        for (const int at : {0, 1, 13, int(sealed->size()) - 1}) {
            QByteArray altered = *sealed;
            altered[at] = char(altered.at(at) ^ 0x40);
            QVERIFY2(!box.open(altered, "user 7"), qPrintable(QString::number(at)));
        }
        QVERIFY(!SecretBox::isSealed(seed)); // a seed stored before sealing reads as itself
        QVERIFY(!box.open(sealed->left(20), "user 7"));
    }

    void rfc6238Vectors_data()
    {
        QTest::addColumn<qint64>("time");
        QTest::addColumn<QString>("expected");
        QTest::addRow("59") << qint64(59) << u"94287082"_s;
        QTest::addRow("1111111109") << qint64(1111111109) << u"07081804"_s;
        QTest::addRow("1111111111") << qint64(1111111111) << u"14050471"_s;
        QTest::addRow("1234567890") << qint64(1234567890) << u"89005924"_s;
        QTest::addRow("2000000000") << qint64(2000000000) << u"69279037"_s;
        QTest::addRow("20000000000") << qint64(20000000000) << u"65353130"_s;
    }

    void rfc6238Vectors()
    {
        QFETCH(qint64, time);
        QFETCH(QString, expected);
        QCOMPARE(totp::code(RfcSecret, at(time), 8), expected);
        // Dynamic truncation takes the value modulo 10^digits (RFC 4226 section 5.3),
        // so the six-digit code is the last six digits of the eight-digit one.
        QCOMPARE(totp::code(RfcSecret, at(time)), expected.right(6));
        QCOMPARE(totp::verify(RfcSecret, expected.right(6), at(time), std::nullopt),
            std::optional<qint64>(time / 30));
    }

    void codeRefusesBadInput_data()
    {
        QTest::addColumn<QByteArray>("secret");
        QTest::addColumn<QDateTime>("time");
        QTest::addColumn<int>("digits");
        QTest::addRow("short secret") << QByteArray(15, 'x') << at(Now) << 6;
        QTest::addRow("empty secret") << QByteArray() << at(Now) << 6;
        QTest::addRow("invalid time") << RfcSecret << QDateTime() << 6;
        QTest::addRow("before epoch") << RfcSecret << at(-1) << 6;
        QTest::addRow("five digits") << RfcSecret << at(Now) << 5;
        QTest::addRow("nine digits") << RfcSecret << at(Now) << 9;
    }

    void codeRefusesBadInput()
    {
        QFETCH(QByteArray, secret);
        QFETCH(QDateTime, time);
        QFETCH(int, digits);
        QVERIFY(totp::code(secret, time, digits).isEmpty());
    }

    void verifyWindow_data()
    {
        QTest::addColumn<int>("offset"); // steps between the code's time and now
        QTest::addColumn<bool>("accepted");
        QTest::addRow("two steps behind") << -2 << false;
        QTest::addRow("previous step") << -1 << true;
        QTest::addRow("current step") << 0 << true;
        QTest::addRow("next step") << 1 << true;
        QTest::addRow("two steps ahead") << 2 << false;
    }

    void verifyWindow()
    {
        QFETCH(int, offset);
        QFETCH(bool, accepted);
        const QByteArray secret = totp::generateSecret();
        const QString code = totp::code(secret, at(Now + offset * totp::StepSeconds));
        QCOMPARE(code.size(), 6);
        const auto step = totp::verify(secret, code, at(Now), std::nullopt);
        QCOMPARE(step.has_value(), accepted);
        if (accepted)
            QCOMPARE(*step, NowStep + offset);
    }

    void verifyOnce_data()
    {
        QTest::addColumn<qint64>("lastUsedStep");
        QTest::addColumn<bool>("accepted");
        QTest::addRow("never used") << qint64(-1) << true;
        QTest::addRow("older step used") << NowStep - 1 << true;
        QTest::addRow("same step reused") << NowStep << false;
        QTest::addRow("newer step used") << NowStep + 1 << false;
    }

    void verifyOnce()
    {
        QFETCH(qint64, lastUsedStep);
        QFETCH(bool, accepted);
        const QByteArray secret = totp::generateSecret();
        const QString code = totp::code(secret, at(Now));
        const auto last = lastUsedStep < 0 ? std::nullopt : std::optional<qint64>(lastUsedStep);
        const auto step = totp::verify(secret, code, at(Now), last);
        QCOMPARE(step.has_value(), accepted);
        if (accepted)
            QCOMPARE(*step, NowStep);
    }

    void verifyOnceAcrossLogins()
    {
        // The flow a caller follows: store the step returned, pass it back next time.
        const QByteArray secret = totp::generateSecret();
        const QString code = totp::code(secret, at(Now));
        const auto first = totp::verify(secret, code, at(Now), std::nullopt);
        QVERIFY(first);
        QVERIFY(!totp::verify(secret, code, at(Now + 20), first));
        const QString next = totp::code(secret, at(Now + totp::StepSeconds));
        QCOMPARE(totp::verify(secret, next, at(Now + totp::StepSeconds), first), NowStep + 1);
    }

    void verifyRefusesMalformed_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addRow("five digits") << u"12345"_s;
        QTest::addRow("seven digits") << u"1234567"_s;
        QTest::addRow("letter") << u"12a456"_s;
        QTest::addRow("empty") << QString();
        QTest::addRow("space inside") << u"123 45"_s;
        QTest::addRow("sign") << u"+12345"_s;
        QTest::addRow("arabic-indic digits") << u"\u0661\u0662\u0663\u0664\u0665\u0666"_s;
    }

    void verifyRefusesMalformed()
    {
        QFETCH(QString, code);
        QVERIFY(!totp::verify(RfcSecret, code, at(59), std::nullopt));
    }

    void verifyRefusesWrongCodeAndSecret()
    {
        const QString good = totp::code(RfcSecret, at(Now));
        const QString wrong = QString::number((good.toInt() + 1) % 1'000'000).rightJustified(6, u'0');
        // The wrong code must not be valid anywhere in the window either.
        for (int offset = -1; offset <= 1; ++offset)
            QVERIFY(totp::code(RfcSecret, at(Now + offset * totp::StepSeconds)) != wrong);
        QVERIFY(!totp::verify(RfcSecret, wrong, at(Now), std::nullopt));
        QVERIFY(!totp::verify(QByteArray(10, 'x'), good, at(Now), std::nullopt));
        QVERIFY(!totp::verify(RfcSecret, good, QDateTime(), std::nullopt));
    }

    void secret()
    {
        const QByteArray a = totp::generateSecret();
        const QByteArray b = totp::generateSecret();
        QCOMPARE(a.size(), 20);
        QVERIFY(a != b);
    }

    void base32Vectors_data()
    {
        // RFC 4648 section 10, padding left out.
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QString>("encoded");
        QTest::addRow("f") << QByteArray("f") << u"MY"_s;
        QTest::addRow("fo") << QByteArray("fo") << u"MZXQ"_s;
        QTest::addRow("foo") << QByteArray("foo") << u"MZXW6"_s;
        QTest::addRow("foob") << QByteArray("foob") << u"MZXW6YQ"_s;
        QTest::addRow("fooba") << QByteArray("fooba") << u"MZXW6YTB"_s;
        QTest::addRow("foobar") << QByteArray("foobar") << u"MZXW6YTBOI"_s;
        QTest::addRow("rfc 6238 seed") << RfcSecret << u"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"_s;
    }

    void base32Vectors()
    {
        QFETCH(QByteArray, data);
        QFETCH(QString, encoded);
        QCOMPARE(totp::base32(data), encoded);
        QCOMPARE(totp::fromBase32(encoded), std::optional<QByteArray>(data));
    }

    void fromBase32Loose_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QByteArray>("data");
        QTest::addRow("lower case") << u"mzxw6ytboi"_s << true << QByteArray("foobar");
        QTest::addRow("spaces") << u"MZXW 6YTB OI"_s << true << QByteArray("foobar");
        QTest::addRow("padding") << u"MZXW6YTBOI======"_s << true << QByteArray("foobar");
        QTest::addRow("padded f") << u"my======"_s << true << QByteArray("f");
        QTest::addRow("digit outside alphabet") << u"M1"_s << false << QByteArray();
        QTest::addRow("punctuation") << u"MZ-XQ"_s << false << QByteArray();
        QTest::addRow("impossible length") << u"MZX"_s << false << QByteArray();
        QTest::addRow("non-ascii") << u"MZ\u00c9Q"_s << false << QByteArray();
    }

    void fromBase32Loose()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QByteArray, data);
        const auto decoded = totp::fromBase32(text);
        QCOMPARE(decoded.has_value(), valid);
        if (valid)
            QCOMPARE(*decoded, data);
    }

    void base32RoundTrip()
    {
        for (int i = 0; i < 20; ++i) {
            const QByteArray secret = totp::generateSecret().left(1 + i % 20);
            const QString text = totp::base32(secret);
            QVERIFY(!text.contains(u'='));
            QCOMPARE(text, text.toUpper());
            QCOMPARE(totp::fromBase32(text), std::optional<QByteArray>(secret));
        }
    }

    void provisioningUri_data()
    {
        QTest::addColumn<QString>("email");
        QTest::addColumn<QString>("issuer");
        QTest::addRow("plain") << u"anna@example.com"_s << u"ShopDesk"_s;
        QTest::addRow("plus and space") << u"anna+shop@example.com"_s << u"Corner Shop"_s;
        QTest::addRow("ampersand and unicode") << u"j\u00f6rg@example.com"_s << u"B&B Caf\u00e9"_s;
    }

    void provisioningUri()
    {
        QFETCH(QString, email);
        QFETCH(QString, issuer);
        const QString uri = totp::provisioningUri(RfcSecret, email, issuer);
        // Raw "+" would read back as a space in some apps, raw spaces are not a URI.
        QVERIFY2(!uri.contains(u'+') && !uri.contains(u' '), qPrintable(uri));

        const QUrl url(uri, QUrl::StrictMode);
        QVERIFY2(url.isValid(), qPrintable(url.errorString()));
        QCOMPARE(url.scheme(), u"otpauth"_s);
        QCOMPARE(url.host(), u"totp"_s);
        QCOMPARE(url.path(QUrl::FullyDecoded), u'/' + issuer + u':' + email);

        const QUrlQuery query(url);
        QCOMPARE(
            query.queryItemValue(u"secret"_s, QUrl::FullyDecoded), u"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"_s);
        QCOMPARE(query.queryItemValue(u"issuer"_s, QUrl::FullyDecoded), issuer);
        QCOMPARE(query.queryItemValue(u"algorithm"_s), u"SHA1"_s);
        QCOMPARE(query.queryItemValue(u"digits"_s), u"6"_s);
        QCOMPARE(query.queryItemValue(u"period"_s), u"30"_s);
        QCOMPARE(query.queryItems().size(), 5);
    }

    void provisioningUriEncoding()
    {
        const QString uri = totp::provisioningUri(RfcSecret, u"anna+shop@example.com"_s, u"Corner Shop"_s);
        QCOMPARE(uri,
            u"otpauth://totp/Corner%20Shop:anna%2Bshop@example.com"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Corner%20Shop"
            "&algorithm=SHA1&digits=6&period=30"_s);
    }

    void qrSvgIsWellFormed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addRow("short") << u"hello"_s;
        QTest::addRow("provisioning uri")
            << totp::provisioningUri(totp::generateSecret(), u"anna+shop@example.com"_s, u"Corner Shop"_s);
    }

    void qrSvgIsWellFormed()
    {
        QFETCH(QString, text);
        const QString svg = totp::qrSvg(text);
        const int modules = int(totp::qrMatrix(text).size()) + 8; // 4-module quiet zone each side
        QXmlStreamReader xml(svg);
        int paths = 0;
        bool sawRoot = false;
        while (!xml.atEnd()) {
            if (xml.readNext() != QXmlStreamReader::StartElement)
                continue;
            if (xml.name() == "svg"_L1) {
                sawRoot = true;
                QCOMPARE(xml.namespaceUri(), "http://www.w3.org/2000/svg"_L1);
                QCOMPARE(xml.attributes().value("viewBox"_L1), u"0 0 %1 %1"_s.arg(modules));
            } else if (xml.name() == "path"_L1) {
                ++paths;
                QCOMPARE(xml.attributes().value("fill"_L1), "#000"_L1);
                QVERIFY(xml.attributes().value("d"_L1).startsWith(u'M'));
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY(sawRoot);
        QCOMPARE(paths, 1);
    }

    void qrMatrixHasFinderPattern()
    {
        const auto matrix = totp::qrMatrix(
            totp::provisioningUri(totp::generateSecret(), u"anna@example.com"_s, u"ShopDesk"_s));
        QVERIFY(matrix.size() >= 21);
        QCOMPARE((matrix.size() - 17) % 4, 0); // ISO/IEC 18004: 17 + 4 * version
        for (const auto &row : matrix)
            QCOMPARE(row.size(), matrix.size());
        // The 7x7 finder in the top-left corner: dark ring, light ring, dark 3x3 centre,
        // then a light separator on row and column 7.
        for (int y = 0; y < 8; ++y) {
            for (int x = 0; x < 8; ++x) {
                const int ring = std::max(std::abs(x - 3), std::abs(y - 3));
                const bool dark = ring == 3 || ring <= 1;
                QVERIFY2(matrix[y][x] == dark, qPrintable(u"module %1,%2"_s.arg(x).arg(y)));
            }
        }
    }

    void qrTooLong()
    {
        // A version 40 symbol at level M holds 2331 bytes.
        const QString text(3000, u'x');
        QVERIFY(totp::qrSvg(text).isEmpty());
        QVERIFY(totp::qrMatrix(text).isEmpty());
        QVERIFY(totp::qrSvg(QString()).isEmpty());
    }

    void recoveryCodes_data()
    {
        QTest::addColumn<int>("count");
        QTest::addRow("default") << -1;
        QTest::addRow("one") << 1;
        QTest::addRow("many") << 500;
        QTest::addRow("none") << 0;
    }

    void recoveryCodes()
    {
        QFETCH(int, count);
        const QStringList codes
            = count < 0 ? totp::generateRecoveryCodes() : totp::generateRecoveryCodes(count);
        QCOMPARE(codes.size(), count < 0 ? 10 : count);
        QCOMPARE(QSet<QString>(codes.cbegin(), codes.cend()).size(), codes.size());
        static const QRegularExpression shape(u"^[2-9a-km-np-z]{4}(-[2-9a-km-np-z]{4}){3}$"_s);
        QSet<QByteArray> hashes;
        for (const QString &code : codes) {
            QVERIFY2(shape.match(code).hasMatch(), qPrintable(code));
            hashes.insert(totp::recoveryCodeHash(code));
        }
        QCOMPARE(hashes.size(), codes.size());
    }

    void recoveryCodeHash_data()
    {
        QTest::addColumn<QString>("typed");
        QTest::addColumn<bool>("same");
        QTest::addRow("as issued") << u"abcd-efgh-jk"_s << true;
        QTest::addRow("upper case") << u"ABCD-EFGH-JK"_s << true;
        QTest::addRow("no dashes") << u"abcdefghjk"_s << true;
        QTest::addRow("spaces") << u" abcd efgh jk "_s << true;
        QTest::addRow("mixed") << u"AbCd - eFgH-jK"_s << true;
        QTest::addRow("one character off") << u"abcd-efgh-jm"_s << false;
        QTest::addRow("missing character") << u"abcd-efgh-j"_s << false;
    }

    void recoveryCodeHash()
    {
        QFETCH(QString, typed);
        QFETCH(bool, same);
        const QByteArray issued = totp::recoveryCodeHash(u"abcd-efgh-jk"_s);
        QCOMPARE(issued.size(), 32);
        QCOMPARE(totp::recoveryCodeHash(typed) == issued, same);
    }
};

QTEST_APPLESS_MAIN(TestTotp)
#include "tst_totp.moc"
