// The email outbox and its SMTP delivery against a real PostgreSQL and a real SMTP
// server (aiosmtpd): messages live and die with the caller's transaction, header
// injection is refused, what curl sends is a well-formed RFC 5322 message that another
// parser (Python's email package) decodes back, and the dispatcher delivers, backs
// off, gives up, and never sends a row twice when several run on one database.

#include "core/config.h"
#include "db/database.h"
#include "db/listener.h"
#include "db/migrator.h"
#include "mail/outbox.h"
#include "mail/outboxdispatcher.h"
#include "mail/smtpsender.h"
#include "smtpsink.h"
#include "testcluster.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace shop;
using namespace shop::mail;

namespace {

quint16 closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        qFatal("cannot find a free port");
    return server.serverPort(); // closed again when `server` goes
}

Message message(const QString &subject, const QString &to = u"ann@example.com"_s)
{
    return {to, subject, u"Hello,\nthis is a test.\n"_s, u"test"_s};
}

// Every line break of the message is CRLF; no bare CR or LF.
bool crlfOnly(const QByteArray &raw)
{
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (raw.at(i) == '\n' && (i == 0 || raw.at(i - 1) != '\r'))
            return false;
        if (raw.at(i) == '\r' && (i + 1 >= raw.size() || raw.at(i + 1) != '\n'))
            return false;
    }
    return true;
}

} // namespace

