#include "fakestripe.h"

#include "payments/stripesignature.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutexLocker>
#include <QRandomGenerator>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace shop::test {

namespace {

QByteArray reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Request Failed";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    default: return "Error";
    }
}

QMap<QString, QString> decodeForm(const QByteArray &body)
{
    QMap<QString, QString> out;
    for (const QByteArray &pair : body.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray key = eq < 0 ? pair : pair.left(eq);
        QByteArray value = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        key.replace('+', ' ');
        value.replace('+', ' ');
        out.insert(QString::fromUtf8(QByteArray::fromPercentEncoding(key)),
                   QString::fromUtf8(QByteArray::fromPercentEncoding(value)));
    }
    return out;
}

QJsonObject metadataOf(const QMap<QString, QString> &form)
{
    QJsonObject metadata;
    for (auto it = form.cbegin(); it != form.cend(); ++it) {
        if (it.key().startsWith("metadata["_L1) && it.key().endsWith(u']'))
            metadata.insert(it.key().mid(9, it.key().size() - 10), it.value());
    }
    return metadata;
}

bool readAll(int fd, QByteArray &buffer, int timeoutMs)
{
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0)
        return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0)
        return false;
    buffer.append(chunk, qsizetype(n));
    return true;
}

void sendAll(int fd, const QByteArray &bytes)
{
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        sent += n;
    }
}

} // namespace

FakeStripe::FakeStripe(QByteArray secretKey, QByteArray webhookSecret)
    : m_secretKey(std::move(secretKey)), m_webhookSecret(std::move(webhookSecret))
{}

FakeStripe::~FakeStripe()
{
    stop();
}

bool FakeStripe::start()
{
    m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listenFd < 0)
        return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(m_listenFd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 || ::listen(m_listenFd, 128) != 0)
        return false;
    socklen_t length = sizeof sa;
    if (::getsockname(m_listenFd, reinterpret_cast<sockaddr *>(&sa), &length) != 0)
        return false;
    m_port = ntohs(sa.sin_port);
    m_thread = std::thread([this] { serve(); });
    return true;
}

void FakeStripe::stop()
{
    m_stopping = true;
    if (m_thread.joinable())
        m_thread.join();
    if (m_listenFd >= 0)
        ::close(m_listenFd);
    m_listenFd = -1;
}

QString FakeStripe::baseUrl() const
{
    return u"http://127.0.0.1:%1"_s.arg(m_port);
}

void FakeStripe::serve()
{
    while (!m_stopping) {
        pollfd p{m_listenFd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        handle(fd);
        ::close(fd);
    }
}

void FakeStripe::handle(int fd)
{
    QByteArray buffer;
    qsizetype headerEnd = -1;
    while ((headerEnd = buffer.indexOf("\r\n\r\n")) < 0) {
        if (!readAll(fd, buffer, 5000) || buffer.size() > 65536)
            return;
    }
    Recorded request;
    const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    request.method = requestLine.value(0);
    request.path = requestLine.value(1);
    qsizetype contentLength = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        request.headers.insert(name, value);
        if (name == "content-length")
            contentLength = value.toLongLong();
    }
    request.body = buffer.mid(headerEnd + 4);
    while (request.body.size() < contentLength) {
        if (!readAll(fd, request.body, 5000))
            return;
    }
    request.body.truncate(contentLength);
    request.form = decodeForm(request.body);

    const Answer answer = route(request);
    const QByteArray body = QJsonDocument(answer.body).toJson(QJsonDocument::Compact);
    QByteArray head = "HTTP/1.1 " + QByteArray::number(answer.status) + ' ' + reason(answer.status)
                      + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
                      + "\r\nConnection: close\r\nRequest-Id: req_fake" + QByteArray::number(request.body.size()) + "\r\n";
    if (answer.replayed)
        head += "Idempotent-Replayed: true\r\n";
    sendAll(fd, head + "\r\n" + body);
}

FakeStripe::Answer FakeStripe::stripeError(int status, const QString &type, const QString &code, const QString &message,
                                           const QString &param)
{
    QJsonObject error{{u"type"_s, type}, {u"message"_s, message}};
    if (!code.isEmpty())
        error.insert(u"code"_s, code);
    if (!param.isEmpty())
        error.insert(u"param"_s, param);
    return Answer{status, QJsonObject{{u"error"_s, error}}, false};
}

