#include "producteditdialog.h"
#include "ui_producteditdialog.h"

#include "catalog/catalogservice.h"
#include "core/money.h"
#include "productmodel.h"
#include "widgetstyle.h"

#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

const QString kFormField = u"form"_s;

// Keeps the cursor where it was: typing "mug-" shows "MUG-" without jumping.
void upperCaseWhileTyping(QLineEdit *edit)
{
    QObject::connect(edit, &QLineEdit::textEdited, edit, [edit](const QString &text) {
        const QString upper = text.toUpper();
        if (upper == text)
            return;
        const int cursor = edit->cursorPosition();
        edit->setText(upper);
        edit->setCursorPosition(cursor);
    });
}

} // namespace

ProductEditDialog::ProductEditDialog(
    catalog::CatalogService &service, Actor actor, QList<catalog::Category> categories, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::ProductEditDialog>())
    , m_service(service)
    , m_actor(std::move(actor))
{
    m_ui->setupUi(this);
    setWindowTitle(tr("New Product"));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("&Create"));

    m_errorLabels = {
        {u"sku"_s, m_ui->skuError},
        {u"name"_s, m_ui->nameError},
        {u"description"_s, m_ui->descriptionError},
        {u"price"_s, m_ui->priceError},
        {u"currency"_s, m_ui->currencyError},
        {u"category_id"_s, m_ui->categoryError},
        {u"image_url"_s, m_ui->imageUrlError},
        {u"stock"_s, m_ui->stockError},
    };
    for (QLabel *label : std::as_const(m_errorLabels))
        setErrorStyle(label);
    setErrorStyle(m_ui->formError);
    m_ui->reloadButton->hide();
    m_ui->saveProgress->hide();
    QSizePolicy keep = m_ui->saveProgress->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_ui->saveProgress->setSizePolicy(keep);
    m_ui->stockHint->setText(tr("Recorded in the stock ledger as the initial count. Later changes go through "
                                "Adjust stock, so an open form can never undo a sale."));
    setMuted(m_ui->stockHint);
    m_ui->descriptionEdit->setMinimumHeight(fontMetrics().height() * 5);

    for (const char *code : {"USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN"})
        m_ui->currencyCombo->addItem(QString::fromLatin1(code));
    m_ui->currencyCombo->setCurrentText(catalog::ProductInput().currency);
    m_ui->currencyCombo->setInsertPolicy(QComboBox::NoInsert);
    m_ui->currencyCombo->lineEdit()->setValidator(
        new QRegularExpressionValidator(QRegularExpression(u"[A-Za-z]{0,3}"_s), m_ui->currencyCombo));
    upperCaseWhileTyping(m_ui->currencyCombo->lineEdit());
    upperCaseWhileTyping(m_ui->skuEdit);

    setCategories(categories, std::nullopt);

    // A field's problem shows once the user has left it, then follows the typing.
    const auto leaves = [this](QLineEdit *edit, const QString &field) {
        connect(edit, &QLineEdit::editingFinished, this, [this, field] { touched(field); });
        connect(edit, &QLineEdit::textChanged, this, &ProductEditDialog::validateLive);
    };
    leaves(m_ui->skuEdit, u"sku"_s);
    leaves(m_ui->nameEdit, u"name"_s);
    leaves(m_ui->priceEdit, u"price"_s);
    leaves(m_ui->currencyCombo->lineEdit(), u"currency"_s);
    leaves(m_ui->imageUrlEdit, u"image_url"_s);
    connect(m_ui->descriptionEdit, &QPlainTextEdit::textChanged, this, [this] { touched(u"description"_s); });
    connect(
        m_ui->categoryCombo, &QComboBox::currentIndexChanged, this, [this] { touched(u"category_id"_s); });
    connect(m_ui->stockSpin, &QSpinBox::valueChanged, this, [this] { touched(u"stock"_s); });

    connect(m_ui->reloadButton, &QPushButton::clicked, this, &ProductEditDialog::reload);
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &ProductEditDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &ProductEditDialog::reject);
}

ProductEditDialog::~ProductEditDialog()
{
    waitForBackgroundWork(this);
}

