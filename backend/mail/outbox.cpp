#include "outbox.h"

#include "core/logging.h"
#include "db/database.h"

#include <QUrl>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace shop::mail {

namespace {

constexpr auto EntryColumns = "id, to_address, subject, body_text, kind, status, attempts, last_error,"
                              " created_at, next_attempt_at, sent_at";

OutboxEntry readEntry(const db::Query &q)
{
    OutboxEntry e;
    e.id = q.value(0).toLongLong();
    e.to = q.value(1).toString();
    e.subject = q.value(2).toString();
    e.body = q.value(3).toString();
    e.kind = q.value(4).toString();
    e.status = q.value(5).toString();
    e.attempts = int(q.value(6).toLongLong());
    e.lastError = q.value(7).toString();
    e.createdAt = q.value(8).toDateTime();
    e.nextAttemptAt = q.value(9).toDateTime();
    e.sentAt = q.value(10).toDateTime();
    return e;
}

// C0 controls, DEL and C1 controls: nothing a header or an address may carry raw.
bool hasControl(QStringView text)
{
    return std::any_of(text.begin(), text.end(), [](QChar c) {
        const char16_t u = c.unicode();
        return u < 0x20 || (u >= 0x7f && u <= 0x9f);
    });
}

// RFC 5322 3.2.3 atext, plus the dots of a dot-atom.
bool isAtext(QChar c)
{
    if (c.unicode() > 0x7e)
        return false;
    return c.isLetterOrNumber() || u"!#$%&'*+-/=?^_`{|}~"_s.contains(c);
}

} // namespace

QString addressProblem(const QString &address)
{
    if (address.isEmpty())
        return u"An email address is required"_s;
    if (hasControl(address))
        return u"The address must not contain line breaks or control characters"_s;
    if (address.count(u'@') != 1)
        return u"The address must contain exactly one @"_s;
    const qsizetype at = address.indexOf(u'@');
    const QString local = address.left(at);
    const QString domain = address.mid(at + 1);
    // RFC 5321 4.5.3.1.1 and 4.5.3.1.2.
    if (local.isEmpty() || local.size() > 64)
        return u"The part before @ must be 1 to 64 characters"_s;
    if (domain.isEmpty() || domain.size() > 253 || address.size() > 254)
        return u"The address is too long"_s;
    if (local.startsWith(u'.') || local.endsWith(u'.') || local.contains(u".."_s))
        return u"The part before @ is not valid"_s;
    for (const QChar c : local) {
        if (c != u'.' && !isAtext(c))
            return u"The part before @ may use only letters, digits and . ! # $ % & ' * + - / = ? ^ _ ` { | } ~"_s;
    }
    const QStringList labels = domain.split(u'.');
    for (const QString &label : labels) {
        if (label.isEmpty() || label.startsWith(u'-') || label.endsWith(u'-'))
            return u"The domain is not valid"_s;
        for (const QChar c : label) {
            // Non-ASCII letters (and their marks) are checked by the IDNA conversion below.
            if (c.isSpace() || (c.unicode() < 0x80 && !c.isLetterOrNumber() && c != u'-'))
                return u"The domain is not valid"_s;
        }
    }
    // An internationalised domain travels as its A-labels (RFC 5890); it must have one.
    if (QUrl::toAce(domain).isEmpty())
        return u"The domain is not valid"_s;
    return {};
}

Status validate(const Message &message)
{
    Error error(Error::Kind::Validation, u"The message cannot be sent"_s);
    if (const QString problem = addressProblem(message.to); !problem.isEmpty())
        error.withField(u"to"_s, problem);
    if (message.subject.trimmed().isEmpty())
        error.withField(u"subject"_s, u"A subject is required"_s);
    else if (hasControl(message.subject))
        error.withField(u"subject"_s, u"The subject must not contain line breaks or control characters"_s);
    else if (message.subject.size() > MaxSubjectLength)
        error.withField(u"subject"_s, u"The subject must be at most %1 characters"_s.arg(MaxSubjectLength));
    if (message.bodyText.contains(QChar(0)))
        error.withField(u"body"_s, u"The body must not contain NUL characters"_s);
    else if (message.bodyText.toUtf8().size() > MaxBodyBytes)
        error.withField(u"body"_s, u"The body must be at most %1 bytes"_s.arg(MaxBodyBytes));
    if (message.kind.size() > MaxKindLength || hasControl(message.kind))
        error.withField(u"kind"_s, u"The kind must be a short word"_s);
    if (!error.fields().isEmpty())
        return fail(error);
    return {};
}

