#include "authroutes.h"

#include "auth/authservice.h"
#include "auth/ratelimiter.h"
#include "json.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace shop::http {

namespace {

constexpr auto RefreshCookie = "shopdesk_refresh";

// Per client address: generous enough for a shop's shared office IP, tight enough
// to make guessing slow. Per account (keyed by the normalised email, whether or not
// it exists, so the answer reveals nothing): a dozen, then one every 30 s. For an
// existing account the lockout (5 failures) bites first; this bucket is what slows
// guessing at addresses that have no account, without saying so.
const auth::RateLimiter::Rule AddressRule{20, std::chrono::milliseconds(3000)};
const auth::RateLimiter::Rule AccountRule{12, std::chrono::milliseconds(30'000)};

// Sign-in and password-reset answers leave on a 50 ms grid counted from the request's
// arrival. The work behind them differs by a millisecond or so between a known address
// and an unknown one (a row lock and a counter, a token and a mail); bcrypt's own
// spread is several, and the grid swallows both.
constexpr int TimingQuantumMs = 50;

Status throttle(const AuthRoutesContext *context, const QByteArray &key, const auth::RateLimiter::Rule &rule)
{
    auto decision = context->limiter->take(key, rule);
    if (!decision)
        return std::unexpected(decision.error()); // fail closed: the limiter's store is down
    if (!decision->allowed)
        return fail(Error(Error::Kind::RateLimited, u"Too many attempts; try again later"_s, u"RATE_LIMITED"_s)
                        .withRetryAfter(decision->retryAfterSeconds));
    return {};
}

// A bcrypt route whose rate limits are checked first: on the I/O thread when the
// limiter is in process, so a storm's refusals cost no worker and never queue behind
// the hashing they are there to prevent; else (Redis) on the worker, before `handler`.
// `limits` sees the request's JSON body; a body it cannot use is left to `handler`.
void addThrottled(Router &router, const QString &pattern, const AuthRoutesContext *context,
                  std::function<Status(const Request &, const QJsonObject &)> limits, Handler handler)
{
    auto gate = [limits = std::move(limits)](const Request &request) -> Status {
        auto body = jsonObject(request);
        if (!body)
            return {}; // the handler answers what is wrong with it
        return limits(request, *body);
    };
    if (context->limiter->answersInline()) {
        router.gated("POST", pattern, [gate](const Request &request) -> std::optional<Response> {
            if (auto ok = gate(request); !ok)
                return Response::error(ok.error());
            return std::nullopt;
        }, std::move(handler));
        return;
    }
    router.post(pattern, [gate, handler = std::move(handler)](const Request &request) {
        if (auto ok = gate(request); !ok)
            return Response::error(ok.error());
        return handler(request);
    }, Execution::Worker);
}

auth::ClientInfo clientOf(const AuthRoutesContext *context, const Request &request)
{
    return {context->clientAddress.of(request).toString(), QString::fromUtf8(request.header("user-agent"))};
}

QJsonObject userJson(const auth::User &u)
{
    return QJsonObject{
        {u"id"_s, u.id},
        {u"email"_s, u.email},
        {u"first_name"_s, u.firstName},
        {u"last_name"_s, u.lastName},
        {u"role"_s, u.role},
        {u"email_verified"_s, u.emailVerified},
        {u"totp_enabled"_s, u.totpEnabled},
    };
}

QByteArray cookie(const AuthRoutesContext *context, const QString &value, qint64 maxAge)
{
    // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it;
    // Path: only the auth routes ever see it.
    QByteArray c = QByteArray(RefreshCookie) + '=' + value.toLatin1() + "; Path=/api/auth; HttpOnly; SameSite=Strict"
                   + "; Max-Age=" + QByteArray::number(maxAge);
    if (context->secureCookies)
        c += "; Secure";
    return c;
}

Response sessionResponse(const AuthRoutesContext *context, const auth::Session &s, int status)
{
    Response r = Response::ok(QJsonObject{
                                  {u"user_id"_s, s.user.id}, // seed-compatible
                                  {u"token"_s, s.accessToken}, // seed-compatible
                                  {u"token_type"_s, u"Bearer"_s},
                                  {u"expires_in"_s, qint64(s.accessLifetime.count())},
                                  {u"refresh_token"_s, s.refreshToken},
                                  {u"user"_s, userJson(s.user)},
                              },
                              status);
    r.withHeader("Set-Cookie",
                 cookie(context, s.refreshToken, QDateTime::currentDateTimeUtc().secsTo(s.refreshExpiresAt)));
    r.withHeader("Cache-Control", "no-store");
    return r;
}

QString cookieValue(const Request &request, QByteArrayView name)
{
    for (const auto &[key, value] : request.headers) {
        if (key != "cookie")
            continue;
        for (const QByteArray &part : value.split(';')) {
            const QByteArray item = part.trimmed();
            if (item.startsWith(name) && item.size() > name.size() && item.at(name.size()) == '=')
                return QString::fromLatin1(item.mid(name.size() + 1));
        }
    }
    return {};
}

// The refresh token from the body (API clients) or the cookie (the storefront). The
// cookie route checks Origin against Host: a cross-site POST carrying the cookie is
// refused even in a browser that ignores SameSite (OWASP CSRF cheat sheet).
Result<QString> refreshTokenOf(const Request &request)
{
    if (!request.body.trimmed().isEmpty()) {
        auto body = jsonObject(request);
        if (!body)
            return std::unexpected(body.error());
        const QJsonValue token = body->value(u"refresh_token"_s);
        if (token.isString())
            return token.toString();
    }
    const QString fromCookie = cookieValue(request, RefreshCookie);
    if (fromCookie.isEmpty())
        return fail(Error(Error::Kind::Unauthorized, u"No session to refresh; sign in"_s, u"INVALID_TOKEN"_s));
    const QByteArray origin = request.header("origin");
    const QUrl originUrl(QString::fromLatin1(origin));
    const QString host = QString::fromLatin1(request.header("host"));
    const QString originHost =
        originUrl.port() > 0 ? originUrl.host() + u':' + QString::number(originUrl.port()) : originUrl.host();
    if (origin.isEmpty() || originHost.compare(host, Qt::CaseInsensitive) != 0)
        return fail(Error(Error::Kind::Forbidden, u"Cross-site request refused"_s, u"FORBIDDEN"_s));
    return fromCookie;
}

QString bearer(const Request &request)
{
    const QByteArray header = request.header("authorization");
    if (header.size() > 7 && header.left(7).compare("bearer ", Qt::CaseInsensitive) == 0)
        return QString::fromLatin1(header.mid(7).trimmed());
    return {};
}

Handler signedIn(const AuthRoutesContext *context,
                 std::function<Response(const Request &, const auth::User &)> handler)
{
    return http::signedIn(context->service, std::move(handler));
}

// The one required text field of a small body ({"code": ...}, {"token": ...}).
Result<QString> requiredString(const Request &request, const QString &key, int maxLength)
{
    auto body = jsonObject(request);
    if (!body)
        return std::unexpected(body.error());
    JsonReader in(*body);
    in.require({key});
    const auto value = in.string(key, maxLength);
    if (auto ok = in.status(); !ok)
        return std::unexpected(ok.error());
    return *value;
}

Response noStore(Response r)
{
    r.withHeader("Cache-Control", "no-store");
    return r;
}

} // namespace

QString bearerToken(const Request &request)
{
    return bearer(request);
}

Result<auth::User> signedInUser(auth::AuthService *service, const Request &request)
{
    const QString token = bearer(request);
    if (token.isEmpty())
        return fail(Error(Error::Kind::Unauthorized, u"Sign in to use this"_s, u"UNAUTHORIZED"_s));
    return service->authenticate(token);
}

Handler signedIn(auth::AuthService *service, std::function<Response(const Request &, const auth::User &)> handler)
{
    return [service, handler = std::move(handler)](const Request &request) {
        auto user = signedInUser(service, request);
        if (!user)
            return Response::error(user.error());
        if (!request.param(u"id").isEmpty() && !request.intParam(u"id"))
            return Response::error(Error::notFound(u"Not found"_s));
        return handler(request, *user);
    };
}

AdminGuard tokenGuard(auth::AuthService *service, QStringList roles)
{
    return [service, roles = std::move(roles)](const Request &request) -> Result<Actor> {
        auto user = signedInUser(service, request);
        if (!user)
            return std::unexpected(user.error());
        if (!roles.contains(user->role))
            return fail(Error(Error::Kind::Forbidden, u"Your account may not do this"_s, u"FORBIDDEN"_s));
        if (user->role != "customer"_L1 && !user->totpEnabled) {
            auto required = service->staffTwoFactorRequired();
            if (!required)
                return std::unexpected(required.error());
            if (*required)
                return fail(Error(Error::Kind::Forbidden, u"Turn on two-factor sign-in first (POST /api/auth/2fa/setup)"_s,
                                  u"TOTP_ENROLMENT_REQUIRED"_s));
        }
        return Actor{user->id, user->email, {}};
    };
}

void addAuthRoutes(Router &router, const AuthRoutesContext *context)
{
    addThrottled(router, u"/api/auth/register"_s, context, [context](const Request &request, const QJsonObject &) {
        return throttle(context, "register|" + clientOf(context, request).address.toUtf8(), AddressRule);
    }, [context](const Request &request) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        JsonReader in(*body);
        in.require({u"email"_s, u"password"_s});
        const auto email = in.string(u"email"_s, 254);
        const auto password = in.string(u"password"_s, 1024);
        const auto first = in.string(u"first_name"_s, 100);
        const auto last = in.string(u"last_name"_s, 100);
        if (auto ok = in.status(); !ok)
            return Response::error(ok.error());
        const auth::ClientInfo client = clientOf(context, request);
        auto session = context->service->registerCustomer(*email, *password, first.value_or(QString()),
                                                          last.value_or(QString()), client);
        if (!session)
            return Response::error(session.error());
        return sessionResponse(context, *session, 201);
    });

    addThrottled(router, u"/api/auth/login"_s, context, [context](const Request &request, const QJsonObject &body) {
        if (auto ok = throttle(context, "login-ip|" + clientOf(context, request).address.toUtf8(), AddressRule); !ok)
            return ok;
        const QJsonValue email = body.value(u"email"_s);
        if (!email.isString())
            return Status(); // MISSING_FIELDS or VALIDATION_FAILED from the handler
        return throttle(context, "login-acct|" + email.toString().trimmed().toLower().toUtf8(), AccountRule);
    }, [context](const Request &request) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        JsonReader in(*body);
        in.require({u"email"_s, u"password"_s});
        const auto email = in.string(u"email"_s, 1000);
        const auto password = in.string(u"password"_s, 1024);
        const auto code = in.string(u"totp"_s, 20);
        const auto recovery = in.string(u"recovery_code"_s, 40);
        if (auto ok = in.status(); !ok)
            return Response::error(ok.error());
        auto session = context->service->login(*email, *password, code ? *code : recovery.value_or(QString()),
                                               clientOf(context, request));
        Response r = session ? sessionResponse(context, *session, 200) : Response::error(session.error());
        r.quantumMs = TimingQuantumMs;
        return r;
    });

