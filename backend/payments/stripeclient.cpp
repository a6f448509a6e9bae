#include "stripeclient.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QUrl>

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

using namespace Qt::StringLiterals;

namespace shop::payments {

namespace {

Q_LOGGING_CATEGORY(lcStripe, "shop.payments")

constexpr qsizetype MaxReplyBytes = 1 << 20;
constexpr int RetryAfterSeconds = 5;

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

size_t collect(char *data, size_t size, size_t count, void *userData)
{
    auto *out = static_cast<QByteArray *>(userData);
    const size_t n = size * count;
    if (out->size() + qsizetype(n) > MaxReplyBytes)
        return 0; // far more than any answer we ask for: abort the transfer
    out->append(data, qsizetype(n));
    return n;
}

// Stripe's error messages can quote the key that was refused ("Invalid API Key
// provided: sk_test_****1234"); no key, whole or in part, goes into a log line or an
// Error.
QString masked(QString text, const QByteArray &secretKey)
{
    if (!secretKey.isEmpty())
        text.replace(QString::fromUtf8(secretKey), u"[redacted]"_s);
    static const QRegularExpression keys(u"\\b(sk|rk|pk|whsec)_[A-Za-z0-9_*]+"_s);
    text.replace(keys, u"\\1_[redacted]"_s);
    return text;
}

QString text(const QJsonObject &o, const QString &key)
{
    return o.value(key).toString();
}

// Metadata values are at most 500 characters, keys 40 (Stripe's limits).
FormFields metadataFields(const FormFields &metadata)
{
    FormFields out;
    for (const auto &[key, value] : metadata)
        out.append({u"metadata["_s + key.left(40) + u']', value.left(500)});
    return out;
}

Error invalidKey()
{
    return Error(Error::Kind::InvalidRequest, u"Idempotency keys are 1 to 255 printable characters"_s);
}

bool validKey(const QString &key)
{
    return !key.isEmpty() && key.size() <= 255
           && std::all_of(key.cbegin(), key.cend(), [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
}

} // namespace

QString PaymentIntent::metadataValue(const QString &key) const
{
    for (const auto &[k, v] : metadata) {
        if (k == key)
            return v;
    }
    return {};
}

PaymentIntent PaymentIntent::fromJson(const QJsonObject &o)
{
    PaymentIntent intent;
    intent.id = text(o, u"id"_s);
    intent.amount = o.value(u"amount"_s).toInteger();
    intent.amountReceived = o.value(u"amount_received"_s).toInteger();
    intent.currency = text(o, u"currency"_s);
    intent.status = text(o, u"status"_s);
    intent.clientSecret = text(o, u"client_secret"_s);
    const QJsonObject metadata = o.value(u"metadata"_s).toObject();
    for (auto it = metadata.begin(); it != metadata.end(); ++it)
        intent.metadata.append({it.key(), it.value().toVariant().toString()});
    return intent;
}

StripeClient::StripeClient(Options options) : m_options(std::move(options))
{
    while (m_options.apiBase.endsWith(u'/'))
        m_options.apiBase.chop(1);
    if (m_options.apiBase.isEmpty())
        m_options.apiBase = u"https://api.stripe.com"_s;
    const QUrl base(m_options.apiBase);
    if (base.scheme() == "http"_L1 && base.host() != "127.0.0.1"_L1 && base.host() != "localhost"_L1
        && base.host() != "::1"_L1)
        qCWarning(lcStripe).noquote() << "the Stripe API base" << base.toString(QUrl::RemoveUserInfo)
                                      << "is plain HTTP: the secret key travels unencrypted";
}

QByteArray StripeClient::formEncode(const FormFields &fields)
{
    QByteArray out;
    for (const auto &[key, value] : fields) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(key, "[]") + '=' + QUrl::toPercentEncoding(value);
    }
    return out;
}

Error StripeClient::errorFor(int httpStatus, const QByteArray &body, const QByteArray &secretKey)
{
    const QJsonObject error = QJsonDocument::fromJson(body).object().value(u"error"_s).toObject();
    const QString code = text(error, u"code"_s);
    const QString message = masked(text(error, u"message"_s), secretKey);
    QString detail = message.isEmpty() ? u"HTTP %1"_s.arg(httpStatus) : message;
    if (!code.isEmpty())
        detail += u" (%1)"_s.arg(code);

    if (httpStatus == 0 || httpStatus == 429 || httpStatus >= 500)
        return Error(Error::Kind::Unavailable, u"The payment service is unavailable; try again shortly"_s,
                     u"PAYMENT_PROVIDER_UNAVAILABLE"_s)
            .withRetryAfter(RetryAfterSeconds);
    if (httpStatus == 401 || httpStatus == 403)
        // The shop's key is wrong or lacks a permission: the operator's problem, not the
        // shopper's; the detail goes to the log only.
        return Error(Error::Kind::Internal, u"The shop's payment settings were refused by the payment service"_s,
                     u"PAYMENT_PROVIDER_MISCONFIGURED"_s);
    if (httpStatus == 404)
        return Error(Error::Kind::NotFound, u"The payment service does not know this payment: "_s + detail,
                     u"PAYMENT_NOT_FOUND"_s);
    return Error(Error::Kind::Conflict, u"The payment service refused: "_s + detail, u"PAYMENT_PROVIDER_REFUSED"_s);
}

Result<QJsonObject> StripeClient::call(const QByteArray &method, const QString &path, const QByteArray &form,
                                       const QString &idempotencyKey)
{
    if (m_options.secretKey.isEmpty())
        return fail(Error(Error::Kind::Unavailable, u"Stripe is not configured (STRIPE_SECRET_KEY)"_s,
                          u"PAYMENT_PROVIDER_MISCONFIGURED"_s));
    initCurl();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl)
        return fail(Error::internal(u"curl_easy_init failed"_s));
    CURL *h = curl.get();

