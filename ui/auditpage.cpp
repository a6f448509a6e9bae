#include "auditpage.h"

#include "auditmodel.h"
#include "pagekit.h"
#include "productmodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QShowEvent>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

constexpr int kFilterDelayMs = 250;
constexpr int kLimit = 500;

QPlainTextEdit *jsonPane(const QString &name)
{
    auto *edit = new QPlainTextEdit;
    edit->setObjectName(name);
    edit->setReadOnly(true);
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return edit;
}

} // namespace

AuditPage::AuditPage(auth::UserAdmin &admin, QWidget *parent) : QWidget(parent), m_admin(admin)
{
    m_model = new AuditModel(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 12);
    layout->setSpacing(10);
    const PageHeader header = makePageHeader(tr("Audit log"), u"audit"_s);
    m_status = header.status;
    m_busy = header.busy;
    layout->addLayout(header.layout);

    auto *filters = new QHBoxLayout;
    filters->setSpacing(8);
    m_action = new QLineEdit;
    m_action->setObjectName(u"auditActionFilter"_s);
    m_action->setPlaceholderText(tr("Action starts with\u2026 (e.g. user.)"));
    m_action->setClearButtonEnabled(true);
    filters->addWidget(m_action, 2);
    m_target = new QComboBox;
    m_target->setObjectName(u"auditTargetFilter"_s);
    m_target->addItem(tr("All targets"), QString());
    m_target->addItem(tr("Products"), u"product"_s);
    m_target->addItem(tr("Categories"), u"category"_s);
    m_target->addItem(tr("Users"), u"user"_s);
    filters->addWidget(m_target);
    m_actor = new QLineEdit;
    m_actor->setObjectName(u"auditActorFilter"_s);
    m_actor->setPlaceholderText(tr("Who\u2026"));
    m_actor->setClearButtonEnabled(true);
    filters->addWidget(m_actor, 1);
    m_useDates = new QCheckBox(tr("From"));
    m_useDates->setObjectName(u"auditUseDates"_s);
    filters->addWidget(m_useDates);
    const QDate today = QDate::currentDate();
    m_from = new QDateEdit(today.addDays(-7));
    m_from->setObjectName(u"auditFrom"_s);
    m_from->setCalendarPopup(true);
    m_from->setEnabled(false);
    filters->addWidget(m_from);
    filters->addWidget(new QLabel(tr("to")));
    m_to = new QDateEdit(today);
    m_to->setObjectName(u"auditTo"_s);
    m_to->setCalendarPopup(true);
    m_to->setEnabled(false);
    filters->addWidget(m_to);
    layout->addLayout(filters);

    m_message = new MessageBar(u"auditMessageBar"_s);
    layout->addWidget(m_message);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setChildrenCollapsible(false);
    m_view = new QTableView;
    m_view->setObjectName(u"auditView"_s);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    const int digit = fontMetrics().horizontalAdvance(u'0');
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setSectionResizeMode(AuditModel::ActionColumn, QHeaderView::Stretch);
    m_view->setColumnWidth(AuditModel::AtColumn, digit * 18);
    m_view->setColumnWidth(AuditModel::ActorColumn, digit * 24);
    m_view->setColumnWidth(AuditModel::TargetColumn, digit * 16);
    m_view->setColumnWidth(AuditModel::SourceColumn, digit * 14);
    splitter->addWidget(m_view);

    auto *detail = new QWidget;
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 6, 0, 0);
    m_detailTitle = new QLabel(tr("Select an entry to see what changed."));
    m_detailTitle->setObjectName(u"auditDetailTitle"_s);
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    detailLayout->addWidget(m_detailTitle);
    auto *sides = new QHBoxLayout;
    auto *beforeColumn = new QVBoxLayout;
    beforeColumn->addWidget(new QLabel(tr("Before")));
    m_before = jsonPane(u"auditBefore"_s);
    beforeColumn->addWidget(m_before);
    auto *afterColumn = new QVBoxLayout;
    afterColumn->addWidget(new QLabel(tr("After")));
    m_after = jsonPane(u"auditAfter"_s);
    afterColumn->addWidget(m_after);
    sides->addLayout(beforeColumn);
    sides->addLayout(afterColumn);
    detailLayout->addLayout(sides);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(kFilterDelayMs);
    connect(&m_filterDelay, &QTimer::timeout, this, &AuditPage::refresh);
    for (QLineEdit *edit : {m_action, m_actor}) {
        connect(edit, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));
        connect(edit, &QLineEdit::returnPressed, this, &AuditPage::refresh);
    }
    connect(m_target, &QComboBox::currentIndexChanged, this, &AuditPage::refresh);
    connect(m_useDates, &QCheckBox::toggled, this, [this](bool on) {
        m_from->setEnabled(on);
        m_to->setEnabled(on);
        refresh();
    });
    connect(m_from, &QDateEdit::dateChanged, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(m_to, &QDateEdit::dateChanged, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AuditPage::showDetail);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AuditPage::showDetail);
}