    router.post(u"/api/auth/refresh"_s, [context](const Request &request) {
        auto token = refreshTokenOf(request);
        if (!token)
            return Response::error(token.error());
        const auth::ClientInfo client = clientOf(context, request);
        if (auto ok = throttle(context, "refresh|" + client.address.toUtf8(), {60, std::chrono::milliseconds(1000)});
            !ok)
            return Response::error(ok.error());
        auto session = context->service->refresh(*token, client);
        if (!session) {
            Response r = Response::error(session.error());
            r.withHeader("Set-Cookie", cookie(context, {}, 0)); // forget a dead session
            return r;
        }
        return sessionResponse(context, *session, 200);
    }, Execution::Worker);

    router.post(u"/api/auth/logout"_s, [context](const Request &request) {
        auto token = refreshTokenOf(request);
        if (token) {
            if (auto ok = context->service->logout(*token); !ok)
                return Response::error(ok.error());
        } else if (token.error().kind() == Error::Kind::Forbidden || token.error().kind() == Error::Kind::InvalidRequest) {
            return Response::error(token.error());
        }
        Response r = Response::ok(QJsonObject{{u"signed_out"_s, true}});
        r.withHeader("Set-Cookie", cookie(context, {}, 0));
        return r;
    }, Execution::Worker);

