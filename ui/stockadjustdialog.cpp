#include "stockadjustdialog.h"

#include "catalog/catalogservice.h"
#include "productmodel.h"
#include "widgetstyle.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

constexpr int kMaxDelta = 1'000'000;  // the service's limit for one adjustment
constexpr int kHistoryRows = 50;

QString signedNumber(int value)
{
    const QString number = QLocale().toString(value);
    return value > 0 ? QString(u'+' + number) : number;
}

} // namespace

StockAdjustDialog::StockAdjustDialog(catalog::CatalogService &service, catalog::Product product, Actor actor,
                                     QWidget *parent)
    : QDialog(parent), m_service(service), m_product(std::move(product)), m_actor(std::move(actor))
{
    setWindowTitle(tr("Adjust Stock"));
    resize(620, 520);
    auto *layout = new QVBoxLayout(this);

    m_title = new QLabel;
    m_title->setObjectName(u"stockProductLabel"_s);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_title->setFont(titleFont);
    m_title->setWordWrap(true);
    m_title->setTextFormat(Qt::PlainText);
    layout->addWidget(m_title);

    auto *form = new QFormLayout;
    form->setHorizontalSpacing(14);
    m_current = new QLabel;
    m_current->setObjectName(u"currentStockLabel"_s);
    form->addRow(tr("In stock now:"), m_current);

    m_delta = new QSpinBox;
    m_delta->setObjectName(u"deltaSpin"_s);
    m_delta->setRange(-kMaxDelta, kMaxDelta);
    m_delta->setGroupSeparatorShown(true);
    m_delta->setMinimumWidth(140);
    m_delta->setToolTip(tr("Positive to add (received, returned), negative to remove (damaged, lost)"));
    auto *deltaRow = new QHBoxLayout;
    deltaRow->addWidget(m_delta);
    auto *deltaHint = new QLabel(tr("negative removes"));
    setMuted(deltaHint);
    deltaRow->addWidget(deltaHint);
    deltaRow->addStretch();
    form->addRow(tr("&Change by:"), deltaRow);
    static_cast<QLabel *>(form->labelForField(deltaRow))->setBuddy(m_delta);

    m_reason = new QComboBox;
    m_reason->setObjectName(u"reasonCombo"_s);
    for (const QString &reason : catalog::adjustmentReasons())
        m_reason->addItem(reasonText(reason), reason);
    form->addRow(tr("&Reason:"), m_reason);

    m_note = new QLineEdit;
    m_note->setObjectName(u"noteEdit"_s);
    m_note->setMaxLength(500);
    m_note->setPlaceholderText(tr("Optional, e.g. delivery note 4711"));
    form->addRow(tr("&Note:"), m_note);

    m_result = new QLabel;
    m_result->setObjectName(u"resultingStockLabel"_s);
    QFont bold = m_result->font();
    bold.setBold(true);
    m_result->setFont(bold);
    form->addRow(tr("Stock after:"), m_result);
    layout->addLayout(form);

    m_error = new QLabel;
    m_error->setObjectName(u"stockError"_s);
    setErrorStyle(m_error);
    layout->addWidget(m_error);

    auto *historyTitle = new QLabel(tr("Recent movements"));
    historyTitle->setFont(bold);
    layout->addSpacing(6);
    layout->addWidget(historyTitle);
    m_history = new QTreeWidget;
    m_history->setObjectName(u"movementsView"_s);
    m_history->setRootIsDecorated(false);
    m_history->setUniformRowHeights(true);
    m_history->setAlternatingRowColors(true);
    m_history->setSelectionMode(QAbstractItemView::NoSelection);
    m_history->setHeaderLabels({tr("When"), tr("Change"), tr("Stock"), tr("Reason"), tr("Note"), tr("By")});
    m_history->header()->setStretchLastSection(false);
    m_history->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_history->header()->setSectionResizeMode(4, QHeaderView::Stretch);
    for (int column : {1, 2})
        m_history->headerItem()->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
    layout->addWidget(m_history, 1);

    auto *bottom = new QHBoxLayout;
    m_progress = new QProgressBar;
    m_progress->setObjectName(u"stockProgress"_s);
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->setFixedSize(120, 8);
    QSizePolicy keep = m_progress->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_progress->setSizePolicy(keep);
    bottom->addWidget(m_progress);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Record"));
    bottom->addWidget(m_buttons);
    layout->addLayout(bottom);

    connect(m_delta, &QSpinBox::valueChanged, this, [this] {
        m_serviceError.clear();
        update();
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &StockAdjustDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &StockAdjustDialog::reject);

    showSnapshot({m_product, {}});
    m_delta->setFocus();
    load();
}

StockAdjustDialog::~StockAdjustDialog()
{
    waitForBackgroundWork(this);
}

QString StockAdjustDialog::reasonText(const QString &reason)
{
    if (reason == "restock"_L1)
        return tr("Restock (received)");
    if (reason == "adjustment"_L1)
        return tr("Adjustment (count correction)");
    if (reason == "return"_L1)
        return tr("Return (back from a customer)");
    if (reason == "damage"_L1)
        return tr("Damage");
    if (reason == "expiry"_L1)
        return tr("Expiry");
    if (reason == "initial"_L1)
        return tr("Initial count");
    if (reason == "sale"_L1)
        return tr("Sale");
    if (reason == "cancellation"_L1)
        return tr("Order cancelled");
    QString text = reason;
    text.replace(u'_', u' ');
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

QString StockAdjustDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

void StockAdjustDialog::load()
{
    m_loading = true;
    update();
    runInBackground(
        this,
        [&service = m_service, id = m_product.id]() -> Result<Snapshot> {
            auto product = service.product(id);
            if (!product)
                return fail(product.error());
            auto movements = service.movements(id, kHistoryRows);
            if (!movements)
                return fail(movements.error());
            return Snapshot{std::move(*product), std::move(*movements)};
        },
        [this](Result<Snapshot> result) {
            m_loading = false;
            if (!result)
                m_serviceError = tr("The stock could not be loaded: %1").arg(result.error().message());
            else
                showSnapshot(*result);
            update();
        });
}

void StockAdjustDialog::showSnapshot(const Snapshot &snapshot)
{
    m_product = snapshot.product;
    m_movements = snapshot.movements;
    m_title->setText(tr("%1 \u2014 %2").arg(m_product.sku, m_product.name));
    m_current->setText(QLocale().toString(m_product.stock));

    m_history->clear();
    const QLocale locale;
    for (const catalog::StockMovement &m : std::as_const(m_movements)) {
        QString note = m.note;
        if (m.orderId)
            note = note.isEmpty() ? tr("Order #%1").arg(*m.orderId)
                                  : tr("Order #%1: %2").arg(*m.orderId).arg(note);
        auto *item = new QTreeWidgetItem(m_history,
            {locale.toString(m.createdAt.toLocalTime(), QLocale::ShortFormat), signedNumber(m.delta),
                locale.toString(m.stockAfter), reasonText(m.reason), note, m.actor});
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setForeground(1, m.delta < 0 ? QColor(0xc5, 0x22, 0x1f) : QColor(0x1e, 0x8e, 0x3e));
        item->setToolTip(4, note);
    }
    if (m_movements.isEmpty() && !m_loading) {
        auto *item = new QTreeWidgetItem(m_history, {tr("No movements yet")});
        item->setFlags(Qt::NoItemFlags);
    }
}

void StockAdjustDialog::update()
{
    const int delta = m_delta->value();
    const qint64 after = qint64(m_product.stock) + delta;
    m_result->setText(QLocale().toString(after));
    m_result->setStyleSheet(after < 0 ? u"color: #c5221f;"_s : QString());

    // Zero is the starting value, not a mistake: no message, just nothing to record.
    setError(after < 0
            ? tr("Only %1 in stock: at most %1 can be removed.").arg(QLocale().toString(m_product.stock))
            : m_serviceError);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(delta != 0 && after >= 0 && !m_saving && !m_loading);
    m_buttons->button(QDialogButtonBox::Cancel)->setEnabled(!m_saving);
    m_progress->setVisible(m_loading || m_saving);
}

void StockAdjustDialog::setError(const QString &text)
{
    setMessage(m_error, text);
}

void StockAdjustDialog::accept()
{
    const int delta = m_delta->value();
    if (m_saving || m_loading || delta == 0 || qint64(m_product.stock) + delta < 0)
        return;
    m_saving = true;
    update();
    runInBackground(
        this,
        [&service = m_service, id = m_product.id, delta, reason = m_reason->currentData().toString(),
         note = m_note->text().trimmed(), actor = m_actor] {
            return service.adjustStock(id, delta, reason, note, actor);
        },
        [this](Result<catalog::Product> result) {
            m_saving = false;
            if (result) {
                m_product = *result;
                Q_EMIT adjusted(*result);
                QDialog::accept();
                return;
            }
            QStringList messages;
            for (const FieldError &f : result.error().fields())
                messages.append(f.message);
            m_serviceError = messages.isEmpty() ? result.error().message() : messages.join(u'\n');
            // Someone else's sale may be why: show the stock as it is now.
            load();
        });
}

void StockAdjustDialog::reject()
{
    if (m_saving)
        return;
    QDialog::reject();
}

} // namespace shop
