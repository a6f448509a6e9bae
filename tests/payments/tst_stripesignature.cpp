// The Stripe-Signature check (webhook authenticity) as a table: every way a header
// can be right or wrong, against a fixed clock.

#include "payments/stripesignature.h"

#include <QMessageAuthenticationCode>
#include <QTest>

using namespace Qt::StringLiterals;
using shop::payments::StripeSignature;
using Check = StripeSignature::Check;

Q_DECLARE_METATYPE(StripeSignature::Check)

namespace {

const QByteArray Secret = "whsec_test_9f2c1d0b7a";
const QByteArray Body = R"({"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{}}})";
constexpr qint64 T0 = 1'700'000'000;

QByteArray sig(const QByteArray &secret, qint64 t, const QByteArray &body)
{
    return StripeSignature::sign(secret, t, body);
}

} // namespace

class TestStripeSignature : public QObject
{
    Q_OBJECT

private slots:
    // The signature is HMAC-SHA256 over "t.body" in lower-case hex: checked against an
    // independent implementation (Qt's).
    void signMatchesAnIndependentHmac()
    {
        const QByteArray expected =
            QMessageAuthenticationCode::hash(QByteArray::number(T0) + '.' + Body, Secret, QCryptographicHash::Sha256)
                .toHex();
        QCOMPARE(StripeSignature::sign(Secret, T0, Body), expected);
        QCOMPARE(StripeSignature::header(Secret, T0, Body), "t=" + QByteArray::number(T0) + ",v1=" + expected);
    }

    void verify_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<Check>("expected");

        const QByteArray t = "t=" + QByteArray::number(T0);
        const QByteArray good = sig(Secret, T0, Body);
        const QByteArray wrongSecret = sig("whsec_someone_else", T0, Body);

        QTest::addRow("valid") << StripeSignature::header(Secret, T0, Body) << Body << T0 << Check::Valid;
        QTest::addRow("valid, 300 s old (the edge)") << t + ",v1=" + good << Body << T0 + 300 << Check::Valid;
        QTest::addRow("expired, 301 s old") << t + ",v1=" + good << Body << T0 + 301 << Check::OutsideTolerance;
        QTest::addRow("expired, a day old") << t + ",v1=" + good << Body << T0 + 86'400 << Check::OutsideTolerance;
        QTest::addRow("future, within tolerance") << t + ",v1=" + good << Body << T0 - 300 << Check::Valid;
        QTest::addRow("future, beyond tolerance") << t + ",v1=" + good << Body << T0 - 301 << Check::OutsideTolerance;

        QByteArray tampered = Body;
        tampered.replace("succeeded", "succeedee");
        QTest::addRow("tampered body") << t + ",v1=" + good << tampered << T0 << Check::Mismatch;
        QTest::addRow("body with a trailing newline") << t + ",v1=" + good << Body + '\n' << T0 << Check::Mismatch;
        QTest::addRow("re-serialised body (spaces)")
            << t + ",v1=" + good << QByteArray(Body).replace(",", ", ") << T0 << Check::Mismatch;
        QTest::addRow("wrong secret") << t + ",v1=" + wrongSecret << Body << T0 << Check::Mismatch;
        QTest::addRow("timestamp changed, signature kept")
            << "t=" + QByteArray::number(T0 + 1) + ",v1=" + good << Body << T0 << Check::Mismatch;
        QTest::addRow("truncated signature") << t + ",v1=" + good.left(63) << Body << T0 << Check::Mismatch;
        QTest::addRow("signature one hex digit off")
            << t + ",v1=" + good.left(63) + (good.endsWith('0') ? "1" : "0") << Body << T0 << Check::Mismatch;

        QTest::addRow("missing header") << QByteArray() << Body << T0 << Check::MissingHeader;
        QTest::addRow("blank header") << QByteArray("   ") << Body << T0 << Check::MissingHeader;
        QTest::addRow("malformed: no t") << "v1=" + good << Body << T0 << Check::Malformed;
        QTest::addRow("malformed: t not a number") << "t=yesterday,v1=" + good << Body << T0 << Check::Malformed;
        QTest::addRow("malformed: negative t") << "t=-5,v1=" + good << Body << T0 << Check::Malformed;
        QTest::addRow("malformed: two t") << t + "," + t + ",v1=" + good << Body << T0 << Check::Malformed;
        QTest::addRow("malformed: garbage") << QByteArray("garbage") << Body << T0 << Check::Malformed;

        QTest::addRow("several v1, the last valid (secret rolling)")
            << t + ",v1=" + wrongSecret + ",v1=" + good << Body << T0 << Check::Valid;
        QTest::addRow("several v1, the first valid")
            << t + ",v1=" + good + ",v1=" + wrongSecret << Body << T0 << Check::Valid;
        QTest::addRow("several v1, none valid")
            << t + ",v1=" + wrongSecret + ",v1=" + sig(Secret, T0, "{}") << Body << T0 << Check::Mismatch;
        QTest::addRow("v0 only (even a correct digest)") << t + ",v0=" + good << Body << T0 << Check::NoV1;
        QTest::addRow("v0 and a valid v1") << t + ",v0=" + wrongSecret + ",v1=" + good << Body << T0 << Check::Valid;
        QTest::addRow("unknown schemes ignored") << t + ",v2=abc,x,v1=" + good << Body << T0 << Check::Valid;
        QTest::addRow("spaces after commas") << t + ", v1=" + good << Body << T0 << Check::Valid;
        QTest::addRow("upper-case hex") << t + ",v1=" + good.toUpper() << Body << T0 << Check::Valid;
        QTest::addRow("empty body, signed") << StripeSignature::header(Secret, T0, {}) << QByteArray() << T0
                                            << Check::Valid;
    }

    void verify()
    {
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, body);
        QFETCH(qint64, now);
        QFETCH(Check, expected);
        const StripeSignature checker(Secret, StripeSignature::DefaultTolerance, [now] { return now; });
        QCOMPARE(checker.verify(body, header), expected);
    }

    void noSecretVerifiesNothing()
    {
        const StripeSignature checker(QByteArray(), StripeSignature::DefaultTolerance, [] { return T0; });
        QCOMPARE(checker.verify(Body, StripeSignature::header({}, T0, Body)), Check::NoSecret);
    }

    void toleranceIsConfigurable()
    {
        const StripeSignature strict(Secret, std::chrono::seconds(10), [] { return T0 + 11; });
        QCOMPARE(strict.verify(Body, StripeSignature::header(Secret, T0, Body)), Check::OutsideTolerance);
        const StripeSignature loose(Secret, std::chrono::seconds(10), [] { return T0 + 10; });
        QCOMPARE(loose.verify(Body, StripeSignature::header(Secret, T0, Body)), Check::Valid);
    }

    // The message never echoes the expected digest or the secret.
    void describeRevealsNothing()
    {
        for (Check c : {Check::Valid, Check::NoSecret, Check::MissingHeader, Check::Malformed, Check::NoV1,
                        Check::OutsideTolerance, Check::Mismatch}) {
            const QString text = StripeSignature::describe(c);
            QVERIFY(!text.isEmpty());
            QVERIFY(!text.contains(QString::fromLatin1(Secret)));
        }
    }
};

QTEST_APPLESS_MAIN(TestStripeSignature)
#include "tst_stripesignature.moc"