Status enqueue(db::Connection &conn, const Message &message)
{
    if (auto ok = validate(message); !ok)
        return ok;
    // The NOTIFY is queued with the row and delivered only if the transaction commits.
    auto q = conn.query(u"WITH m AS (INSERT INTO email_outbox (to_address, subject, body_text, kind)"
                        " VALUES (:to, :subject, :body, :kind) RETURNING id)"
                        " SELECT id, pg_notify(:channel, id::text) FROM m"_s);
    q.bind(u":to"_s, message.to);
    q.bind(u":subject"_s, message.subject);
    q.bind(u":body"_s, message.bodyText);
    q.bind(u":kind"_s, message.kind);
    q.bind(u":channel"_s, QString::fromLatin1(NotifyChannel));
    if (auto ok = q.exec(); !ok) {
        qCWarning(lcMail) << "could not queue a" << message.kind << "message";
        return ok;
    }
    if (q.next())
        qCDebug(lcMail) << "queued message" << q.value(0).toLongLong() << "kind" << message.kind;
    return {};
}

Outbox::Outbox(db::Database &database) : m_database(database) {}

Result<QList<OutboxEntry>> Outbox::recent(int limit, std::optional<QString> statusFilter)
{
    if (limit < 1 || limit > 10'000)
        return fail(Error::invalid(u"limit must be 1 to 10000"_s));
    static const QStringList statuses = {u"pending"_s, u"sent"_s, u"failed"_s};
    if (statusFilter && !statuses.contains(*statusFilter))
        return fail(Error::invalid(u"status must be pending, sent or failed"_s));
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    // Both orders walk email_outbox_created_idx.
    auto q = conn->query(u"SELECT "_s + QLatin1StringView(EntryColumns) + u" FROM email_outbox"_s
                         + (statusFilter ? u" WHERE status = :status"_s : QString())
                         + u" ORDER BY created_at DESC, id DESC LIMIT :limit"_s);
    if (statusFilter)
        q.bind(u":status"_s, *statusFilter);
    q.bind(u":limit"_s, limit);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    QList<OutboxEntry> entries;
    entries.reserve(q.size());
    while (q.next())
        entries.append(readEntry(q));
    return entries;
}

Result<OutboxEntry> Outbox::entry(qint64 id)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    auto q = conn->query(u"SELECT "_s + QLatin1StringView(EntryColumns) + u" FROM email_outbox WHERE id = :id"_s);
    q.bind(u":id"_s, id);
    if (auto ok = q.exec(); !ok)
        return std::unexpected(ok.error());
    if (!q.next())
        return fail(Error::notFound(u"No such message"_s));
    return readEntry(q);
}

Status Outbox::retry(qint64 id)
{
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    // Only a failed row: a pending one may be in a sender's hands right now (its
    // next_attempt_at is that sender's lease), and making it due would send it twice.
    auto q = conn->query(u"UPDATE email_outbox SET status = 'pending', attempts = 0, next_attempt_at = now()"
                         " WHERE id = :id AND status = 'failed' RETURNING pg_notify(:channel, id::text)"_s);
    q.bind(u":id"_s, id);
    q.bind(u":channel"_s, QString::fromLatin1(NotifyChannel));
    if (auto ok = q.exec(); !ok)
        return ok;
    if (q.rowsAffected() == 1) {
        qCInfo(lcMail) << "message" << id << "queued again";
        return {};
    }
    auto status = conn->query(u"SELECT status FROM email_outbox WHERE id = :id"_s);
    status.bind(u":id"_s, id);
    if (auto ok = status.exec(); !ok)
        return ok;
    if (!status.next())
        return fail(Error::notFound(u"No such message"_s));
    return fail(Error(Error::Kind::Conflict, status.value(0).toString() == "sent"_L1
                                                 ? u"This message was already sent"_s
                                                 : u"This message is already waiting to be sent"_s));
}

Status Outbox::enqueue(const Message &message)
{
    if (auto ok = validate(message); !ok)
        return ok;
    auto conn = m_database.acquire();
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return ok;
    if (auto ok = mail::enqueue(*conn, message); !ok)
        return ok;
    return tx.commit();
}

} // namespace shop::mail
