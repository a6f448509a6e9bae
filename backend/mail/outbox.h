#pragma once

#include "core/result.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace shop::db {
class Connection;
class Database;
} // namespace shop::db

namespace shop::mail {

// One message the shop sends: plain UTF-8 text to a single address.
struct Message
{
    QString to;       // a bare address: "ann@example.com"
    QString subject;
    QString bodyText;
    QString kind;     // what caused it ("reset_password", "verify_email", ...), for the view
};

// A row of email_outbox, for the desktop Outbox view.
struct OutboxEntry
{
    qint64 id = 0;
    QString to;
    QString subject;
    QString body;
    QString kind;
    QString status;       // pending | sent | failed
    int attempts = 0;
    QString lastError;
    QDateTime createdAt;
    QDateTime nextAttemptAt;
    QDateTime sentAt;     // null until sent
};

// Limits enforced before a message is stored.
inline constexpr int MaxSubjectLength = 255;   // characters; far below RFC 5322's 998-octet line
inline constexpr int MaxBodyBytes = 256 * 1024;
inline constexpr int MaxKindLength = 64;

// The NOTIFY channel enqueue() and Outbox::retry() signal on, delivered when the
// transaction commits: a dispatcher listening there wakes at once instead of at its
// next poll.
inline constexpr auto NotifyChannel = "shopdesk_outbox";

// Why `address` cannot be used as a recipient or sender (empty when it can): a bare
// addr-spec, one "@", a dot-atom local part in ASCII, a domain of letters, digits and
// hyphens (internationalised domains allowed).
QString addressProblem(const QString &address);

// Refuses what must never reach a header: CR or LF anywhere in the address or the
// subject (header injection, CWE-93), any other control character, an address that is
// not exactly one local part, one "@" and one domain (RFC 5321 4.5.3.1 lengths), a
// local part outside ASCII (it would need SMTPUTF8), an over-long subject or body.
Status validate(const Message &message);

// Stores the message in email_outbox on `conn`, inside the caller's transaction when
// one is open, so the message exists exactly when the change that caused it does (a
// password-reset token and its email commit or roll back together).
Status enqueue(db::Connection &conn, const Message &message);

// Reads and nudges the outbox for the admin views.
class Outbox
{
public:
    explicit Outbox(db::Database &database);

    // Newest first; statusFilter is pending, sent or failed (nullopt: all).
    Result<QList<OutboxEntry>> recent(int limit, std::optional<QString> statusFilter = std::nullopt);
    Result<OutboxEntry> entry(qint64 id);
    // A failed (or waiting pending) message becomes due now with a fresh attempt count;
    // a sent one is a Conflict.
    Status retry(qint64 id);
    // enqueue() in a transaction of its own.
    Status enqueue(const Message &message);

private:
    db::Database &m_database;
};

} // namespace shop::mail
