#include "serverpage.h"

#include "db/database.h"
#include "db/localcluster.h"
#include "http/server.h"
#include "shop/runtime.h"
#include "widgetstyle.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QDesktopServices>
#include <QFormLayout>
#include <QFrame>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

QLabel *selectableValue(const QString &objectName)
{
    auto *label = new QLabel;
    label->setObjectName(objectName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

// Zero is the normal state and stays plain; anything else is drawn in the colour
// the problem deserves.
void setAlarm(QLabel *label, bool alarm, const QColor &colour)
{
    QPalette palette = label->palette();
    palette.setColor(QPalette::WindowText, alarm ? colour : label->parentWidget()->palette().color(QPalette::WindowText));
    label->setPalette(palette);
}

} // namespace

ServerPage::ServerPage(Runtime &runtime, QWidget *parent) : QWidget(parent), m_runtime(runtime)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 18);
    layout->setSpacing(14);

    // Title and state.
    auto *header = new QHBoxLayout;
    auto *title = new QLabel(tr("Server"));
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
    titleFont.setBold(true);
    title->setFont(titleFont);
    header->addWidget(title);
    header->addSpacing(12);
    m_state = new QLabel;
    m_state->setObjectName(u"stateLabel"_s);
    header->addWidget(m_state, 0, Qt::AlignBottom);
    header->addStretch();
    layout->addLayout(header);

    // Where things are.
    auto *about = new QGroupBox(tr("Storefront and database"));
    auto *form = new QFormLayout(about);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setHorizontalSpacing(18);

    auto *urlRow = new QHBoxLayout;
    m_url = new QLabel;
    m_url->setObjectName(u"serverUrlLabel"_s);
    m_url->setTextFormat(Qt::RichText);
    m_url->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_url->setOpenExternalLinks(false);
    m_url->setToolTip(tr("Open the storefront in your web browser"));
    connect(m_url, &QLabel::linkActivated, this, [](const QString &link) { QDesktopServices::openUrl(QUrl(link)); });
    urlRow->addWidget(m_url);
    urlRow->addSpacing(8);
    auto *copy = new QPushButton(tr("Copy"));
    copy->setObjectName(u"copyUrlButton"_s);
    copy->setToolTip(tr("Copy the storefront address to the clipboard"));
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_runtime.url()); });
    urlRow->addWidget(copy);
    urlRow->addStretch();
    form->addRow(tr("Storefront:"), urlRow);

    m_database = selectableValue(u"databaseLocationLabel"_s);
    form->addRow(tr("Database:"), m_database);

    const Config &config = m_runtime.config();
    auto *threads = selectableValue(u"threadsLabel"_s);
    threads->setText(tr("%1 I/O, %2 workers, pool of %3 database connections")
                         .arg(config.effectiveIoThreads())
                         .arg(config.workerThreads)
                         .arg(m_runtime.database() ? m_runtime.database()->stats().size : 0));
    form->addRow(tr("Threads:"), threads);

    m_started = selectableValue(u"startedLabel"_s);
    form->addRow(tr("Started:"), m_started);
    m_uptime = selectableValue(u"uptimeLabel"_s);
    form->addRow(tr("Uptime:"), m_uptime);
    layout->addWidget(about);

    // HTTP counters.
    auto *traffic = new QGroupBox(tr("HTTP traffic since start"));
    auto *trafficGrid = new QGridLayout(traffic);
    trafficGrid->setSpacing(10);
    m_requests = addTile(trafficGrid, 0, tr("Requests"), u"requestsLabel"_s, tr("Requests answered since start"));
    m_clientErrors = addTile(trafficGrid, 1, tr("Client errors (4xx)"), u"clientErrorsLabel"_s,
                             tr("Answers with a 4xx status: bad requests, unknown pages, refused logins"));
    m_serverErrors = addTile(trafficGrid, 2, tr("Server errors (5xx)"), u"serverErrorsLabel"_s,
                             tr("Answers with a 5xx status: failures and overload (503)"));
    m_inFlight = addTile(trafficGrid, 3, tr("In flight"), u"inFlightLabel"_s, tr("Requests being handled right now"));
    m_connections = addTile(trafficGrid, 4, tr("Open connections"), u"connectionsLabel"_s,
                            tr("Client connections open right now, idle keep-alive ones included"));
    layout->addWidget(traffic);

    // The pool: the first thing to run out under load.
    auto *pool = new QGroupBox(tr("Database connection pool"));
    auto *poolLayout = new QVBoxLayout(pool);
    auto *poolGrid = new QGridLayout;
    poolGrid->setSpacing(10);
    m_poolInUse = addTile(poolGrid, 0, tr("In use"), u"poolInUseLabel"_s, tr("Connections leased to requests right now"));
    m_poolSize = addTile(poolGrid, 1, tr("Pool size"), u"poolSizeLabel"_s, tr("Connections allowed at most"));
    m_poolWaiting = addTile(poolGrid, 2, tr("Waiting"), u"poolWaitingLabel"_s,
                            tr("Requests waiting for a free connection; they get 503 when the wait runs out"));
    m_poolTimeouts = addTile(poolGrid, 3, tr("Wait timeouts"), u"poolTimeoutsLabel"_s,
                             tr("Waits that ran out since start (each one answered 503)"));
    poolLayout->addLayout(poolGrid);
    m_poolBar = new QProgressBar;
    m_poolBar->setObjectName(u"poolUsageBar"_s);
    m_poolBar->setFormat(tr("%p% of the pool in use"));
    m_poolBar->setTextVisible(true);
    poolLayout->addWidget(m_poolBar);
    layout->addWidget(pool);

    layout->addStretch();

    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &ServerPage::refresh);
    refresh();
}