void ProductEditDialog::setCategories(
    const QList<catalog::Category> &categories, std::optional<qint64> selected)
{
    const QSignalBlocker block(m_ui->categoryCombo);
    m_ui->categoryCombo->clear();
    m_ui->categoryCombo->addItem(tr("No category"), QVariant());
    for (const catalog::Category &c : categories)
        m_ui->categoryCombo->addItem(c.name, c.id);
    int index = 0;
    if (selected) {
        index = m_ui->categoryCombo->findData(*selected);
        if (index < 0) {
            // The page's list is older than the product: keep the product's category.
            m_ui->categoryCombo->addItem(m_product && !m_product->categoryName.isEmpty()
                    ? m_product->categoryName
                    : tr("Category %1").arg(*selected),
                *selected);
            index = m_ui->categoryCombo->count() - 1;
        }
    }
    m_ui->categoryCombo->setCurrentIndex(index);
}

void ProductEditDialog::setProduct(const catalog::Product &product)
{
    m_product = product;
    setWindowTitle(tr("Edit %1").arg(product.name));
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("&Save"));
    // Stock changes only through the ledger once the product exists.
    for (QWidget *field : {static_cast<QWidget *>(m_ui->stockSpin), static_cast<QWidget *>(m_ui->stockError),
                           static_cast<QWidget *>(m_ui->stockHint)})
        m_ui->form->setRowVisible(field, false);
    showProduct(product);
}

void ProductEditDialog::showProduct(const catalog::Product &product)
{
    // Filling the form is not the user touching the fields.
    const QSignalBlocker blockDescription(m_ui->descriptionEdit);
    const QSignalBlocker blockCategory(m_ui->categoryCombo);
    m_ui->skuEdit->setText(product.sku);
    m_ui->nameEdit->setText(product.name);
    m_ui->descriptionEdit->setPlainText(product.description);
    m_ui->priceEdit->setText(money::format(product.priceCents));
    m_ui->currencyCombo->setCurrentText(product.currency);
    QList<catalog::Category> categories;
    for (int i = 1; i < m_ui->categoryCombo->count(); ++i) {
        catalog::Category c;
        c.id = m_ui->categoryCombo->itemData(i).toLongLong();
        c.name = m_ui->categoryCombo->itemText(i);
        categories.append(c);
    }
    setCategories(categories, product.categoryId);
    m_ui->imageUrlEdit->setText(product.imageUrl);
    m_ui->activeCheck->setChecked(product.active);
}

Result<catalog::ProductInput> ProductEditDialog::input() const
{
    catalog::ProductInput in;
    in.sku = m_ui->skuEdit->text().trimmed();
    in.name = m_ui->nameEdit->text().trimmed();
    in.description = m_ui->descriptionEdit->toPlainText().trimmed();
    in.currency = m_ui->currencyCombo->currentText().trimmed().toUpper();
    const QVariant category = m_ui->categoryCombo->currentData();
    if (category.isValid())
        in.categoryId = category.toLongLong();
    in.imageUrl = m_ui->imageUrlEdit->text().trimmed();
    in.active = m_ui->activeCheck->isChecked();
    in.initialStock = isEditing() ? 0 : m_ui->stockSpin->value();

    QString priceProblem;
    const QString priceText = m_ui->priceEdit->text().trimmed();
    if (priceText.isEmpty()) {
        priceProblem = tr("Enter a price, e.g. 19.99");
    } else if (auto cents = money::parseCents(priceText)) {
        in.priceCents = *cents;
    } else {
        priceProblem = cents.error().message();
    }

    Error error(Error::Kind::Validation, tr("Some fields need attention"));
    if (auto ok = catalog::CatalogService::validate(in); !ok)
        error = ok.error();
    if (!priceProblem.isEmpty())
        error.withField(u"price"_s, priceProblem);
    if (!error.fields().isEmpty())
        return fail(error);
    return in;
}

QString ProductEditDialog::fieldError(const QString &field) const
{
    if (field == kFormField)
        return m_ui->formError->isHidden() ? QString() : m_ui->formError->text();
    QLabel *label = m_errorLabels.value(field);
    return label && !label->isHidden() ? label->text() : QString();
}

void ProductEditDialog::touched(const QString &field)
{
    m_touched.insert(field);
    validateLive();
}

void ProductEditDialog::validateLive()
{
    if (m_saving)
        return;
    auto in = input();
    showErrors(in ? Error() : in.error(), !m_submitted);
}

