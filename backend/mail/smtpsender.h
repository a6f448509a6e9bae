#pragma once

#include "core/result.h"
#include "outbox.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <atomic>
#include <optional>

namespace shop {
struct Config;
}

namespace shop::mail {

struct SmtpOptions
{
    enum class StartTls {
        Off,           // never upgrade: CURLUSESSL_NONE
        Opportunistic, // upgrade when the server offers it: CURLUSESSL_TRY
        Required,      // refuse to send unless the upgrade succeeds: CURLUSESSL_ALL
    };

    QString url;      // smtp://host:587 or smtps://host:465; empty: no delivery
    QString username; // empty: no AUTH
    QString password;
    QString from = QStringLiteral("ShopDesk <no-reply@localhost>"); // "Name <addr>" or "addr"
    StartTls startTls = StartTls::Opportunistic;
    QString caFile;   // PEM bundle; empty: the system's
    int timeoutMs = 30'000; // one whole message, connect to final reply

    bool configured() const { return !url.isEmpty(); }

    // The --smtp-* and --mail-from settings, checked (scheme, sender address, STARTTLS).
    static Result<SmtpOptions> fromConfig(const Config &config);
    static std::optional<StartTls> parseStartTls(QStringView text); // off | try | required
    // The URL without any user:password it may carry, for logs.
    QString redactedUrl() const;
};

// A sender split into its display name and its address: "Shop <a@b>" -> {"Shop", "a@b"}.
struct Mailbox
{
    QString name;
    QString address;
};
std::optional<Mailbox> parseMailbox(const QString &text);

// The RFC 5322 message for `message`: Date, From, To, Subject (RFC 2047 encoded words
// when it is not plain ASCII), Message-ID, MIME-Version, Auto-Submitted (RFC 3834),
// Content-Type text/plain; charset=utf-8, and a body in 7bit when it is short-lined
// ASCII, else quoted-printable (RFC 2045 6.7), so it passes servers without 8BITMIME.
// Every line ends in CRLF. Dot-stuffing is curl's (it is done on the wire).
QByteArray formatMessage(const Message &message, const Mailbox &from, const QDateTime &date,
                         const QByteArray &messageId);

// RFC 2047 "B" encoded words for a header value that is not plain ASCII (folded into
// words of at most 75 characters, never splitting a character); plain ASCII unchanged.
QByteArray encodeHeaderText(const QString &text);
QByteArray quotedPrintable(const QByteArray &utf8Text);

// Delivers one message per send() through libcurl's SMTP client. Blocking; use it
// from a worker thread. One instance per thread.
class SmtpSender
{
public:
    explicit SmtpSender(SmtpOptions options);

    // Failures: Error::Kind::Unavailable means try again later (no connection, TLS
    // failure, timeout, a 4yz reply, a refused login); Error::Kind::Validation means the
    // server refused this message for good (a 5yz reply to MAIL, RCPT or DATA,
    // RFC 5321 4.2.1). The message is the server's or curl's text, for the admin.
    Status send(const Message &message);

    // When the flag turns true, a transfer in progress is aborted (used at shutdown).
    void setCancelFlag(const std::atomic<bool> *flag) { m_cancel = flag; }

    const SmtpOptions &options() const { return m_options; }

private:
    SmtpOptions m_options;
    const std::atomic<bool> *m_cancel = nullptr;
};

inline bool isPermanentFailure(const Error &error)
{
    return error.kind() == Error::Kind::Validation;
}

} // namespace shop::mail