    router.post(u"/api/auth/logout-all"_s, signedIn(context, [context](const Request &, const auth::User &user) {
        if (auto ok = context->service->logoutAll(user.id); !ok)
            return Response::error(ok.error());
        Response r = Response::ok(QJsonObject{{u"signed_out"_s, true}});
        r.withHeader("Set-Cookie", cookie(context, {}, 0));
        return r;
    }), Execution::Worker);

    router.post(u"/api/auth/verify-email"_s, [context](const Request &request) {
        auto token = requiredString(request, u"token"_s, 200);
        if (!token)
            return Response::error(token.error());
        if (auto ok = context->service->verifyEmail(*token); !ok)
            return Response::error(ok.error());
        return Response::ok(QJsonObject{{u"email_verified"_s, true}});
    }, Execution::Worker);

    router.post(u"/api/auth/resend-verification"_s, signedIn(context, [context](const Request &, const auth::User &user) {
        if (auto ok = throttle(context, "verify|" + QByteArray::number(user.id), {3, std::chrono::minutes(5)}); !ok)
            return Response::error(ok.error());
        if (auto ok = context->service->sendVerificationEmail(user.id); !ok)
            return Response::error(ok.error());
        return Response::ok(QJsonObject{{u"sent"_s, !user.emailVerified}});
    }), Execution::Worker);