QString FakeStripe::newId(const char *prefix)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    QString id = QString::fromLatin1(prefix) + u"_3Fake"_s + QString::number(++m_sequence);
    for (int i = 0; i < 12; ++i)
        id += QLatin1Char(alphabet[QRandomGenerator::global()->bounded(int(sizeof alphabet - 1))]);
    return id;
}

FakeStripe::Answer FakeStripe::route(Recorded &request)
{
    QMutexLocker lock(&m_mutex);
    Answer answer;
    const QByteArray authorization = request.headers.value("authorization");
    if (!m_failures.isEmpty()) {
        answer = m_failures.takeFirst();
    } else if (authorization != "Bearer " + m_secretKey) {
        answer = stripeError(401, u"invalid_request_error"_s, {},
                             u"Invalid API Key provided: %1"_s.arg(QString::fromLatin1(
                                 authorization.mid(7, 8) + "****" + authorization.right(4))));
    } else if (request.method == "POST") {
        const QByteArray key = request.headers.value("idempotency-key");
        const QByteArray fingerprint = request.path + '\n' + request.body;
        if (!key.isEmpty() && m_idempotency.contains(key)) {
            const auto &[seenBody, seenAnswer] = m_idempotency.value(key);
            if (seenBody == fingerprint) {
                answer = seenAnswer;
                answer.replayed = true;
            } else {
                answer = stripeError(400, u"idempotency_error"_s, {},
                                     u"Keys for idempotent requests can only be used with the same parameters they "
                                     u"were first used with."_s);
            }
        } else {
            if (request.path == "/v1/payment_intents")
                answer = createIntent(request);
            else if (request.path == "/v1/refunds")
                answer = createRefund(request);
            else
                answer = stripeError(404, u"invalid_request_error"_s, {},
                                     u"Unrecognized request URL (POST: %1)."_s.arg(QString::fromLatin1(request.path)));
            if (!key.isEmpty() && answer.status < 500)
                m_idempotency.insert(key, {fingerprint, answer});
        }
    } else if (request.method == "GET" && request.path.startsWith("/v1/payment_intents/")) {
        const QString id = QString::fromLatin1(request.path.mid(20));
        if (m_intents.contains(id))
            answer.body = m_intents.value(id);
        else
            answer = stripeError(404, u"invalid_request_error"_s, u"resource_missing"_s,
                                 u"No such payment_intent: '%1'"_s.arg(id), u"intent"_s);
    } else {
        answer = stripeError(404, u"invalid_request_error"_s, {}, u"Unrecognized request URL."_s);
    }
    request.status = answer.status;
    m_requests.append(request);
    return answer;
}

FakeStripe::Answer FakeStripe::createIntent(const Recorded &request)
{
    bool ok = false;
    const qint64 amount = request.form.value(u"amount"_s).toLongLong(&ok);
    if (!ok || amount < 1)
        return stripeError(400, u"invalid_request_error"_s, u"parameter_missing"_s, u"Missing required param: amount."_s,
                           u"amount"_s);
    const QString currency = request.form.value(u"currency"_s);
    if (currency.size() != 3 || currency != currency.toLower())
        return stripeError(400, u"invalid_request_error"_s, u"parameter_invalid_empty"_s,
                           u"Invalid currency: %1."_s.arg(currency), u"currency"_s);
    const QString id = newId("pi");
    QString secret = id + u"_secret_"_s;
    for (int i = 0; i < 24; ++i)
        secret += QLatin1Char(char('a' + QRandomGenerator::global()->bounded(26)));
    const QJsonObject intent{
        {u"id"_s, id},
        {u"object"_s, u"payment_intent"_s},
        {u"amount"_s, amount},
        {u"amount_received"_s, 0},
        {u"currency"_s, currency},
        {u"status"_s, u"requires_payment_method"_s},
        {u"client_secret"_s, secret},
        {u"metadata"_s, metadataOf(request.form)},
        {u"description"_s, request.form.value(u"description"_s)},
        {u"created"_s, QDateTime::currentSecsSinceEpoch()},
        {u"livemode"_s, false},
        {u"latest_charge"_s, QJsonValue::Null},
        {u"last_payment_error"_s, QJsonValue::Null},
        {u"cancellation_reason"_s, QJsonValue::Null},
        {u"automatic_payment_methods"_s,
         QJsonObject{{u"enabled"_s, request.form.value(u"automatic_payment_methods[enabled]"_s) == "true"_L1}}},
    };
    m_intents.insert(id, intent);
    return Answer{200, intent, false};
}

