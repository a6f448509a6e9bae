#pragma once

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <utility>

namespace shop::test {

// One message as the sink received it.
struct ReceivedMail
{
    QString mailFrom;                                  // envelope MAIL FROM
    QStringList rcptTo;                                // envelope RCPT TO (accepted ones)
    QByteArray raw;                                    // DATA as received, dot-stuffing undone
    QList<std::pair<QByteArray, QByteArray>> headers;  // in order; values unfolded, still encoded
    QByteArray body;                                   // raw, after the blank line
    // Decoded independently of ShopDesk, by Python's email package (policy.default):
    QString subject;        // RFC 2047 words decoded
    QString text;           // transfer encoding and charset undone
    QStringList defects;    // what that parser found wrong with the message
    bool tls = false;       // the session had switched to TLS (STARTTLS)
    QString authUser;       // the AUTH login, if the client authenticated

    QByteArray header(const QByteArray &name) const;
};

// A real SMTP server on 127.0.0.1 for tests: Debian's python3-aiosmtpd, run as a child
// process that writes every message it accepts to a directory. Recipients whose local
// part starts with "reject" are refused with 550. Optionally offers STARTTLS with a
// self-signed certificate (made with `openssl req`), requires it, and requires AUTH.
class SmtpSink
{
public:
    struct Options
    {
        bool startTls = false;        // offer STARTTLS
        bool requireStartTls = false; // refuse everything but EHLO/STARTTLS/QUIT before it
        QString user;                 // non-empty: AUTH required with this user ...
        QString password;             // ... and password
        int delayMs = 0;              // answer each DATA this much later
    };

    SmtpSink();
    explicit SmtpSink(Options options);
    ~SmtpSink();
    SmtpSink(const SmtpSink &) = delete;
    SmtpSink &operator=(const SmtpSink &) = delete;

    // Starts the server and waits until it accepts connections; QVERIFY2 this with
    // errorString().
    bool start();
    QString errorString() const { return m_error; }

    quint16 port() const { return m_port; }
    QString url() const;         // smtp://127.0.0.1:<port>
    QString caFile() const;      // the server's self-signed certificate (PEM), with startTls

    int count() const;           // messages accepted so far
    QList<ReceivedMail> messages() const; // in the order received
    void clear();                // forgets what was received

private:
    bool fail(const QString &error);

    Options m_options;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace shop::test
