#pragma once

#include "core/config.h"
#include "core/result.h"

#include <QSslConfiguration>
#include <QString>

#include <optional>

namespace shop::http {

// HTTPS for the embedded server (DESIGN.md "Security baseline"): the certificate and
// key come from files the operator names (--tls-cert/--tls-key) or from a self-signed
// pair made for local use (--tls-self-signed).

// Reads a PEM certificate (or a chain, leaf first) and its unencrypted PEM private key
// into the server side of TLS: TLS 1.2 or later, HTTP/1.1 over ALPN, no client
// certificates. Fails, naming the file and the reason, when a file is unreadable,
// holds no certificate or key, or the key does not belong to the certificate.
Result<QSslConfiguration> loadServerTls(const QString &certificateFile, const QString &keyFile);

struct CertificateFiles
{
    QString certificate; // <dir>/cert.pem
    QString key;         // <dir>/key.pem, mode 0600
};

// A self-signed certificate for CN=localhost with subjectAltName DNS:localhost,
// IP:127.0.0.1 and IP:::1, valid for a year, with an EC P-256 key, in <dir> (mode
// 0700). Made once and reused; made again when the pair is missing, unreadable,
// mismatched, or expires within a day.
Result<CertificateFiles> ensureSelfSignedCertificate(const QString &dir);

// What the configuration asks for: no TLS (nullopt), the operator's files, or the
// self-signed pair under <dataDir>/tls.
Result<std::optional<QSslConfiguration>> serverTlsFromConfig(const Config &config);

} // namespace shop::http