FakeStripe::Answer FakeStripe::createRefund(const Recorded &request)
{
    const QString intentId = request.form.value(u"payment_intent"_s);
    if (!m_intents.contains(intentId))
        return stripeError(400, u"invalid_request_error"_s, u"resource_missing"_s,
                           u"No such payment_intent: '%1'"_s.arg(intentId), u"payment_intent"_s);
    const QJsonObject intent = m_intents.value(intentId);
    if (intent.value(u"status"_s).toString() != "succeeded"_L1)
        return stripeError(400, u"invalid_request_error"_s, u"charge_not_refundable"_s,
                           u"This PaymentIntent does not have a successful charge to refund."_s, u"payment_intent"_s);
    qint64 refunded = 0;
    for (const QJsonObject &r : m_refunds.value(intentId))
        refunded += r.value(u"amount"_s).toInteger();
    const qint64 left = intent.value(u"amount_received"_s).toInteger() - refunded;
    qint64 amount = left;
    if (request.form.contains(u"amount"_s))
        amount = request.form.value(u"amount"_s).toLongLong();
    if (amount < 1 || amount > left)
        return stripeError(400, u"invalid_request_error"_s, u"amount_too_large"_s,
                           u"Refund amount (%1) is greater than unrefunded amount on charge (%2)"_s.arg(amount).arg(left),
                           u"amount"_s);
    const QJsonObject refund{
        {u"id"_s, newId("re")},
        {u"object"_s, u"refund"_s},
        {u"amount"_s, amount},
        {u"currency"_s, intent.value(u"currency"_s)},
        {u"payment_intent"_s, intentId},
        {u"charge"_s, intent.value(u"latest_charge"_s)},
        {u"status"_s, u"succeeded"_s},
        {u"reason"_s, QJsonValue::Null},
        {u"metadata"_s, metadataOf(request.form)},
        {u"created"_s, QDateTime::currentSecsSinceEpoch()},
    };
    m_refunds[intentId].append(refund);
    return Answer{200, refund, false};
}

QList<FakeStripe::Recorded> FakeStripe::requests(const QByteArray &method, const QByteArray &pathPrefix) const
{
    QMutexLocker lock(&m_mutex);
    QList<Recorded> out;
    for (const Recorded &r : m_requests) {
        if ((method.isEmpty() || r.method == method) && r.path.startsWith(pathPrefix))
            out.append(r);
    }
    return out;
}

void FakeStripe::clearRequests()
{
    QMutexLocker lock(&m_mutex);
    m_requests.clear();
}

std::optional<QJsonObject> FakeStripe::intent(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    if (!m_intents.contains(id))
        return std::nullopt;
    return m_intents.value(id);
}

int FakeStripe::intentCount() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_intents.size());
}

QJsonObject FakeStripe::succeed(const QString &intentId)
{
    QMutexLocker lock(&m_mutex);
    QJsonObject intent = m_intents.value(intentId);
    intent.insert(u"status"_s, u"succeeded"_s);
    intent.insert(u"amount_received"_s, intent.value(u"amount"_s));
    intent.insert(u"latest_charge"_s, QString(u"ch_"_s + intentId.mid(3)));
    m_intents.insert(intentId, intent);
    return intent;
}

QJsonObject FakeStripe::failPayment(const QString &intentId, const QString &message)
{
    QMutexLocker lock(&m_mutex);
    QJsonObject intent = m_intents.value(intentId);
    intent.insert(u"status"_s, u"requires_payment_method"_s);
    intent.insert(u"last_payment_error"_s,
                  QJsonObject{{u"type"_s, u"card_error"_s}, {u"code"_s, u"card_declined"_s}, {u"message"_s, message}});
    m_intents.insert(intentId, intent);
    return intent;
}

QJsonObject FakeStripe::cancel(const QString &intentId)
{
    QMutexLocker lock(&m_mutex);
    QJsonObject intent = m_intents.value(intentId);
    intent.insert(u"status"_s, u"canceled"_s);
    intent.insert(u"cancellation_reason"_s, u"abandoned"_s);
    m_intents.insert(intentId, intent);
    return intent;
}

