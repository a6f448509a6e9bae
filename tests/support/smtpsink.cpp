#include "smtpsink.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTcpSocket>

using namespace Qt::StringLiterals;

namespace shop::test {

namespace {

// The server: aiosmtpd's threaded Controller on a free port; each accepted message
// becomes <dir>/NNNNNNNN.json (written to a temporary name, then renamed, so a reader
// never sees half a file). Prints "ready <port>" when it accepts connections.
constexpr auto SinkScript = R"PY(
import asyncio, base64, email, email.policy, json, os, socket, ssl, sys, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

cfg = json.loads(sys.argv[1])
outdir = cfg["dir"]
counter = 0


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global counter
        if cfg.get("delay_ms"):
            await asyncio.sleep(cfg["delay_ms"] / 1000.0)
        counter += 1
        number = counter
        raw = envelope.original_content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        defects = [repr(d) for d in msg.defects]
        for key in msg.keys():
            defects += [repr(d) for d in getattr(msg[key], "defects", ())]
        try:
            text = msg.get_content()
        except Exception as error:
            text = None
            defects.append("get_content: %r" % error)
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw": base64.b64encode(raw).decode("ascii"),
            "subject": str(msg.get("subject", "")),
            "text": text,
            "defects": defects,
            "tls": session.ssl is not None,
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else "",
        }
        name = os.path.join(outdir, "%08d.json" % number)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 Ok: queued as %d" % number


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == cfg["user"]
          and auth_data.password.decode() == cfg["password"])
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


kwargs = {"decode_data": False}
if cfg.get("cert"):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cfg["cert"], cfg["key"])
    kwargs["tls_context"] = context
    kwargs["require_starttls"] = bool(cfg.get("require_starttls"))
if cfg.get("user"):
    kwargs["authenticator"] = authenticator
    kwargs["auth_required"] = True
    kwargs["auth_require_tls"] = bool(cfg.get("cert"))

for attempt in range(20):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
    try:
        controller.start()
        break
    except OSError:
        continue  # someone took the port meanwhile
else:
    sys.exit("no free port")

print("ready %d" % port, flush=True)
threading.Event().wait()
)PY";

QString pythonWithAiosmtpd()
{
    // Debian's interpreter is the one python3-aiosmtpd installs into; a python3 found
    // first on PATH (pyenv, a venv) may not have it.
    if (QFileInfo::exists(u"/usr/bin/python3"_s))
        return u"/usr/bin/python3"_s;
    return QStandardPaths::findExecutable(u"python3"_s);
}