QLabel *ServerPage::addTile(QGridLayout *grid, int column, const QString &caption, const QString &objectName,
                            const QString &toolTip)
{
    auto *tile = new QFrame;
    tile->setFrameShape(QFrame::StyledPanel);
    tile->setBackgroundRole(QPalette::Base);
    tile->setAutoFillBackground(true);
    tile->setToolTip(toolTip);
    auto *box = new QVBoxLayout(tile);
    box->setContentsMargins(14, 10, 14, 10);
    box->setSpacing(2);

    auto *value = new QLabel(u"0"_s);
    value->setObjectName(objectName);
    QFont big = value->font();
    big.setPointSizeF(big.pointSizeF() * 1.8);
    big.setBold(true);
    value->setFont(big);
    box->addWidget(value);

    auto *label = new QLabel(caption);
    setMuted(label);
    box->addWidget(label);

    grid->addWidget(tile, 0, column);
    grid->setColumnStretch(column, 1);
    return value;
}

QString ServerPage::formatDuration(qint64 seconds)
{
    seconds = qMax<qint64>(0, seconds);
    const qint64 days = seconds / 86400;
    const qint64 hours = seconds % 86400 / 3600;
    const qint64 minutes = seconds % 3600 / 60;
    const qint64 secs = seconds % 60;
    if (days > 0)
        return tr("%1 d %2 h").arg(days).arg(hours);
    if (hours > 0)
        return tr("%1 h %2 min").arg(hours).arg(minutes, 2, 10, QChar(u'0'));
    if (minutes > 0)
        return tr("%1 min %2 s").arg(minutes).arg(secs, 2, 10, QChar(u'0'));
    return tr("%1 s").arg(secs);
}

void ServerPage::refresh()
{
    const QLocale locale;
    const QString url = m_runtime.url();
    const bool serving = m_runtime.http() != nullptr;

    m_state->setText(serving ? u"<span style=\"color:#1e8e3e\">&#9679;</span> "_s + tr("Serving")
                             : u"<span style=\"color:#c5221f\">&#9679;</span> "_s + tr("Stopped"));
    m_url->setText(serving ? u"<a href=\"%1\">%1</a>"_s.arg(url.toHtmlEscaped()) : tr("not serving"));

    if (const db::LocalCluster *cluster = m_runtime.cluster())
        m_database->setText(tr("Embedded PostgreSQL in %1").arg(QDir::toNativeSeparators(cluster->clusterDir())));
    else
        m_database->setText(tr("PostgreSQL server %1").arg(m_runtime.databaseLocation()));

    const QDateTime started = m_runtime.startedAt();
    m_started->setText(locale.toString(started.toLocalTime(), QLocale::LongFormat));
    m_uptime->setText(formatDuration(started.secsTo(QDateTime::currentDateTimeUtc())));

    if (http::HttpServer *server = m_runtime.http()) {
        const http::HttpMetrics &metrics = server->metrics();
        const auto totals = metrics.totals();
        m_requests->setText(locale.toString(totals.requests));
        m_clientErrors->setText(locale.toString(totals.clientErrors));
        m_serverErrors->setText(locale.toString(totals.serverErrors));
        m_inFlight->setText(locale.toString(metrics.inFlight.load(std::memory_order_relaxed)));
        m_connections->setText(locale.toString(metrics.openConnections.load(std::memory_order_relaxed)));
        setAlarm(m_serverErrors, totals.serverErrors > 0, QColor(0xc5, 0x22, 0x1f));
    }

    if (db::Database *database = m_runtime.database()) {
        const db::PoolStats stats = database->stats();
        m_poolInUse->setText(locale.toString(stats.inUse));
        m_poolSize->setText(locale.toString(stats.size));
        m_poolWaiting->setText(locale.toString(stats.waiting));
        m_poolTimeouts->setText(locale.toString(stats.timeouts));
        m_poolBar->setRange(0, qMax(1, stats.size));
        m_poolBar->setValue(qMin(stats.inUse, qMax(1, stats.size)));
        setAlarm(m_poolWaiting, stats.waiting > 0, QColor(0xb0, 0x60, 0x00));
        setAlarm(m_poolTimeouts, stats.timeouts > 0, QColor(0xc5, 0x22, 0x1f));
    }
}

void ServerPage::showEvent(QShowEvent *event)
{
    refresh();
    m_timer.start();
    QWidget::showEvent(event);
}

void ServerPage::hideEvent(QHideEvent *event)
{
    m_timer.stop();
    QWidget::hideEvent(event);
}

} // namespace shop