QString FakeStripe::refundInDashboard(const QString &intentId, qint64 amount)
{
    QMutexLocker lock(&m_mutex);
    const QJsonObject intent = m_intents.value(intentId);
    const QJsonObject refund{
        {u"id"_s, newId("re")},
        {u"object"_s, u"refund"_s},
        {u"amount"_s, amount},
        {u"currency"_s, intent.value(u"currency"_s)},
        {u"payment_intent"_s, intentId},
        {u"charge"_s, intent.value(u"latest_charge"_s)},
        {u"status"_s, u"succeeded"_s},
        {u"created"_s, QDateTime::currentSecsSinceEpoch()},
    };
    m_refunds[intentId].append(refund);
    return refund.value(u"id"_s).toString();
}

QJsonObject FakeStripe::charge(const QString &intentId, bool withRefunds) const
{
    QMutexLocker lock(&m_mutex);
    const QJsonObject intent = m_intents.value(intentId);
    qint64 refunded = 0;
    QJsonArray refunds;
    const QList<QJsonObject> list = m_refunds.value(intentId);
    for (auto it = list.crbegin(); it != list.crend(); ++it) { // newest first, as Stripe lists them
        refunded += it->value(u"amount"_s).toInteger();
        refunds.append(*it);
    }
    const qint64 amount = intent.value(u"amount_received"_s).toInteger();
    QJsonObject charge{
        {u"id"_s, intent.value(u"latest_charge"_s)},
        {u"object"_s, u"charge"_s},
        {u"amount"_s, amount},
        {u"amount_captured"_s, amount},
        {u"amount_refunded"_s, refunded},
        {u"currency"_s, intent.value(u"currency"_s)},
        {u"payment_intent"_s, intentId},
        {u"paid"_s, true},
        {u"refunded"_s, refunded == amount},
        {u"status"_s, u"succeeded"_s},
        {u"metadata"_s, QJsonObject()},
    };
    if (withRefunds)
        charge.insert(u"refunds"_s, QJsonObject{{u"object"_s, u"list"_s},
                                                 {u"data"_s, refunds},
                                                 {u"has_more"_s, false},
                                                 {u"total_count"_s, refunds.size()}});
    return charge;
}

QJsonObject FakeStripe::event(const QString &type, const QJsonObject &object, qint64 created)
{
    QString id;
    {
        QMutexLocker lock(&m_mutex);
        id = newId("evt");
    }
    return QJsonObject{
        {u"id"_s, id},
        {u"object"_s, u"event"_s},
        {u"api_version"_s, u"2024-06-20"_s},
        {u"created"_s, created > 0 ? created : QDateTime::currentSecsSinceEpoch()},
        {u"data"_s, QJsonObject{{u"object"_s, object}}},
        {u"livemode"_s, false},
        {u"pending_webhooks"_s, 1},
        {u"request"_s, QJsonObject{{u"id"_s, QJsonValue::Null}, {u"idempotency_key"_s, QJsonValue::Null}}},
        {u"type"_s, type},
    };
}

QByteArray FakeStripe::compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray FakeStripe::signatureFor(const QByteArray &body, qint64 timestamp) const
{
    return payments::StripeSignature::header(m_webhookSecret,
                                             timestamp > 0 ? timestamp : QDateTime::currentSecsSinceEpoch(), body);
}

std::optional<RawResponse> FakeStripe::post(quint16 shopPort, const QByteArray &body, const QByteArray &signature)
{
    QByteArray request = "POST /api/webhook/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
                         "Content-Type: application/json; charset=utf-8\r\n";
    if (!signature.isNull())
        request += "Stripe-Signature: " + signature + "\r\n";
    request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    return rawRequest(shopPort, request);
}

std::optional<RawResponse> FakeStripe::deliver(quint16 shopPort, const QJsonObject &event) const
{
    const QByteArray body = compact(event);
    return post(shopPort, body, signatureFor(body));
}

void FakeStripe::failNext(int status, const QString &type, const QString &code, const QString &message, int count)
{
    QMutexLocker lock(&m_mutex);
    for (int i = 0; i < count; ++i)
        m_failures.append(stripeError(status, type, code, message));
}

} // namespace shop::test