    const QByteArray url = (m_options.apiBase + path).toUtf8();
    const QByteArray authorization = "Authorization: Bearer " + m_options.secretKey;
    const QByteArray userAgent = "User-Agent: ShopDesk/" + QCoreApplication::applicationVersion().toLatin1();
    curl_slist *list = nullptr;
    list = curl_slist_append(list, authorization.constData());
    list = curl_slist_append(list, "Accept: application/json");
    list = curl_slist_append(list, userAgent.constData());
    // Expect: 100-continue would cost a round trip on every POST for nothing.
    list = curl_slist_append(list, "Expect:");
    QByteArray versionHeader;
    if (!m_options.stripeVersion.isEmpty()) {
        versionHeader = "Stripe-Version: " + m_options.stripeVersion;
        list = curl_slist_append(list, versionHeader.constData());
    }
    QByteArray keyHeader;
    if (method == "POST") {
        keyHeader = "Idempotency-Key: " + idempotencyKey.toLatin1();
        list = curl_slist_append(list, keyHeader.constData());
        list = curl_slist_append(list, "Content-Type: application/x-www-form-urlencoded");
    }
    std::unique_ptr<curl_slist, CurlDeleter> headers(list);

    QByteArray body;
    char errorText[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.constData());
    // Only HTTP(S), and no redirects: the key must go nowhere but the API base.
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (method == "POST") {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.constData());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(form.size()));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(m_options.connectTimeoutMs));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(m_options.timeoutMs));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errorText);

    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        QString detail = QString::fromUtf8(errorText).trimmed();
        if (detail.isEmpty())
            detail = QString::fromUtf8(curl_easy_strerror(rc));
        qCWarning(lcStripe).noquote() << method << path << "failed:" << masked(detail, m_options.secretKey);
        return fail(errorFor(0, {}, m_options.secretKey));
    }
    if (status < 200 || status > 299) {
        Error error = errorFor(int(status), body, m_options.secretKey);
        const QJsonObject stripeError = QJsonDocument::fromJson(body).object().value(u"error"_s).toObject();
        qCWarning(lcStripe).noquote() << method << path << "answered" << status
                                      << text(stripeError, u"type"_s) << text(stripeError, u"code"_s)
                                      << masked(text(stripeError, u"message"_s), m_options.secretKey)
                                      << "request id" << text(stripeError, u"request_log_url"_s);
        return fail(error);
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        qCWarning(lcStripe).noquote() << method << path << "answered" << status << "with something other than JSON";
        return fail(errorFor(0, {}, m_options.secretKey));
    }
    qCDebug(lcStripe).noquote() << method << path << status;
    return document.object();
}