void ProductEditDialog::showErrors(const Error &error, bool onlyTouched)
{
    QHash<QString, QStringList> byField;
    QStringList unplaced;
    for (const FieldError &f : error.fields()) {
        if (m_errorLabels.contains(f.field))
            byField[f.field].append(f.message);
        else
            unplaced.append(u"%1: %2"_s.arg(f.field, f.message));
    }
    for (auto it = m_errorLabels.cbegin(); it != m_errorLabels.cend(); ++it) {
        const bool show = !onlyTouched || m_touched.contains(it.key());
        setMessage(it.value(), show ? byField.value(it.key()).join(u'\n') : QString());
    }
    if (!onlyTouched)
        setFormError(unplaced.join(u'\n'));
}

void ProductEditDialog::setFormError(const QString &text, bool offerReload)
{
    setMessage(m_ui->formError, text);
    m_ui->reloadButton->setVisible(offerReload);
}

void ProductEditDialog::setSaving(bool saving)
{
    m_saving = saving;
    m_ui->buttonBox->setEnabled(!saving);
    m_ui->reloadButton->setEnabled(!saving);
    m_ui->saveProgress->setVisible(saving);
}

void ProductEditDialog::accept()
{
    if (m_saving)
        return;
    m_submitted = true;
    auto in = input();
    if (!in) {
        showErrors(in.error(), false);
        focusFirstError();
        return;
    }
    showErrors(Error(), false);
    setSaving(true);
    const std::optional<qint64> id = m_product ? std::optional(m_product->id) : std::nullopt;
    const int version = m_product ? m_product->version : 0;
    runInBackground(
        this,
        [&service = m_service, input = *in, id, version, actor = m_actor]() -> Result<catalog::Product> {
            if (id)
                return service.updateProduct(*id, version, input, actor);
            return service.createProduct(input, actor);
        },
        [this](Result<catalog::Product> result) { saveFinished(std::move(result)); });
}

void ProductEditDialog::focusFirstError()
{
    const std::pair<QString, QWidget *> order[] = {
        {u"sku"_s, m_ui->skuEdit},           {u"name"_s, m_ui->nameEdit},
        {u"description"_s, m_ui->descriptionEdit}, {u"price"_s, m_ui->priceEdit},
        {u"currency"_s, m_ui->currencyCombo}, {u"category_id"_s, m_ui->categoryCombo},
        {u"image_url"_s, m_ui->imageUrlEdit}, {u"stock"_s, m_ui->stockSpin},
    };
    for (const auto &[field, widget] : order) {
        if (!fieldError(field).isEmpty()) {
            widget->setFocus();
            return;
        }
    }
}

void ProductEditDialog::saveFinished(Result<catalog::Product> result)
{
    setSaving(false);
    if (result) {
        m_product = *result;
        Q_EMIT saved(*result);
        QDialog::accept();
        return;
    }
    const Error &error = result.error();
    if (!error.fields().isEmpty()) {
        // The service's own answers (a SKU another product took) mark the fields the
        // same way the local checks do.
        for (const FieldError &f : error.fields())
            m_touched.insert(f.field);
        showErrors(error, false);
        focusFirstError();
        return;
    }
    if (error.kind() == Error::Kind::Conflict && isEditing()) {
        setFormError(tr("Someone else changed this product; reload?"), true);
        return;
    }
    if (error.kind() == Error::Kind::NotFound && isEditing()) {
        setFormError(tr("This product no longer exists: someone deleted it."));
        return;
    }
    setFormError(tr("The product could not be saved: %1").arg(error.message()));
}

void ProductEditDialog::reject()
{
    if (m_saving)
        return; // the outcome of a save in flight must be seen
    QDialog::reject();
}

void ProductEditDialog::reload()
{
    if (!m_product || m_saving)
        return;
    setSaving(true);
    runInBackground(
        this, [&service = m_service, id = m_product->id] { return service.product(id); },
        [this](Result<catalog::Product> result) {
            setSaving(false);
            if (!result) {
                setFormError(result.error().kind() == Error::Kind::NotFound
                                 ? tr("This product no longer exists: someone deleted it.")
                                 : tr("The product could not be loaded: %1").arg(result.error().message()));
                return;
            }
            m_product = *result;
            m_touched.clear();
            m_submitted = false;
            showProduct(*result);
            showErrors(Error(), false);
        });
}

} // namespace shop