    // One answer whatever the address (ASVS 2.5.x): the mail, if any, says the rest.
    router.post(u"/api/auth/forgot-password"_s, [context](const Request &request) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        JsonReader in(*body);
        in.require({u"email"_s});
        const auto email = in.string(u"email"_s, 1000);
        if (auto ok = in.status(); !ok)
            return Response::error(ok.error());
        const auth::ClientInfo client = clientOf(context, request);
        if (auto ok = throttle(context, "forgot-ip|" + client.address.toUtf8(), {5, std::chrono::minutes(1)}); !ok)
            return Response::error(ok.error());
        if (auto ok = throttle(context, "forgot-acct|" + email->trimmed().toLower().toUtf8(), {3, std::chrono::minutes(10)});
            !ok)
            return Response::error(ok.error());
        if (auto ok = context->service->forgotPassword(*email, client); !ok)
            return Response::error(ok.error());
        Response r = Response::ok(QJsonObject{
            {u"message"_s, u"If an account uses this address, a link to reset the password is on its way."_s}});
        r.quantumMs = TimingQuantumMs;
        return r;
    }, Execution::Worker);

    router.post(u"/api/auth/reset-password"_s, [context](const Request &request) {
        auto body = jsonObject(request);
        if (!body)
            return Response::error(body.error());
        JsonReader in(*body);
        in.require({u"token"_s, u"password"_s});
        const auto token = in.string(u"token"_s, 200);
        const auto password = in.string(u"password"_s, 1024);
        if (auto ok = in.status(); !ok)
            return Response::error(ok.error());
        if (auto ok = throttle(context, "reset|" + clientOf(context, request).address.toUtf8(), AddressRule); !ok)
            return Response::error(ok.error());
        if (auto ok = context->service->resetPassword(*token, *password); !ok)
            return Response::error(ok.error());
        Response r = Response::ok(QJsonObject{{u"password_reset"_s, true}});
        r.withHeader("Set-Cookie", cookie(context, {}, 0));
        return r;
    }, Execution::Worker);

    router.post(u"/api/auth/2fa/setup"_s, signedIn(context, [context](const Request &, const auth::User &user) {
        auto enrolment = context->service->beginTotp(user.id);
        if (!enrolment)
            return Response::error(enrolment.error());
        return noStore(Response::ok(QJsonObject{{u"secret"_s, enrolment->secretBase32},
                                                {u"otpauth_uri"_s, enrolment->uri},
                                                {u"qr_svg"_s, enrolment->qrSvg}}));
    }), Execution::Worker);

    router.post(u"/api/auth/2fa/confirm"_s, signedIn(context, [context](const Request &request, const auth::User &user) {
        auto code = requiredString(request, u"code"_s, 20);
        if (!code)
            return Response::error(code.error());
        if (auto ok = throttle(context, "totp|" + QByteArray::number(user.id), AccountRule); !ok)
            return Response::error(ok.error());
        auto codes = context->service->confirmTotp(user.id, *code);
        if (!codes)
            return Response::error(codes.error());
        return noStore(Response::ok(QJsonObject{{u"totp_enabled"_s, true},
                                                {u"recovery_codes"_s, QJsonArray::fromStringList(*codes)}}));
    }), Execution::Worker);

    router.post(u"/api/auth/2fa/disable"_s, signedIn(context, [context](const Request &request, const auth::User &user) {
        auto password = requiredString(request, u"password"_s, 1024);
        if (!password)
            return Response::error(password.error());
        if (auto ok = throttle(context, "totp|" + QByteArray::number(user.id), AccountRule); !ok)
            return Response::error(ok.error());
        if (auto ok = context->service->disableTotp(user.id, *password); !ok)
            return Response::error(ok.error());
        return Response::ok(QJsonObject{{u"totp_enabled"_s, false}});
    }), Execution::Worker);

    router.get(u"/api/auth/me"_s, signedIn(context, [](const Request &, const auth::User &user) {
        return Response::ok(userJson(user));
    }), Execution::Worker);
}

} // namespace shop::http