Result<PaymentIntent> StripeClient::createPaymentIntent(qint64 amountCents, const QString &currency,
                                                        const FormFields &metadata, const QString &idempotencyKey)
{
    if (!validKey(idempotencyKey))
        return fail(invalidKey());
    if (amountCents <= 0)
        return fail(Error(Error::Kind::InvalidRequest, u"A payment needs an amount above zero"_s));
    FormFields fields{{u"amount"_s, QString::number(amountCents)}, {u"currency"_s, currency.trimmed().toLower()}};
    // Whatever payment methods the shop turned on in its Stripe dashboard.
    fields.append({u"automatic_payment_methods[enabled]"_s, u"true"_s});
    fields.append(metadataFields(metadata));
    auto reply = call("POST", u"/v1/payment_intents"_s, formEncode(fields), idempotencyKey);
    if (!reply)
        return std::unexpected(reply.error());
    PaymentIntent intent = PaymentIntent::fromJson(*reply);
    if (!intent.id.startsWith("pi_"_L1) || intent.clientSecret.isEmpty())
        return fail(errorFor(0, {}, m_options.secretKey));
    return intent;
}

Result<PaymentIntent> StripeClient::retrievePaymentIntent(const QString &id)
{
    static const QRegularExpression shape(u"^pi_[A-Za-z0-9_]{1,250}$"_s);
    if (!shape.match(id).hasMatch())
        return fail(Error(Error::Kind::InvalidRequest, u"Not a PaymentIntent id"_s));
    auto reply = call("GET", u"/v1/payment_intents/"_s + id, {}, {});
    if (!reply)
        return std::unexpected(reply.error());
    PaymentIntent intent = PaymentIntent::fromJson(*reply);
    if (intent.id != id)
        return fail(errorFor(0, {}, m_options.secretKey));
    return intent;
}

Result<Refund> StripeClient::createRefund(const QString &paymentIntent, qint64 amountCents, const QString &reason,
                                          const FormFields &metadata, const QString &idempotencyKey)
{
    if (!validKey(idempotencyKey))
        return fail(invalidKey());
    if (!paymentIntent.startsWith("pi_"_L1))
        return fail(Error(Error::Kind::InvalidRequest, u"Not a PaymentIntent id"_s));
    if (amountCents <= 0)
        return fail(Error(Error::Kind::InvalidRequest, u"A refund needs an amount above zero"_s));
    // Stripe's own `reason` is an enum (duplicate, fraudulent, requested_by_customer);
    // the admin's words go into metadata, where the Stripe dashboard shows them.
    FormFields all = metadata;
    if (!reason.isEmpty())
        all.append({u"reason"_s, reason});
    FormFields fields{{u"payment_intent"_s, paymentIntent}, {u"amount"_s, QString::number(amountCents)}};
    fields.append(metadataFields(all));
    auto reply = call("POST", u"/v1/refunds"_s, formEncode(fields), idempotencyKey);
    if (!reply)
        return std::unexpected(reply.error());
    Refund refund;
    refund.id = text(*reply, u"id"_s);
    refund.amount = reply->value(u"amount"_s).toInteger();
    refund.status = text(*reply, u"status"_s);
    refund.paymentIntent = text(*reply, u"payment_intent"_s);
    if (!refund.id.startsWith("re_"_L1))
        return fail(errorFor(0, {}, m_options.secretKey));
    return refund;
}

} // namespace shop::payments
