#include "outboxpage.h"

#include "outboxmodel.h"
#include "pagekit.h"
#include "productmodel.h"

#include <QAction>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QRegularExpression>
#include <QShowEvent>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QToolBar>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

// The plain-text body as HTML with its http(s) links made clickable; everything else
// escaped, so a crafted body cannot inject markup.
QString linkified(const QString &text)
{
    static const QRegularExpression url(u"https?://[^\\s<>\"]+"_s);
    QString html;
    qsizetype at = 0;
    for (auto it = url.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        html += text.mid(at, match.capturedStart() - at).toHtmlEscaped();
        const QString link = match.captured().toHtmlEscaped();
        html += u"<a href=\""_s + link + u"\">"_s + link + u"</a>"_s;
        at = match.capturedEnd();
    }
    html += text.mid(at).toHtmlEscaped();
    return u"<pre style=\"white-space: pre-wrap;\">"_s + html + u"</pre>"_s;
}

} // namespace

template<typename Work, typename Done>
void OutboxPage::run(Work work, Done done)
{
    ++m_tasks;
    updateBusy();
    runInBackground(this, std::move(work), [this, done = std::move(done)](auto result) mutable {
        --m_tasks;
        updateBusy();
        done(std::move(result));
    });
}

OutboxPage::OutboxPage(db::Database &database, QWidget *parent) : QWidget(parent), m_outbox(database)
{
    m_model = new OutboxModel(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 12);
    layout->setSpacing(10);
    const PageHeader header = makePageHeader(tr("Outbox"), u"outbox"_s);
    m_status = header.status;
    m_busy = header.busy;
    layout->addLayout(header.layout);

    auto *toolbar = new QToolBar(tr("Outbox"));
    toolbar->setObjectName(u"outboxToolBar"_s);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->setIconSize(QSize(18, 18));
    m_retryAction = new QAction(themedIcon(u"mail-send"_s, QStyle::SP_BrowserReload, style()), tr("Re&try"), this);
    m_retryAction->setObjectName(u"retryMailAction"_s);
    m_retryAction->setToolTip(tr("Send the selected message again now"));
    connect(m_retryAction, &QAction::triggered, this, &OutboxPage::retry);
    m_refreshAction = new QAction(themedIcon(u"view-refresh"_s, QStyle::SP_BrowserReload, style()),
                                  tr("Re&fresh"), this);
    m_refreshAction->setObjectName(u"refreshOutboxAction"_s);
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_refreshAction, &QAction::triggered, this, &OutboxPage::refresh);
    toolbar->addAction(m_retryAction);
    auto *spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    toolbar->addWidget(spacer);
    toolbar->addAction(m_refreshAction);
    addAction(m_refreshAction);
    layout->addWidget(toolbar);

    m_message = new MessageBar(u"outboxMessageBar"_s);
    layout->addWidget(m_message);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setChildrenCollapsible(false);
    m_view = new QTableView;
    m_view->setObjectName(u"outboxView"_s);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->addAction(m_retryAction);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    const int digit = fontMetrics().horizontalAdvance(u'0');
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setSectionResizeMode(OutboxModel::SubjectColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(OutboxModel::ToColumn, digit * 24);
    m_view->setColumnWidth(OutboxModel::KindColumn, digit * 16);
    m_view->setColumnWidth(OutboxModel::StatusColumn, digit * 9);
    m_view->setColumnWidth(OutboxModel::AttemptsColumn, digit * 9);
    m_view->setColumnWidth(OutboxModel::CreatedColumn, digit * 18);
    m_view->setColumnWidth(OutboxModel::SentColumn, digit * 18);
    splitter->addWidget(m_view);

    auto *detail = new QWidget;
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 6, 0, 0);
    m_detailTitle = new QLabel(tr("Select a message to read it."));
    m_detailTitle->setObjectName(u"outboxDetailTitle"_s);
    m_detailTitle->setWordWrap(true);
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    detailLayout->addWidget(m_detailTitle);
    m_body = new QTextBrowser;
    m_body->setObjectName(u"outboxBody"_s);
    m_body->setOpenExternalLinks(true);
    m_body->setTextInteractionFlags(Qt::TextBrowserInteraction); // links clickable, all text selectable
    detailLayout->addWidget(m_body);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &OutboxPage::showDetail);
    connect(m_model, &QAbstractItemModel::modelReset, this, &OutboxPage::showDetail);
    showDetail();
}

OutboxPage::~OutboxPage()
{
    waitForBackgroundWork(this);
}

QString OutboxPage::statusText() const
{
    return m_status->text();
}

QString OutboxPage::messageText() const
{
    return m_message->text();
}

QString OutboxPage::bodyText() const
{
    return m_body->toPlainText();
}

void OutboxPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh(); // mail is queued while the admin works elsewhere
}

void OutboxPage::refresh()
{
    const quint64 generation = ++m_generation;
    run([&outbox = m_outbox] { return outbox.recent(Limit); },
        [this, generation](Result<QList<mail::OutboxEntry>> result) {
            if (generation != m_generation)
                return;
            if (!result) {
                m_message->showError(tr("The outbox could not be loaded: %1").arg(result.error().message()));
                return;
            }
            const QModelIndexList rows = m_view->selectionModel()->selectedRows();
            const qint64 selected = rows.isEmpty() ? 0 : m_model->entry(rows.first().row()).id;
            qsizetype failed = 0;
            for (const mail::OutboxEntry &entry : std::as_const(*result))
                failed += entry.status == "failed"_L1 ? 1 : 0;
            const int count = int(result->size());
            m_model->setEntries(std::move(*result));
            QString status = count == 1 ? tr("1 message") : tr("%1 messages").arg(QLocale().toString(count));
            if (failed > 0)
                status += tr(", %1 failed").arg(failed);
            m_status->setText(status);
            if (const int row = selected ? m_model->rowOfEntry(selected) : -1; row >= 0)
                selectRow(row);
        });
}

void OutboxPage::selectRow(int row)
{
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

void OutboxPage::showDetail()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        m_detailTitle->setText(tr("Select a message to read it."));
        m_body->clear();
        m_retryAction->setEnabled(false);
        return;
    }
    const mail::OutboxEntry &entry = m_model->entry(rows.first().row());
    QString title = tr("To %1: %2").arg(entry.to, entry.subject);
    if (!entry.lastError.isEmpty())
        title += u'\n' + tr("Last error: %1").arg(entry.lastError);
    m_detailTitle->setText(title);
    m_body->setHtml(linkified(entry.body));
    m_retryAction->setEnabled(entry.status != "sent"_L1);
}

void OutboxPage::retry()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const mail::OutboxEntry entry = m_model->entry(rows.first().row());
    if (entry.status == "sent"_L1)
        return;
    run([&outbox = m_outbox, id = entry.id] { return outbox.retry(id); },
        [this, to = entry.to](Status result) {
            if (!result) {
                m_message->showError(result.error().message());
            } else {
                m_message->showInfo(tr("The message to %1 is queued to be sent again.").arg(to));
            }
            refresh();
        });
}

void OutboxPage::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

} // namespace shop