QList<std::pair<QByteArray, QByteArray>> parseHeaders(const QByteArray &head)
{
    QList<std::pair<QByteArray, QByteArray>> headers;
    const QList<QByteArray> lines = head.split('\n');
    for (QByteArray line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            continue;
        if ((line.startsWith(' ') || line.startsWith('\t')) && !headers.isEmpty()) {
            headers.last().second += line; // unfolding: the CRLF goes, the whitespace stays
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    return headers;
}

} // namespace

QByteArray ReceivedMail::header(const QByteArray &name) const
{
    for (const auto &[n, v] : headers) {
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

SmtpSink::SmtpSink() : SmtpSink(Options{}) {}

SmtpSink::SmtpSink(Options options) : m_options(std::move(options)), m_dir(QDir::tempPath() + u"/shopdesk-smtp-XXXXXX"_s)
{
}

SmtpSink::~SmtpSink()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
}

bool SmtpSink::fail(const QString &error)
{
    m_error = error;
    return false;
}

QString SmtpSink::url() const
{
    return u"smtp://127.0.0.1:%1"_s.arg(m_port);
}

QString SmtpSink::caFile() const
{
    return m_dir.filePath(u"cert.pem"_s);
}

bool SmtpSink::start()
{
    if (!m_dir.isValid())
        return fail(u"cannot create a temporary directory: "_s + m_dir.errorString());
    QDir().mkpath(m_dir.filePath(u"mail"_s));

    QJsonObject cfg{{u"dir"_s, m_dir.filePath(u"mail"_s)}, {u"delay_ms"_s, m_options.delayMs}};
    if (m_options.startTls) {
        QProcess openssl;
        openssl.setProcessChannelMode(QProcess::MergedChannels);
        openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s,
                                     u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s, u"-days"_s, u"2"_s,
                                     u"-subj"_s, u"/CN=127.0.0.1"_s, u"-addext"_s,
                                     u"subjectAltName=IP:127.0.0.1,DNS:localhost"_s, u"-keyout"_s,
                                     m_dir.filePath(u"key.pem"_s), u"-out"_s, caFile()});
        if (!openssl.waitForFinished(30000) || openssl.exitStatus() != QProcess::NormalExit
            || openssl.exitCode() != 0)
            return fail(u"openssl req failed: "_s + QString::fromLocal8Bit(openssl.readAll()) + openssl.errorString());
        cfg.insert(u"cert"_s, caFile());
        cfg.insert(u"key"_s, m_dir.filePath(u"key.pem"_s));
        cfg.insert(u"require_starttls"_s, m_options.requireStartTls);
    }
    if (!m_options.user.isEmpty()) {
        cfg.insert(u"user"_s, m_options.user);
        cfg.insert(u"password"_s, m_options.password);
    }

    const QString script = m_dir.filePath(u"sink.py"_s);
    QFile file(script);
    if (!file.open(QIODevice::WriteOnly) || file.write(SinkScript) < 0)
        return fail(u"cannot write %1"_s.arg(script));
    file.close();

    const QString python = pythonWithAiosmtpd();
    if (python.isEmpty())
        return fail(u"python3 not found (install python3-aiosmtpd: infrastructure/dev/setup.sh)"_s);
    const QString log = m_dir.filePath(u"sink.log"_s);
    m_process = std::make_unique<QProcess>();
    m_process->setStandardErrorFile(log);
    m_process->start(python, {script, QString::fromUtf8(QJsonDocument(cfg).toJson(QJsonDocument::Compact))});
    const auto readLog = [&log]() -> QString {
        QFile f(log);
        return f.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(f.readAll()).trimmed() : QString();
    };
    if (!m_process->waitForStarted(10000))
        return fail(u"cannot run %1: %2"_s.arg(python, m_process->errorString()));

    // Blocks until the script says it is listening (or dies); no polling.
    QByteArray line;
    while (!line.contains('\n')) {
        if (!m_process->waitForReadyRead(20000))
            return fail(u"the SMTP sink did not start (is python3-aiosmtpd installed?): "_s + readLog());
        line += m_process->readAllStandardOutput();
    }
    const QList<QByteArray> words = line.trimmed().split(' ');
    if (words.size() != 2 || words.at(0) != "ready")
        return fail(u"unexpected output from the SMTP sink: "_s + QString::fromUtf8(line) + readLog());
    m_port = quint16(words.at(1).toUInt());

    QTcpSocket probe;
    probe.connectToHost(u"127.0.0.1"_s, m_port);
    if (!probe.waitForConnected(5000))
        return fail(u"the SMTP sink does not accept connections on port %1"_s.arg(m_port));
    probe.waitForReadyRead(5000); // its greeting: a complete SMTP exchange works
    probe.write("QUIT\r\n");
    probe.waitForBytesWritten(1000);
    probe.disconnectFromHost();
    return true;
}

int SmtpSink::count() const
{
    return int(QDir(m_dir.filePath(u"mail"_s)).entryList({u"*.json"_s}, QDir::Files).size());
}

QList<ReceivedMail> SmtpSink::messages() const
{
    QList<ReceivedMail> mails;
    const QDir dir(m_dir.filePath(u"mail"_s));
    const QStringList names = dir.entryList({u"*.json"_s}, QDir::Files, QDir::Name);
    for (const QString &name : names) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        ReceivedMail m;
        m.mailFrom = o.value(u"mail_from"_s).toString();
        for (const auto v : o.value(u"rcpt_tos"_s).toArray())
            m.rcptTo.append(v.toString());
        m.raw = QByteArray::fromBase64(o.value(u"raw"_s).toString().toLatin1());
        qsizetype split = m.raw.indexOf("\r\n\r\n");
        qsizetype skip = 4;
        if (split < 0) {
            split = m.raw.indexOf("\n\n");
            skip = 2;
        }
        m.headers = parseHeaders(split < 0 ? m.raw : m.raw.left(split));
        m.body = split < 0 ? QByteArray() : m.raw.mid(split + skip);
        m.subject = o.value(u"subject"_s).toString();
        m.text = o.value(u"text"_s).toString();
        for (const auto v : o.value(u"defects"_s).toArray())
            m.defects.append(v.toString());
        m.tls = o.value(u"tls"_s).toBool();
        m.authUser = o.value(u"auth_user"_s).toString();
        mails.append(std::move(m));
    }
    return mails;
}

void SmtpSink::clear()
{
    QDir dir(m_dir.filePath(u"mail"_s));
    const QStringList names = dir.entryList({u"*.json"_s}, QDir::Files);
    for (const QString &name : names)
        dir.remove(name);
}

} // namespace shop::test