AuditPage::~AuditPage()
{
    waitForBackgroundWork(this);
}

QString AuditPage::statusText() const
{
    return m_status->text();
}

QString AuditPage::messageText() const
{
    return m_message->text();
}

QString AuditPage::beforeText() const
{
    return m_before->toPlainText();
}

QString AuditPage::afterText() const
{
    return m_after->toPlainText();
}

auth::AuditFilter AuditPage::filter() const
{
    auth::AuditFilter filter;
    filter.action = m_action->text().trimmed();
    filter.targetType = m_target->currentData().toString();
    filter.actor = m_actor->text().trimmed();
    if (m_useDates->isChecked()) {
        // Whole local days: the service's upper bound is exclusive.
        filter.from = m_from->date().startOfDay();
        filter.to = m_to->date().addDays(1).startOfDay();
    }
    filter.limit = kLimit;
    return filter;
}

void AuditPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void AuditPage::refresh()
{
    m_filterDelay.stop();
    const quint64 generation = ++m_generation;
    ++m_tasks;
    updateBusy();
    runInBackground(this, [&admin = m_admin, filter = filter()] { return admin.audit(filter); },
                    [this, generation](Result<QList<auth::AuditEntry>> result) {
                        --m_tasks;
                        updateBusy();
                        if (generation != m_generation)
                            return;
                        if (!result) {
                            m_message->showError(
                                tr("The audit log could not be loaded: %1").arg(result.error().message()));
                            return;
                        }
                        m_message->hide();
                        const qint64 selected = [this]() -> qint64 {
                            const QModelIndexList rows = m_view->selectionModel()->selectedRows();
                            return rows.isEmpty() ? 0 : m_model->entry(rows.first().row()).id;
                        }();
                        const int count = int(result->size());
                        m_model->setEntries(std::move(*result));
                        m_status->setText(count >= kLimit ? tr("the newest %1 entries").arg(kLimit)
                                          : count == 1    ? tr("1 entry")
                                                          : tr("%1 entries").arg(QLocale().toString(count)));
                        for (int row = 0; selected && row < m_model->rowCount(); ++row) {
                            if (m_model->entry(row).id == selected) {
                                selectRow(row);
                                break;
                            }
                        }
                    });
}

void AuditPage::selectRow(int row)
{
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

void AuditPage::showDetail()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        m_detailTitle->setText(tr("Select an entry to see what changed."));
        m_before->clear();
        m_after->clear();
        return;
    }
    const auth::AuditEntry &entry = m_model->entry(rows.first().row());
    m_detailTitle->setText(tr("%1 by %2 on %3 #%4, %5")
                               .arg(entry.action, entry.actor, entry.targetType, entry.targetId,
                                    formatDateTime(entry.at)));
    m_before->setPlainText(AuditModel::prettyJson(entry.before));
    m_after->setPlainText(AuditModel::prettyJson(entry.after));
}

void AuditPage::updateBusy()
{
    const bool busy = isBusy();
    m_busy->setVisible(busy);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

} // namespace shop