class TestMail : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    db::ConnectionOptions m_connection;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<test::SmtpSink> m_sink;

    static db::Database::Options poolOptions(const db::ConnectionOptions &connection)
    {
        db::Database::Options options;
        options.connection = connection;
        options.poolSize = 4;
        return options;
    }

    qint64 scalar(const QString &sql)
    {
        auto conn = m_db->acquire();
        if (!conn)
            return -1;
        auto q = conn->query(sql);
        if (!q.exec() || !q.next())
            return -1;
        return q.value(0).toLongLong();
    }

    void exec(const QString &sql)
    {
        auto conn = m_db->acquire();
        QVERIFY(conn);
        auto ok = conn->execute(sql);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    qint64 enqueueOne(const Message &m)
    {
        auto ok = Outbox(*m_db).enqueue(m);
        if (!ok)
            qFatal("enqueue failed: %s", qPrintable(ok.error().message()));
        return scalar(u"SELECT max(id) FROM email_outbox"_s);
    }

    SmtpOptions sinkSmtp(const test::SmtpSink &sink) const
    {
        SmtpOptions o;
        o.url = sink.url();
        o.from = u"ShopDesk Test <shop@example.test>"_s;
        o.timeoutMs = 10'000;
        return o;
    }

    OutboxDispatcher::Options dispatcherOptions(const SmtpOptions &smtp) const
    {
        OutboxDispatcher::Options o;
        o.smtp = smtp;
        o.pollIntervalMs = 200;
        return o;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        m_connection = m_cluster.createDatabase(u"mail"_s);
        m_db = std::make_unique<db::Database>(poolOptions(m_connection));
        auto migrated = db::Migrator(*m_db).migrate();
        QVERIFY2(migrated, migrated ? "" : qPrintable(migrated.error().message()));
        m_sink = std::make_unique<test::SmtpSink>();
        QVERIFY2(m_sink->start(), qPrintable(m_sink->errorString()));
    }

    void cleanupTestCase()
    {
        m_sink.reset();
        m_db.reset();
    }

    void init()
    {
        exec(u"TRUNCATE email_outbox RESTART IDENTITY"_s);
        m_sink->clear();
    }

    // --- Validation --------------------------------------------------------------

    void validation_data()
    {
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("subject");
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("badField"); // empty: valid

        const QString body = u"Hi"_s;
        QTest::addRow("plain") << u"ann@example.com"_s << u"Welcome"_s << body << QString();
        QTest::addRow("plus and dots") << u"ann.lee+shop@mail.example.co.uk"_s << u"Hi"_s << body << QString();
        QTest::addRow("single-label domain") << u"admin@localhost"_s << u"Hi"_s << body << QString();
        QTest::addRow("idn domain") << u"ann@bücher.example"_s << u"Hi"_s << body << QString();
        QTest::addRow("utf-8 subject") << u"ann@example.com"_s << u"Größe ✓ 🎉"_s << body << QString();
        QTest::addRow("255-char subject") << u"ann@example.com"_s << QString(255, u'x') << body << QString();
        QTest::addRow("body with line breaks") << u"ann@example.com"_s << u"Hi"_s << u"a\r\nb\rc\n"_s << QString();

        QTest::addRow("CRLF header injection in to")
            << u"ann@example.com\r\nBcc: all@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("LF in to") << u"ann@example.com\nBcc: x@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("CRLF header injection in subject")
            << u"ann@example.com"_s << u"Hi\r\nBcc: all@example.com"_s << body << u"subject"_s;
        QTest::addRow("bare CR in subject") << u"ann@example.com"_s << u"Hi\rthere"_s << body << u"subject"_s;
        QTest::addRow("bare LF in subject") << u"ann@example.com"_s << u"Hi\nthere"_s << body << u"subject"_s;
        QTest::addRow("NEL in subject") << u"ann@example.com"_s << u"Hi\u0085there"_s << body << u"subject"_s;
        QTest::addRow("tab in subject") << u"ann@example.com"_s << u"Hi\tthere"_s << body << u"subject"_s;
        QTest::addRow("256-char subject") << u"ann@example.com"_s << QString(256, u'x') << body << u"subject"_s;
        QTest::addRow("empty subject") << u"ann@example.com"_s << u"  "_s << body << u"subject"_s;
        QTest::addRow("no @") << u"ann.example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("two @") << u"ann@b@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("empty") << QString() << u"Hi"_s << body << u"to"_s;
        QTest::addRow("angle brackets") << u"<ann@example.com>"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("display name") << u"Ann <ann@example.com>"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("list") << u"ann@example.com,bob@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("space") << u"ann lee@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("leading dot") << u".ann@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("double dot") << u"ann..lee@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("non-ascii local part") << u"änn@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("65-char local part") << QString(65, u'a') + u"@example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("empty domain label") << u"ann@example..com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("hyphen label") << u"ann@-example.com"_s << u"Hi"_s << body << u"to"_s;
        QTest::addRow("NUL in body") << u"ann@example.com"_s << u"Hi"_s << u"a\u0000b"_s << u"body"_s;
    }

    void validation()
    {
        QFETCH(QString, to);
        QFETCH(QString, subject);
        QFETCH(QString, body);
        QFETCH(QString, badField);
        const Message m{to, subject, body, u"test"_s};
        auto ok = validate(m);
        if (badField.isEmpty()) {
            QVERIFY2(ok, ok ? "" : qPrintable(ok.error().fields().value(0).message));
        } else {
            QVERIFY(!ok);
            QCOMPARE(ok.error().kind(), Error::Kind::Validation);
            QCOMPARE(ok.error().fields().size(), 1);
            QCOMPARE(ok.error().fields().at(0).field, badField);
        }
        // The same verdict through enqueue(), and nothing stored when refused.
        auto conn = m_db->acquire();
        QVERIFY(conn);
        QCOMPARE(bool(enqueue(*conn, m)), badField.isEmpty());
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox"_s), badField.isEmpty() ? 1 : 0);
    }

    // --- The transaction decides ---------------------------------------------------

    void enqueueFollowsTheCallersTransaction()
    {
        // A listener on the outbox channel: the NOTIFY travels with the transaction too.
        db::NotificationListener listener(m_connection, {QString::fromLatin1(NotifyChannel)});
        QStringList payloads;
        connect(&listener, &db::NotificationListener::notification, this,
                [&](const QString &, const QString &payload) { payloads.append(payload); }, Qt::QueuedConnection);
        QVERIFY(listener.start());

        auto conn = m_db->acquire();
        QVERIFY(conn);
        {
            db::Transaction tx(*conn);
            QVERIFY(tx.begin());
            QVERIFY(enqueue(*conn, message(u"rolled back"_s)));
            // Visible inside the transaction ...
            auto inside = conn->query(u"SELECT count(*) FROM email_outbox"_s);
            QVERIFY(inside.exec() && inside.next());
            QCOMPARE(inside.value(0).toLongLong(), qint64(1));
            // ... and gone with it (the guard rolls back).
        }
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox"_s), qint64(0));
        {
            db::Transaction tx(*conn);
            QVERIFY(tx.begin());
            QVERIFY(enqueue(*conn, message(u"committed"_s)));
            QVERIFY(tx.commit());
        }
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox"_s), qint64(1));
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE subject = 'committed' AND status = 'pending'"
                        " AND attempts = 0 AND kind = 'test'"_s),
                 qint64(1));
        const qint64 id = scalar(u"SELECT id FROM email_outbox"_s);
        // Only the committed message was announced.
        QTRY_COMPARE_WITH_TIMEOUT(payloads.size(), 1, 5000);
        QCOMPARE(payloads.at(0), QString::number(id));
    }

    void enqueueInsideAFailedTransactionLeavesNothing()
    {
        auto conn = m_db->acquire();
        QVERIFY(conn);
        db::Transaction tx(*conn);
        QVERIFY(tx.begin());
        QVERIFY(enqueue(*conn, message(u"before the error"_s)));
        QVERIFY(!conn->execute(u"SELECT 1/0"_s)); // the caller's change fails
        QVERIFY(!enqueue(*conn, message(u"after the error"_s))); // checked, not ignored
        // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK.
        (void)tx.commit();
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox"_s), qint64(0));
    }

    // --- The Outbox view's reads and retry -------------------------------------------

    void outboxViewsAndRetry()
    {
        const qint64 a = enqueueOne(message(u"first"_s));
        const qint64 b = enqueueOne(message(u"second"_s));
        const qint64 c = enqueueOne(message(u"third"_s));
        exec(u"UPDATE email_outbox SET status = 'sent', sent_at = now(), attempts = 1 WHERE id = %1"_s.arg(a));
        exec(u"UPDATE email_outbox SET status = 'failed', attempts = 8, last_error = 'boom',"
             " next_attempt_at = now() + interval '1 hour' WHERE id = %1"_s.arg(b));

        Outbox outbox(*m_db);
        auto all = outbox.recent(10);
        QVERIFY(all);
        QCOMPARE(all->size(), 3);
        QCOMPARE(all->at(0).id, c); // newest first
        QCOMPARE(all->at(2).id, a);
        QCOMPARE(all->at(2).status, u"sent"_s);
        QVERIFY(all->at(2).sentAt.isValid());
        QVERIFY(!all->at(0).sentAt.isValid());
        QCOMPARE(all->at(0).body, u"Hello,\nthis is a test.\n"_s);
        QCOMPARE(all->at(0).to, u"ann@example.com"_s);
        QCOMPARE(all->at(0).kind, u"test"_s);
        QVERIFY(all->at(0).createdAt.isValid());
        QCOMPARE(outbox.recent(2)->size(), 2);

        auto failed = outbox.recent(10, u"failed"_s);
        QVERIFY(failed);
        QCOMPARE(failed->size(), 1);
        QCOMPARE(failed->at(0).id, b);
        QCOMPARE(failed->at(0).lastError, u"boom"_s);
        QCOMPARE(failed->at(0).attempts, 8);
        QCOMPARE(outbox.recent(10, u"pending"_s)->size(), 1);
        QCOMPARE(outbox.recent(0).error().kind(), Error::Kind::InvalidRequest);
        QCOMPARE(outbox.recent(10, u"bogus"_s).error().kind(), Error::Kind::InvalidRequest);

        auto one = outbox.entry(b);
        QVERIFY(one);
        QCOMPARE(one->subject, u"second"_s);
        QCOMPARE(outbox.entry(999'999).error().kind(), Error::Kind::NotFound);

        QVERIFY(outbox.retry(b));
        auto retried = outbox.entry(b);
        QCOMPARE(retried->status, u"pending"_s);
        QCOMPARE(retried->attempts, 0);
        QCOMPARE(retried->lastError, u"boom"_s); // the history stays visible
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE id = %1 AND next_attempt_at <= now()"_s.arg(b)),
                 qint64(1));
        QCOMPARE(outbox.retry(a).error().kind(), Error::Kind::Conflict); // sent
        QCOMPARE(outbox.retry(c).error().kind(), Error::Kind::Conflict); // already waiting
        QCOMPARE(outbox.retry(999'999).error().kind(), Error::Kind::NotFound);
    }

    // --- The message on the wire ------------------------------------------------------

    void formatsAnRfc5322Message()
    {
        const Mailbox from{u"Café \"Zum Löwen\""_s, u"shop@bücher.example"_s};
        const QDateTime date(QDate(2026, 11, 24), QTime(1, 58, 7), Qt::UTC);
        Message m{u"ann@example.com"_s, u"Ihre Bestellung – Größe ✓ 🎉 "_s + QString(60, u'ü'),
                  u"Line one\nLine with trailing space \n.\n..dots\n"_s + QString(1200, u'a') + u"\nEnde ✓"_s,
                  u"order"_s};
        const QByteArray raw = formatMessage(m, from, date, "<id-1@example>");
        QVERIFY(crlfOnly(raw));
        const qsizetype split = raw.indexOf("\r\n\r\n");
        QVERIFY(split > 0);
        const QByteArray head = raw.left(split + 2);
        QVERIFY(head.contains("Date: 24 Nov 2026 01:58:07 +0000\r\n"));
        QVERIFY(head.contains("To: <ann@example.com>\r\n"));
        QVERIFY(head.contains("<shop@xn--bcher-kva.example>\r\n")); // IDN as A-labels
        QVERIFY(head.contains("From: =?UTF-8?B?"));
        QVERIFY(head.contains("Message-ID: <id-1@example>\r\n"));
        QVERIFY(head.contains("MIME-Version: 1.0\r\n"));
        QVERIFY(head.contains("Content-Type: text/plain; charset=utf-8\r\n"));
        QVERIFY(head.contains("Content-Transfer-Encoding: quoted-printable\r\n"));
        // Nothing outside ASCII in the headers; no line longer than RFC 2047 allows.
        QVERIFY(std::all_of(head.cbegin(), head.cend(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; }));
        static const QRegularExpression word(u"=\\?UTF-8\\?B\\?[A-Za-z0-9+/=]*\\?="_s);
        auto it = word.globalMatch(QString::fromLatin1(head));
        int words = 0;
        while (it.hasNext()) {
            QVERIFY(it.next().capturedLength() <= 75);
            ++words;
        }
        QVERIFY(words > 3); // the subject was split
        // Quoted-printable lines stay within 76 characters.
        const QList<QByteArray> bodyLines = raw.mid(split + 4).split('\n');
        for (const QByteArray &line : bodyLines)
            QVERIFY2(line.size() <= 77, line.constData()); // 76 + the CR

        // Plain short-lined ASCII goes as 7bit, unchanged.
        const QByteArray plain = formatMessage(message(u"Welcome"_s), Mailbox{{}, u"a@b.example"_s}, date, "<x@y>");
        QVERIFY(plain.contains("Subject: Welcome\r\n"));
        QVERIFY(plain.contains("From: <a@b.example>\r\n"));
        QVERIFY(plain.contains("Content-Transfer-Encoding: 7bit\r\n"));
        QVERIFY(plain.endsWith("\r\n\r\nHello,\r\nthis is a test.\r\n"));
        // An ASCII subject that looks like an encoded word is encoded, not trusted.
        QVERIFY(encodeHeaderText(u"=?UTF-8?B?SGk=?="_s).startsWith("=?UTF-8?B?"));
        // A display name with specials is quoted.
        QVERIFY(formatMessage(message(u"x"_s), Mailbox{u"Shop, Inc."_s, u"a@b.example"_s}, date, "<x@y>")
                    .contains("From: \"Shop, Inc.\" <a@b.example>\r\n"));
    }

    void quotedPrintable_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected");
        QTest::addRow("plain") << QByteArray("abc") << QByteArray("abc");
        QTest::addRow("equals") << QByteArray("a=b") << QByteArray("a=3Db");
        QTest::addRow("utf-8") << QByteArray("\xc3\xa4") << QByteArray("=C3=A4");
        QTest::addRow("trailing space") << QByteArray("a \nb") << QByteArray("a=20\r\nb");
        QTest::addRow("trailing tab") << QByteArray("a\t") << QByteArray("a=09");
        QTest::addRow("inner space") << QByteArray("a b") << QByteArray("a b");
        QTest::addRow("soft break") << QByteArray(80, 'x')
                                    << QByteArray(75, 'x') + QByteArray("=\r\n") + QByteArray(5, 'x');
        QTest::addRow("no split inside =XX") << QByteArray(74, 'x') + QByteArray("\xc3\xa4")
                                             << QByteArray(74, 'x') + QByteArray("=\r\n=C3=A4");
    }

    void quotedPrintable()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        QCOMPARE(mail::quotedPrintable(input), expected);
    }

    void parsesTheSender_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("address");
        QTest::addRow("bare") << u"shop@example.com"_s << true << QString() << u"shop@example.com"_s;
        QTest::addRow("named") << u"ShopDesk <no-reply@localhost>"_s << true << u"ShopDesk"_s << u"no-reply@localhost"_s;
        QTest::addRow("quoted") << u"\"Shop, Inc.\" <a@b.example>"_s << true << u"Shop, Inc."_s << u"a@b.example"_s;
        QTest::addRow("no address") << u"ShopDesk <>"_s << false << QString() << QString();
        QTest::addRow("injection") << u"Shop\r\nBcc: x@y.example <a@b.example>"_s << false << QString() << QString();
        QTest::addRow("garbage") << u"not an address"_s << false << QString() << QString();
    }

    void parsesTheSender()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(QString, name);
        QFETCH(QString, address);
        const auto box = parseMailbox(text);
        QCOMPARE(box.has_value(), valid);
        if (valid) {
            QCOMPARE(box->name, name);
            QCOMPARE(box->address, address);
        }
    }

    void senderDeliversWhatTheSinkDecodes_data()
    {
        QTest::addColumn<QString>("subject");
        QTest::addColumn<QString>("body");
        QTest::addColumn<QByteArray>("encoding");
        QTest::addRow("ascii") << u"Your order #1042"_s << u"Thanks!\nSee you.\n"_s << QByteArray("7bit");
        QTest::addRow("utf-8") << u"Ihre Bestellung – Größe ✓ 🎉"_s
                               << u"Grüße aus dem Laden ✓\r\nZweite Zeile\n"_s << QByteArray("quoted-printable");
        QTest::addRow("dots in 7bit") << u"Dots"_s << u".\n..two\n.leading\nend"_s << QByteArray("7bit");
        QTest::addRow("dots and long lines")
            << u"Dots"_s << u".\n..two\n.leading\n"_s + QString(2000, u'y') + u"\nend\n"_s
            << QByteArray("quoted-printable");
        QTest::addRow("long utf-8 subject") << QString(100, u'ß') << u"x\n"_s << QByteArray("7bit");
    }

    void senderDeliversWhatTheSinkDecodes()
    {
        QFETCH(QString, subject);
        QFETCH(QString, body);
        QFETCH(QByteArray, encoding);
        SmtpSender sender(sinkSmtp(*m_sink));
        const Message m{u"ann@example.com"_s, subject, body, u"test"_s};
        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
        auto sent = sender.send(m);
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message()));
        QTRY_COMPARE_WITH_TIMEOUT(m_sink->count(), 1, 5000);
        const test::ReceivedMail got = m_sink->messages().at(0);

        QCOMPARE(got.mailFrom, u"shop@example.test"_s);
        QCOMPARE(got.rcptTo, QStringList{u"ann@example.com"_s});
        QVERIFY2(got.defects.isEmpty(), qPrintable(got.defects.join(u"; "_s)));
        QVERIFY(crlfOnly(got.raw));
        QCOMPARE(got.header("From"), QByteArray("ShopDesk Test <shop@example.test>"));
        QCOMPARE(got.header("To"), QByteArray("<ann@example.com>"));
        QCOMPARE(got.header("MIME-Version"), QByteArray("1.0"));
        QCOMPARE(got.header("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        QCOMPARE(got.header("Content-Transfer-Encoding"), encoding);
        QCOMPARE(got.header("Auto-Submitted"), QByteArray("auto-generated"));
        QVERIFY(QRegularExpression(u"^<[0-9a-f-]{36}@example\\.test>$"_s)
                    .match(QString::fromLatin1(got.header("Message-ID"))).hasMatch());
        const QDateTime date = QDateTime::fromString(QString::fromLatin1(got.header("Date")), Qt::RFC2822Date);
        QVERIFY2(date.isValid() && date >= before && date <= QDateTime::currentDateTimeUtc().addSecs(1),
                 got.header("Date").constData());
        // Decoded by another implementation, the words and the body come back whole.
        QCOMPARE(got.subject, subject);
        // (Python keeps the message's CRLF line ends in the decoded text.)
        QString expected = body;
        expected.replace(u"\r\n"_s, u"\n"_s);
        expected.replace(u"\n"_s, u"\r\n"_s);
        if (!expected.endsWith(u"\r\n"_s))
            expected += u"\r\n"_s; // the last line is ended too
        QCOMPARE(got.text, expected);
        if (!subject.contains(u'ß') && !subject.contains(u'✓'))
            QCOMPARE(got.header("Subject"), subject.toLatin1());
        else
            QVERIFY(got.header("Subject").startsWith("=?UTF-8?B?"));
    }

    void senderReportsPermanentAndTemporaryFailures()
    {
        SmtpSender sender(sinkSmtp(*m_sink));
        auto refused = sender.send(message(u"Hi"_s, u"reject-me@example.com"_s));
        QVERIFY(!refused);
        QVERIFY(isPermanentFailure(refused.error()));
        QVERIFY2(refused.error().message().contains(u"550"_s), qPrintable(refused.error().message()));

        SmtpOptions down = sinkSmtp(*m_sink);
        down.url = u"smtp://127.0.0.1:%1"_s.arg(closedPort());
        auto unreachable = SmtpSender(down).send(message(u"Hi"_s));
        QVERIFY(!unreachable);
        QVERIFY(!isPermanentFailure(unreachable.error()));
        QCOMPARE(unreachable.error().kind(), Error::Kind::Unavailable);
        QVERIFY(!unreachable.error().message().isEmpty());

        auto injected = sender.send(message(u"Hi\r\nBcc: all@example.com"_s));
        QVERIFY(!injected);
        QVERIFY(isPermanentFailure(injected.error()));
        QCOMPARE(m_sink->count(), 0);
    }

    // --- STARTTLS and AUTH --------------------------------------------------------------

    void starttlsRequiredWithTheServersCa()
    {
        test::SmtpSink tlsSink({.startTls = true, .requireStartTls = true, .user = u"shop"_s,
                                .password = u"s3cret pass"_s, .delayMs = 0});
        QVERIFY2(tlsSink.start(), qPrintable(tlsSink.errorString()));
        SmtpOptions o = sinkSmtp(tlsSink);
        o.startTls = SmtpOptions::StartTls::Required;
        o.caFile = tlsSink.caFile();
        o.username = u"shop"_s;
        o.password = u"s3cret pass"_s;

        auto sent = SmtpSender(o).send(message(u"Over TLS ✓"_s));
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message()));
        QTRY_COMPARE_WITH_TIMEOUT(tlsSink.count(), 1, 5000);
        const auto got = tlsSink.messages().at(0);
        QVERIFY(got.tls);
        QCOMPARE(got.authUser, u"shop"_s);
        QCOMPARE(got.subject, u"Over TLS ✓"_s);

        // Opportunistic upgrades too when the server offers it.
        o.startTls = SmtpOptions::StartTls::Opportunistic;
        QVERIFY(SmtpSender(o).send(message(u"try"_s)));
        QTRY_COMPARE_WITH_TIMEOUT(tlsSink.count(), 2, 5000);
        QVERIFY(tlsSink.messages().at(1).tls);

        // Without the CA the self-signed certificate is not trusted: nothing is sent.
        SmtpOptions untrusted = o;
        untrusted.startTls = SmtpOptions::StartTls::Required;
        untrusted.caFile.clear();
        auto refused = SmtpSender(untrusted).send(message(u"untrusted"_s));
        QVERIFY(!refused);
        QVERIFY(!isPermanentFailure(refused.error()));

        // Wrong password: not sent, and a configuration problem, so worth retrying later.
        SmtpOptions wrong = o;
        wrong.password = u"nope"_s;
        auto denied = SmtpSender(wrong).send(message(u"denied"_s));
        QVERIFY(!denied);
        QVERIFY(!isPermanentFailure(denied.error()));

        // STARTTLS off against a server that requires it: refused, not permanent.
        SmtpOptions clear = o;
        clear.startTls = SmtpOptions::StartTls::Off;
        auto plain = SmtpSender(clear).send(message(u"clear"_s));
        QVERIFY(!plain);
        QVERIFY(!isPermanentFailure(plain.error()));
        QCOMPARE(tlsSink.count(), 2);
    }

    void starttlsRequiredRefusesAServerWithoutIt()
    {
        SmtpOptions o = sinkSmtp(*m_sink);
        o.startTls = SmtpOptions::StartTls::Required;
        auto sent = SmtpSender(o).send(message(u"must not travel in clear"_s));
        QVERIFY(!sent);
        QCOMPARE(sent.error().kind(), Error::Kind::Unavailable);
        QCOMPARE(m_sink->count(), 0);
    }

    // --- The dispatcher ------------------------------------------------------------------

    void retryDelay_data()
    {
        QTest::addColumn<int>("attempts");
        QTest::addColumn<int>("seconds");
        QTest::addRow("first failure") << 1 << 60;
        QTest::addRow("second") << 2 << 120;
        QTest::addRow("sixth") << 6 << 1920;
        QTest::addRow("capped") << 7 << 3600;
        QTest::addRow("far past") << 40 << 3600;
    }

    void retryDelay()
    {
        QFETCH(int, attempts);
        QFETCH(int, seconds);
        QCOMPARE(OutboxDispatcher::retryDelay(attempts, OutboxDispatcher::Options{}).count(), qint64(seconds));
    }

    void dispatcherWithoutSmtpLeavesMessagesPending()
    {
        enqueueOne(message(u"waits"_s));
        OutboxDispatcher dispatcher(*m_db, dispatcherOptions(SmtpOptions{}));
        QVERIFY(!dispatcher.start());
        QVERIFY(!dispatcher.isRunning());
        dispatcher.wake(); // harmless
        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 0);
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'pending' AND attempts = 0"_s), qint64(1));
    }

    void dispatcherDeliversAndMarksSent()
    {
        for (int i = 0; i < 3; ++i)
            enqueueOne(message(u"Queued %1"_s.arg(i)));
        auto options = dispatcherOptions(sinkSmtp(*m_sink));
        options.pollIntervalMs = 60'000; // only the start and wake() may trigger a pass here
        OutboxDispatcher dispatcher(*m_db, options);
        QList<qint64> delivered;
        connect(&dispatcher, &OutboxDispatcher::delivered, this, [&](qint64 id) { delivered.append(id); },
                Qt::QueuedConnection);
        QVERIFY(dispatcher.start());
        QVERIFY(dispatcher.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'sent' AND sent_at IS NOT NULL"
                   " AND attempts = 1 AND last_error = ''"_s),
            qint64(3), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 3, 5000);
        QCOMPARE(m_sink->count(), 3);

        // A new message while idle: wake() sends it long before the next poll.
        enqueueOne(message(u"After wake"_s));
        dispatcher.wake();
        QTRY_COMPARE_WITH_TIMEOUT(m_sink->count(), 4, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'sent'"_s), qint64(4),
                                  5000);
        QStringList subjects;
        for (const auto &m : m_sink->messages())
            subjects.append(m.subject);
        subjects.sort();
        QCOMPARE(subjects, (QStringList{u"After wake"_s, u"Queued 0"_s, u"Queued 1"_s, u"Queued 2"_s}));

        dispatcher.stop();
        QVERIFY(!dispatcher.isRunning());
        dispatcher.stop(); // twice is fine
    }

    void unreachableServerIsRetriedWithBackoffThenGivenUp()
    {
        const qint64 id = enqueueOne(message(u"Unlucky"_s));
        SmtpOptions down = sinkSmtp(*m_sink);
        down.url = u"smtp://127.0.0.1:%1"_s.arg(closedPort());
        OutboxDispatcher dispatcher(*m_db, dispatcherOptions(down));
        QList<bool> gaveUp;
        connect(&dispatcher, &OutboxDispatcher::deliveryFailed, this,
                [&](qint64, const QString &, bool final) { gaveUp.append(final); }, Qt::QueuedConnection);

        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 1);
        Outbox outbox(*m_db);
        auto e = outbox.entry(id);
        QVERIFY(e);
        QCOMPARE(e->status, u"pending"_s);
        QCOMPARE(e->attempts, 1);
        QVERIFY2(e->lastError.startsWith(u"SMTP delivery failed"_s), qPrintable(e->lastError));
        // Rescheduled 30 s * 2^1 from now.
        const qint64 wait = scalar(
            u"SELECT extract(epoch FROM next_attempt_at - now())::bigint FROM email_outbox WHERE id = %1"_s.arg(id));
        QVERIFY2(wait >= 55 && wait <= 61, qPrintable(QString::number(wait)));
        // Not due yet: the next pass leaves it alone.
        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 0);
        QCOMPARE(outbox.entry(id)->attempts, 1);

        // The last allowed attempt fails too: the message is given up.
        exec(u"UPDATE email_outbox SET attempts = 7, next_attempt_at = now() WHERE id = %1"_s.arg(id));
        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 1);
        e = outbox.entry(id);
        QCOMPARE(e->status, u"failed"_s);
        QCOMPARE(e->attempts, 8);
        QTRY_COMPARE_WITH_TIMEOUT(gaveUp, (QList<bool>{false, true}), 5000);

        // The admin retries once the server is back.
        QVERIFY(outbox.retry(id));
        OutboxDispatcher working(*m_db, dispatcherOptions(sinkSmtp(*m_sink)));
        QCOMPARE(working.dispatchDue().value_or(-1), 1);
        e = outbox.entry(id);
        QCOMPARE(e->status, u"sent"_s);
        QCOMPARE(e->attempts, 1);
        QTRY_COMPARE_WITH_TIMEOUT(m_sink->count(), 1, 5000);
    }

    void permanentRefusalFailsAtOnce()
    {
        const qint64 id = enqueueOne(message(u"No such user"_s, u"reject@example.com"_s));
        OutboxDispatcher dispatcher(*m_db, dispatcherOptions(sinkSmtp(*m_sink)));
        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 1);
        auto e = Outbox(*m_db).entry(id);
        QCOMPARE(e->status, u"failed"_s);
        QCOMPARE(e->attempts, 1);
        QVERIFY2(e->lastError.contains(u"550"_s), qPrintable(e->lastError));
    }

    void lockedRowsAreSkippedNotWaitedFor()
    {
        for (int i = 0; i < 5; ++i)
            enqueueOne(message(u"Row %1"_s.arg(i)));
        // Another session holds two rows (as another instance's claim would).
        db::Database other(poolOptions(m_connection));
        auto conn = other.acquire();
        QVERIFY(conn);
        auto tx = std::make_unique<db::Transaction>(*conn);
        QVERIFY(tx->begin());
        auto lock = conn->query(u"SELECT id FROM email_outbox ORDER BY id LIMIT 2 FOR UPDATE"_s);
        QVERIFY(lock.exec());

        OutboxDispatcher dispatcher(*m_db, dispatcherOptions(sinkSmtp(*m_sink)));
        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 3);
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'pending' AND attempts = 0"
                        " AND id <= 2"_s),
                 qint64(2));
        tx.reset(); // rolls back, releasing the locks
        QCOMPARE(dispatcher.dispatchDue().value_or(-1), 2);
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'sent'"_s), qint64(5));
        QTRY_COMPARE_WITH_TIMEOUT(m_sink->count(), 5, 5000);
    }

    void twoDispatchersNeverSendTheSameRowTwice()
    {
        // A slower server so both dispatchers are busy at once.
        test::SmtpSink slowSink({.startTls = false, .requireStartTls = false, .user = {}, .password = {},
                                 .delayMs = 15});
        QVERIFY2(slowSink.start(), qPrintable(slowSink.errorString()));
        constexpr int Count = 50;
        {
            auto conn = m_db->acquire();
            QVERIFY(conn);
            db::Transaction tx(*conn);
            QVERIFY(tx.begin());
            for (int i = 0; i < Count; ++i)
                QVERIFY(enqueue(*conn, message(u"Message %1"_s.arg(i, 2, 10, QChar(u'0')))));
            QVERIFY(tx.commit());
        }

        // Two instances: each its own pool, as two processes behind a load balancer.
        db::Database dbA(poolOptions(m_connection));
        db::Database dbB(poolOptions(m_connection));
        auto options = dispatcherOptions(sinkSmtp(slowSink));
        options.batchSize = 5;
        OutboxDispatcher a(dbA, options);
        OutboxDispatcher b(dbB, options);
        int byA = 0;
        int byB = 0;
        connect(&a, &OutboxDispatcher::delivered, this, [&] { ++byA; }, Qt::QueuedConnection);
        connect(&b, &OutboxDispatcher::delivered, this, [&] { ++byB; }, Qt::QueuedConnection);
        QVERIFY(a.start());
        QVERIFY(b.start());

        QTRY_COMPARE_WITH_TIMEOUT(scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'sent'"_s),
                                  qint64(Count), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(byA + byB, Count, 5000);
        a.stop();
        b.stop();

        const auto received = slowSink.messages();
        QCOMPARE(received.size(), Count);
        QSet<QString> subjects;
        QSet<QByteArray> ids;
        for (const auto &m : received) {
            subjects.insert(m.subject);
            ids.insert(m.header("Message-ID"));
        }
        QCOMPARE(subjects.size(), Count);
        QCOMPARE(ids.size(), Count);
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE attempts <> 1"_s), qint64(0));
        qInfo("dispatcher A sent %d, B sent %d", byA, byB);
        QVERIFY(byA > 0);
        QVERIFY(byB > 0);
    }

    void stopGivesBackWhatItHasNotSent()
    {
        // A server that answers DATA only after 10 s: stop() must not wait for it (curl
        // looks at the cancel flag about once a second, and once more for QUIT).
        test::SmtpSink slowSink({.startTls = false, .requireStartTls = false, .user = {}, .password = {},
                                 .delayMs = 10'000});
        QVERIFY2(slowSink.start(), qPrintable(slowSink.errorString()));
        for (int i = 0; i < 4; ++i)
            enqueueOne(message(u"Slow %1"_s.arg(i)));
        OutboxDispatcher dispatcher(*m_db, dispatcherOptions(sinkSmtp(slowSink)));
        QVERIFY(dispatcher.start());
        // The batch is claimed: every attempt is counted.
        QTRY_COMPARE_WITH_TIMEOUT(scalar(u"SELECT count(*) FROM email_outbox WHERE attempts = 1"_s), qint64(4),
                                  5000);
        QElapsedTimer timer;
        timer.start();
        dispatcher.stop();
        QVERIFY2(timer.elapsed() < 4000, qPrintable(QString::number(timer.elapsed())));
        // None was sent. The one in flight (if the send had begun) is rescheduled as an
        // interrupted attempt; the rest are due now with their attempt given back.
        QCOMPARE(scalar(u"SELECT count(*) FROM email_outbox WHERE status = 'pending'"_s), qint64(4));
        const qint64 givenBack =
            scalar(u"SELECT count(*) FROM email_outbox WHERE attempts = 0 AND next_attempt_at <= now()"_s);
        const qint64 interrupted =
            scalar(u"SELECT count(*) FROM email_outbox WHERE attempts = 1 AND last_error LIKE '%interrupted%'"_s);
        QVERIFY2(givenBack >= 3 && givenBack + interrupted == 4,
                 qPrintable(u"%1 given back, %2 interrupted"_s.arg(givenBack).arg(interrupted)));
        QCOMPARE(slowSink.count(), 0);
    }

    // --- Configuration -----------------------------------------------------------------

    void configOptions()
    {
        QProcessEnvironment env;
        env.insert(u"SHOPDESK_SMTP_URL"_s, u"smtp://mail.example.com:587"_s);
        env.insert(u"SHOPDESK_SMTP_USER"_s, u"shop"_s);
        env.insert(u"SHOPDESK_SMTP_PASSWORD"_s, u"pa55"_s);
        env.insert(u"SHOPDESK_MAIL_FROM"_s, u"My Shop <shop@example.com>"_s);
        auto config = ConfigLoader::load({u"--smtp-starttls"_s, u"required"_s, u"--smtp-ca-file=/etc/hosts"_s}, env,
                                         {}, u"/tmp/shopdesk-mail-test"_s);
        QVERIFY2(config, config ? "" : qPrintable(config.error().message()));
        QCOMPARE(config->smtpUrl, u"smtp://mail.example.com:587"_s);
        QCOMPARE(config->smtpUser, u"shop"_s);
        QCOMPARE(config->smtpPassword, u"pa55"_s);
        QCOMPARE(config->smtpStartTls, u"required"_s);
        auto smtp = SmtpOptions::fromConfig(*config);
        QVERIFY2(smtp, smtp ? "" : qPrintable(smtp.error().message()));
        QCOMPARE(smtp->startTls, SmtpOptions::StartTls::Required);
        QCOMPARE(smtp->from, u"My Shop <shop@example.com>"_s);
        QCOMPARE(smtp->caFile, u"/etc/hosts"_s);
        QVERIFY(smtp->configured());

        // Defaults: no SMTP, opportunistic STARTTLS, the documented sender.
        auto defaults = ConfigLoader::load({}, {}, {}, u"/tmp/shopdesk-mail-test"_s);
        QVERIFY(defaults);
        auto none = SmtpOptions::fromConfig(*defaults);
        QVERIFY(none);
        QVERIFY(!none->configured());
        QCOMPARE(none->startTls, SmtpOptions::StartTls::Opportunistic);
        QCOMPARE(none->from, u"ShopDesk <no-reply@localhost>"_s);

        // The password is never a flag (it would show in the process list) ...
        QVERIFY(!ConfigLoader::load({u"--smtp-password"_s, u"x"_s}, {}, {}, u"/tmp/x"_s));
        QVERIFY(!ConfigLoader::load({u"--"_s, u"x"_s}, {}, {}, u"/tmp/x"_s));
        QVERIFY(!ConfigLoader::usage().contains(u"--smtp-password"_s));
        QVERIFY(ConfigLoader::usage().contains(u"SHOPDESK_SMTP_PASSWORD"_s));
        // ... and bad values are refused with the option's name.
        auto badTls = ConfigLoader::load({u"--smtp-starttls"_s, u"maybe"_s}, {}, {}, u"/tmp/x"_s);
        QVERIFY(!badTls);
        QVERIFY(badTls.error().message().contains(u"smtp-starttls"_s));
        Config bad = *defaults;
        bad.smtpUrl = u"http://user:secret@example.com"_s;
        auto badUrl = SmtpOptions::fromConfig(bad);
        QVERIFY(!badUrl);
        QVERIFY(!badUrl.error().message().contains(u"secret"_s)); // never echoed
        bad = *defaults;
        bad.mailFrom = u"nobody"_s;
        QVERIFY(!SmtpOptions::fromConfig(bad));
    }
};

QTEST_GUILESS_MAIN(TestMail)
#include "tst_mail.moc"
