#include "smtpsender.h"

#include "core/config.h"
#include "core/logging.h"

#include <QFileInfo>
#include <QUrl>
#include <QUuid>

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

using namespace Qt::StringLiterals;

namespace shop::mail {

namespace {

// RFC 5322 2.1.1: a line is at most 998 octets before its CRLF.
constexpr qsizetype MaxLineOctets = 998;
// RFC 2045 6.7 (5): encoded lines are at most 76 characters, the soft break's "=" included.
constexpr int QpLineChars = 75;
// RFC 2047 2: an encoded word is at most 75 characters; "=?UTF-8?B?" and "?=" take 12,
// leaving 63 for base64, i.e. 45 octets of text (a multiple of 3: no padding inside).
constexpr qsizetype EncodedWordOctets = 45;

bool isPlainAscii(QStringView text)
{
    return std::all_of(text.begin(), text.end(), [](QChar c) { return c.unicode() >= 0x20 && c.unicode() < 0x7f; });
}

bool isAtextOrSpace(QChar c)
{
    return c.unicode() < 0x7f && (c.isLetterOrNumber() || c == u' ' || u"!#$%&'*+-/=?^_`{|}~"_s.contains(c));
}

// The address with its domain in A-labels, as it goes into headers and the envelope.
QByteArray asciiAddress(const QString &address)
{
    const qsizetype at = address.lastIndexOf(u'@');
    return address.left(at).toLatin1() + '@' + QUrl::toAce(address.mid(at + 1));
}

// RFC 5322 3.2.5 phrase: atoms as they are, other ASCII quoted, anything else as
// RFC 2047 encoded words (5 (3): allowed in a phrase).
QByteArray displayName(const QString &name)
{
    if (!isPlainAscii(name) || name.contains(u"=?"_s))
        return encodeHeaderText(name);
    if (std::all_of(name.begin(), name.end(), isAtextOrSpace))
        return name.toLatin1();
    QByteArray quoted = "\"";
    for (const QChar c : name) {
        if (c == u'"' || c == u'\\')
            quoted += '\\';
        quoted += char(c.unicode());
    }
    return quoted + '"';
}

// Body text as lines of UTF-8, whatever the newline convention it came with.
QList<QByteArray> bodyLines(const QString &text)
{
    QString normalized = text;
    normalized.replace(u"\r\n"_s, u"\n"_s);
    normalized.replace(u'\r', u'\n');
    QList<QByteArray> lines = normalized.toUtf8().split('\n');
    if (lines.size() > 1 && lines.constLast().isEmpty())
        lines.removeLast(); // the text's own final newline
    return lines;
}

size_t readChunk(char *buffer, size_t size, size_t count, void *userData)
{
    auto *upload = static_cast<std::pair<const QByteArray *, qsizetype> *>(userData);
    const qsizetype left = upload->first->size() - upload->second;
    const qsizetype n = qMin(left, qsizetype(size * count));
    memcpy(buffer, upload->first->constData() + upload->second, size_t(n));
    upload->second += n;
    return size_t(n);
}

int progress(void *flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    return static_cast<const std::atomic<bool> *>(flag)->load() ? 1 : 0;
}

struct CurlDeleter
{
    void operator()(CURL *curl) const { curl_easy_cleanup(curl); }
    void operator()(curl_slist *list) const { curl_slist_free_all(list); }
};

void initCurl()
{
    // curl_global_init is not thread-safe in every build: once, before any handle.
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

std::optional<SmtpOptions::StartTls> SmtpOptions::parseStartTls(QStringView text)
{
    const QString s = text.trimmed().toString().toLower();
    if (s == "off"_L1)
        return StartTls::Off;
    if (s == "try"_L1 || s == "opportunistic"_L1)
        return StartTls::Opportunistic;
    if (s == "required"_L1)
        return StartTls::Required;
    return std::nullopt;
}

Result<SmtpOptions> SmtpOptions::fromConfig(const Config &config)
{
    SmtpOptions o;
    o.url = config.smtpUrl.trimmed();
    o.username = config.smtpUser;
    o.password = config.smtpPassword;
    o.from = config.mailFrom.trimmed();
    o.caFile = config.smtpCaFile;
    const auto tls = parseStartTls(config.smtpStartTls);
    if (!tls)
        return fail(Error::invalid(u"smtp-starttls must be off, try or required"_s));
    o.startTls = *tls;
    if (!parseMailbox(o.from))
        return fail(Error::invalid(u"mail-from: \"%1\" is not an address like \"Shop <shop@example.com>\""_s.arg(o.from)));
    if (!o.url.isEmpty()) {
        const QUrl url(o.url);
        if (!url.isValid() || (url.scheme() != "smtp"_L1 && url.scheme() != "smtps"_L1) || url.host().isEmpty())
            return fail(Error::invalid(u"smtp-url: \"%1\" is not smtp://host[:port] or smtps://host[:port]"_s
                                           .arg(o.redactedUrl())));
    }
    if (!o.caFile.isEmpty() && !QFileInfo(o.caFile).isReadable())
        return fail(Error::invalid(u"smtp-ca-file: %1 cannot be read"_s.arg(o.caFile)));
    return o;
}

QString SmtpOptions::redactedUrl() const
{
    return QUrl(url).toString(QUrl::RemoveUserInfo);
}

std::optional<Mailbox> parseMailbox(const QString &text)
{
    const QString t = text.trimmed();
    Mailbox box;
    if (t.endsWith(u'>')) {
        const qsizetype open = t.lastIndexOf(u'<');
        if (open < 0)
            return std::nullopt;
        box.address = t.mid(open + 1, t.size() - open - 2).trimmed();
        QString name = t.left(open).trimmed();
        if (name.size() >= 2 && name.startsWith(u'"') && name.endsWith(u'"')) {
            name = name.mid(1, name.size() - 2);
            name.replace(u"\\\""_s, u"\""_s);
            name.replace(u"\\\\"_s, u"\\"_s);
        }
        box.name = name;
    } else {
        box.address = t;
    }
    if (!addressProblem(box.address).isEmpty())
        return std::nullopt;
    // The name goes into the From header: no line breaks or other controls.
    const bool control = std::any_of(box.name.cbegin(), box.name.cend(), [](QChar c) {
        return c.unicode() < 0x20 || (c.unicode() >= 0x7f && c.unicode() <= 0x9f);
    });
    if (control)
        return std::nullopt;
    return box;
}

QByteArray encodeHeaderText(const QString &text)
{
    if (isPlainAscii(text) && !text.contains(u"=?"_s))
        return text.toLatin1();
    QList<QByteArray> words;
    QByteArray chunk;
    for (qsizetype i = 0; i < text.size();) {
        // One whole character (a surrogate pair stays together).
        const qsizetype n = (text.at(i).isHighSurrogate() && i + 1 < text.size()) ? 2 : 1;
        const QByteArray bytes = text.mid(i, n).toUtf8();
        i += n;
        if (chunk.size() + bytes.size() > EncodedWordOctets) {
            words.append(chunk);
            chunk.clear();
        }
        chunk += bytes;
    }
    if (!chunk.isEmpty())
        words.append(chunk);
    QByteArray out;
    for (const QByteArray &w : std::as_const(words)) {
        if (!out.isEmpty())
            out += "\r\n "; // folding between encoded words is not part of the text (RFC 2047 6.2)
        out += "=?UTF-8?B?" + w.toBase64() + "?=";
    }
    return out;
}

QByteArray quotedPrintable(const QByteArray &utf8Text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    QByteArray out;
    const QList<QByteArray> lines = utf8Text.split('\n');
    for (qsizetype l = 0; l < lines.size(); ++l) {
        const QByteArray &line = lines.at(l);
        int column = 0;
        for (qsizetype i = 0; i < line.size(); ++i) {
            const auto b = static_cast<unsigned char>(line.at(i));
            const bool last = i == line.size() - 1;
            char token[3];
            int length = 1;
            // Whitespace at the end of a line would be stripped in transit: encode it.
            if ((b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !last)) {
                token[0] = char(b);
            } else {
                token[0] = '=';
                token[1] = hex[b >> 4];
                token[2] = hex[b & 0xf];
                length = 3;
            }
            if (column + length > QpLineChars) {
                out += "=\r\n";
                column = 0;
            }
            out.append(token, length);
            column += length;
        }
        if (l + 1 < lines.size())
            out += "\r\n";
    }
    return out;
}

QByteArray formatMessage(const Message &message, const Mailbox &from, const QDateTime &date,
                         const QByteArray &messageId)
{
    const QList<QByteArray> lines = bodyLines(message.bodyText);
    const bool sevenBit = std::all_of(lines.cbegin(), lines.cend(), [](const QByteArray &line) {
        return line.size() <= MaxLineOctets
               && std::all_of(line.cbegin(), line.cend(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    });

    QByteArray out;
    out += "Date: " + date.toUTC().toString(Qt::RFC2822Date).toLatin1() + "\r\n";
    out += "From: ";
    if (!from.name.isEmpty())
        out += displayName(from.name) + ' ';
    out += '<' + asciiAddress(from.address) + ">\r\n";
    out += "To: <" + asciiAddress(message.to) + ">\r\n";
    out += "Subject: " + encodeHeaderText(message.subject) + "\r\n";
    out += "Message-ID: " + messageId + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    // RFC 3834: machine-generated; auto-responders must not answer it.
    out += "Auto-Submitted: auto-generated\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: " + QByteArray(sevenBit ? "7bit" : "quoted-printable") + "\r\n";
    out += "\r\n";
    if (sevenBit) {
        for (const QByteArray &line : lines)
            out += line + "\r\n";
    } else {
        out += quotedPrintable(lines.join('\n')) + "\r\n";
    }
    return out;
}

SmtpSender::SmtpSender(SmtpOptions options) : m_options(std::move(options))
{
    initCurl();
}

Status SmtpSender::send(const Message &message)
{
    if (!m_options.configured())
        return fail(Error::unavailable(u"no SMTP server is configured"_s));
    if (auto ok = validate(message); !ok)
        return ok;
    const auto from = parseMailbox(m_options.from);
    if (!from)
        return fail(Error::unavailable(u"the sender address (mail-from) is not valid"_s));

    const QByteArray domain = QUrl::toAce(from->address.mid(from->address.lastIndexOf(u'@') + 1));
    const QByteArray messageId =
        '<' + QUuid::createUuid().toString(QUuid::WithoutBraces).toLatin1() + '@' + domain + '>';
    const QByteArray data = formatMessage(message, *from, QDateTime::currentDateTimeUtc(), messageId);
    std::pair<const QByteArray *, qsizetype> upload{&data, 0};

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl)
        return fail(Error::internal(u"curl_easy_init failed"_s));
    const QByteArray url = m_options.url.toUtf8();
    const QByteArray mailFrom = '<' + asciiAddress(from->address) + '>';
    const QByteArray rcpt = '<' + asciiAddress(message.to) + '>';
    std::unique_ptr<curl_slist, CurlDeleter> recipients(curl_slist_append(nullptr, rcpt.constData()));
    char errorText[CURL_ERROR_SIZE] = {};

    CURL *h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.constData());
    // Only mail: a mistyped URL must not make this an HTTP or FILE client.
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mailFrom.constData());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, readChunk);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(data.size()));
    long useSsl = CURLUSESSL_TRY;
    switch (m_options.startTls) {
    case SmtpOptions::StartTls::Off:
        useSsl = CURLUSESSL_NONE;
        break;
    case SmtpOptions::StartTls::Opportunistic:
        useSsl = CURLUSESSL_TRY;
        break;
    case SmtpOptions::StartTls::Required:
        useSsl = CURLUSESSL_ALL;
        break;
    }
    curl_easy_setopt(h, CURLOPT_USE_SSL, useSsl);
    const QByteArray caFile = QFile::encodeName(m_options.caFile);
    if (!caFile.isEmpty())
        curl_easy_setopt(h, CURLOPT_CAINFO, caFile.constData());
    const QByteArray user = m_options.username.toUtf8();
    const QByteArray password = m_options.password.toUtf8();
    if (!user.isEmpty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, user.constData());
        curl_easy_setopt(h, CURLOPT_PASSWORD, password.constData());
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(m_options.timeoutMs));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(m_options.timeoutMs));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); // threads: no SIGALRM for DNS timeouts
    // One connection per message, closed within perform(): an aborted transfer then
    // does not wait in curl_easy_cleanup() for the server to answer QUIT.
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errorText);
    if (m_cancel) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool> *>(m_cancel));
    }

    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        return {};

    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    QString detail = QString::fromUtf8(errorText).trimmed();
    if (detail.isEmpty())
        detail = QString::fromUtf8(curl_easy_strerror(rc));
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        detail = u"interrupted: the sender is shutting down"_s;
        reply = 0; // the last reply (354 to DATA) says nothing about the outcome
    }
    QString text = u"SMTP delivery failed: "_s + detail;
    if (reply > 0 && !detail.contains(QString::number(reply)))
        text += u" (server reply %1)"_s.arg(reply);
    // A 5yz reply is a permanent refusal (RFC 5321 4.2.1), except those that say our
    // configuration is wrong (530 TLS or auth required, 535 bad credentials): fixing
    // the configuration makes a retry succeed.
    const bool permanent = reply >= 500 && reply <= 599 && reply != 530 && reply != 534 && reply != 535
                           && reply != 538 && rc != CURLE_LOGIN_DENIED && rc != CURLE_USE_SSL_FAILED;
    qCWarning(lcMail).noquote() << text << "via" << m_options.redactedUrl();
    return fail(Error(permanent ? Error::Kind::Validation : Error::Kind::Unavailable, text));
}

} // namespace shop::mail
