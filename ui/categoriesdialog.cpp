#include "categoriesdialog.h"

#include "catalog/catalogservice.h"
#include "productmodel.h"
#include "productspage.h"
#include "widgetstyle.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <utility>

using namespace Qt::StringLiterals;

namespace shop {

namespace {

constexpr int kSlugLength = 60; // the service's limit
constexpr int IdRole = Qt::UserRole + 1;

} // namespace

template<typename Work, typename Done>
void CategoriesDialog::run(Work work, Done done)
{
    ++m_tasks;
    updateButtons();
    runInBackground(this, std::move(work), [this, done = std::move(done)](auto result) mutable {
        --m_tasks;
        done(std::move(result));
        updateButtons();
    });
}

CategoriesDialog::CategoriesDialog(catalog::CatalogService &service, Actor actor, QWidget *parent)
    : QDialog(parent), m_service(service), m_actor(std::move(actor))
{
    setWindowTitle(tr("Categories"));
    resize(760, 460);
    auto *layout = new QVBoxLayout(this);
    auto *columns = new QHBoxLayout;
    columns->setSpacing(14);

    m_list = new QTreeWidget;
    m_list->setObjectName(u"categoriesView"_s);
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->setHeaderLabels({tr("Name"), tr("Slug"), tr("Products")});
    m_list->headerItem()->setToolTip(2, tr("Active products shoppers see in the category"));
    m_list->headerItem()->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
    m_list->header()->setStretchLastSection(false);
    m_list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_list->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_list->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    columns->addWidget(m_list, 3);

    auto *box = new QGroupBox;
    auto *boxLayout = new QVBoxLayout(box);
    m_formTitle = new QLabel;
    QFont bold = m_formTitle->font();
    bold.setBold(true);
    m_formTitle->setFont(bold);
    boxLayout->addWidget(m_formTitle);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    const auto errorLabel = [this](const QString &field) {
        auto *label = new QLabel;
        label->setObjectName(field + u"Error"_s);
        setErrorStyle(label);
        m_errors.insert(field, label);
        return label;
    };
    m_name = new QLineEdit;
    m_name->setObjectName(u"categoryNameEdit"_s);
    m_name->setMaxLength(100);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(QString(), errorLabel(u"name"_s));
    m_slug = new QLineEdit;
    m_slug->setObjectName(u"categorySlugEdit"_s);
    m_slug->setMaxLength(kSlugLength);
    m_slug->setToolTip(tr("The category's address in the shop, e.g. /category/kitchen-tools"));
    form->addRow(tr("&Slug:"), m_slug);
    form->addRow(QString(), errorLabel(u"slug"_s));
    m_description = new QPlainTextEdit;
    m_description->setObjectName(u"categoryDescriptionEdit"_s);
    m_description->setTabChangesFocus(true);
    m_description->setMaximumHeight(fontMetrics().height() * 5);
    form->addRow(tr("&Description:"), m_description);
    form->addRow(QString(), errorLabel(u"description"_s));
    m_sortOrder = new QSpinBox;
    m_sortOrder->setObjectName(u"categorySortOrderSpin"_s);
    m_sortOrder->setRange(-100000, 100000);
    m_sortOrder->setToolTip(tr("Lower numbers come first in the shop's category list"));
    form->addRow(tr("&Position:"), m_sortOrder);
    form->addRow(QString(), errorLabel(u"sort_order"_s));
    boxLayout->addLayout(form);
    m_formError = new QLabel;
    m_formError->setObjectName(u"categoryFormError"_s);
    setErrorStyle(m_formError);
    boxLayout->addWidget(m_formError);
    boxLayout->addStretch();
    auto *buttons = new QHBoxLayout;
    m_newButton = new QPushButton(tr("&New"));
    m_newButton->setObjectName(u"newCategoryButton"_s);
    m_deleteButton = new QPushButton(tr("De&lete"));
    m_deleteButton->setObjectName(u"deleteCategoryButton"_s);
    m_saveButton = new QPushButton;
    m_saveButton->setObjectName(u"saveCategoryButton"_s);
    m_saveButton->setDefault(true);
    buttons->addWidget(m_newButton);
    buttons->addWidget(m_deleteButton);
    buttons->addStretch();
    buttons->addWidget(m_saveButton);
    boxLayout->addLayout(buttons);
    columns->addWidget(box, 2);
    layout->addLayout(columns, 1);

    auto *bottom = new QHBoxLayout;
    m_progress = new QProgressBar;
    m_progress->setObjectName(u"categoriesProgress"_s);
    m_progress->setRange(0, 0);
    m_progress->setTextVisible(false);
    m_progress->setFixedSize(120, 8);
    QSizePolicy keep = m_progress->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    m_progress->setSizePolicy(keep);
    bottom->addWidget(m_progress);
    auto *close = new QDialogButtonBox(QDialogButtonBox::Close);
    bottom->addWidget(close);
    layout->addLayout(bottom);

    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &CategoriesDialog::selectionChanged);
    connect(m_name, &QLineEdit::textChanged, this, &CategoriesDialog::nameEdited);
    // textEdited: only the admin's typing, not the slug the name fills in.
    connect(m_slug, &QLineEdit::textEdited, this, [this](const QString &text) {
        m_slugEdited = !text.isEmpty(); // cleared: follow the name again
        if (!m_slugEdited)
            nameEdited();
    });
    connect(m_newButton, &QPushButton::clicked, this, &CategoriesDialog::newCategory);
    connect(m_saveButton, &QPushButton::clicked, this, &CategoriesDialog::save);
    connect(m_deleteButton, &QPushButton::clicked, this, &CategoriesDialog::deleteCategory);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);

    showCategory(std::nullopt);
    reload();
}

CategoriesDialog::~CategoriesDialog()
{
    waitForBackgroundWork(this);
}

QString CategoriesDialog::slugify(const QString &name)
{
    // Decomposed, accents dropped: "Café" -> "cafe" rather than "caf".
    const QString decomposed = name.normalized(QString::NormalizationForm_KD).toLower();
    QString slug;
    slug.reserve(decomposed.size());
    bool dash = false;
    for (const QChar c : decomposed) {
        if ((c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9')) {
            if (dash && !slug.isEmpty())
                slug += u'-';
            dash = false;
            slug += c;
        } else if (c.category() != QChar::Mark_NonSpacing) {
            dash = true;
        }
    }
    slug.truncate(kSlugLength);
    while (slug.endsWith(u'-'))
        slug.chop(1);
    return slug;
}

QString CategoriesDialog::fieldError(const QString &field) const
{
    QLabel *label = field == "form"_L1 ? m_formError : m_errors.value(field);
    return label && !label->isHidden() ? label->text() : QString();
}

void CategoriesDialog::reload()
{
    run([&service = m_service] { return service.categories(); },
        [this](Result<QList<catalog::Category>> result) {
            if (!result) {
                setMessage(
                    m_formError, tr("The categories could not be loaded: %1").arg(result.error().message()));
                return;
            }
            setCategories(std::move(*result));
        });
}

void CategoriesDialog::setCategories(QList<catalog::Category> categories)
{
    m_categories = std::move(categories);
    // Ids are positive; 0 means "nothing to keep selected".
    qint64 keep = 0;
    if (m_selectAfterLoad)
        keep = *m_selectAfterLoad;
    else if (m_current)
        keep = m_current->id;
    m_selectAfterLoad.reset();
    {
        const QSignalBlocker block(m_list);
        m_list->clear();
        const QLocale locale;
        for (const catalog::Category &c : std::as_const(m_categories)) {
            auto *item = new QTreeWidgetItem(m_list, {c.name, c.slug, locale.toString(c.activeProducts)});
            item->setData(0, IdRole, c.id);
            item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
            item->setToolTip(0, c.description);
        }
    }
    if (keep > 0)
        selectCategory(keep);
    else
        selectionChanged();
    if (!m_notice.isEmpty())
        setMessage(m_formError, std::exchange(m_notice, QString()));
}

void CategoriesDialog::selectCategory(qint64 id)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = m_list->topLevelItem(i);
        if (item->data(0, IdRole).toLongLong() == id) {
            m_list->setCurrentItem(item);
            selectionChanged(); // also when it was selected already: the version is new
            return;
        }
    }
    m_list->clearSelection();
    showCategory(std::nullopt);
}

void CategoriesDialog::selectionChanged()
{
    const QList<QTreeWidgetItem *> selected = m_list->selectedItems();
    if (selected.isEmpty()) {
        // A form being filled in for a new category stays as it is.
        if (m_current)
            showCategory(std::nullopt);
        return;
    }
    const qint64 id = selected.first()->data(0, IdRole).toLongLong();
    for (const catalog::Category &c : std::as_const(m_categories)) {
        if (c.id == id) {
            showCategory(c);
            return;
        }
    }
}

void CategoriesDialog::newCategory()
{
    {
        const QSignalBlocker block(m_list);
        m_list->clearSelection();
        m_list->setCurrentItem(nullptr);
    }
    showCategory(std::nullopt);
    m_name->setFocus();
}

void CategoriesDialog::showCategory(const std::optional<catalog::Category> &category)
{
    m_current = category;
    m_slugEdited = category.has_value();
    {
        const QSignalBlocker blockName(m_name);
        m_name->setText(category ? category->name : QString());
    }
    m_slug->setText(category ? category->slug : QString());
    m_description->setPlainText(category ? category->description : QString());
    m_sortOrder->setValue(category ? category->sortOrder : 0);
    m_formTitle->setText(category ? tr("Edit %1").arg(category->name) : tr("New category"));
    m_saveButton->setText(category ? tr("&Save") : tr("&Add"));
    showErrors(Error());
    updateButtons();
}

void CategoriesDialog::nameEdited()
{
    if (!m_slugEdited)
        m_slug->setText(slugify(m_name->text()));
}

catalog::CategoryInput CategoriesDialog::input() const
{
    catalog::CategoryInput in;
    in.name = m_name->text().trimmed();
    in.slug = m_slug->text().trimmed();
    in.description = m_description->toPlainText().trimmed();
    in.sortOrder = m_sortOrder->value();
    return in;
}

void CategoriesDialog::showErrors(const Error &error)
{
    QHash<QString, QStringList> byField;
    QStringList unplaced;
    for (const FieldError &f : error.fields()) {
        if (m_errors.contains(f.field))
            byField[f.field].append(f.message);
        else
            unplaced.append(f.message);
    }
    for (auto it = m_errors.cbegin(); it != m_errors.cend(); ++it)
        setMessage(it.value(), byField.value(it.key()).join(u'\n'));
    if (error.fields().isEmpty() && !error.message().isEmpty())
        unplaced.append(error.message());
    setMessage(m_formError, unplaced.join(u'\n'));
}

void CategoriesDialog::updateButtons()
{
    const bool busy = isBusy();
    m_saveButton->setEnabled(!busy);
    m_newButton->setEnabled(!busy);
    m_deleteButton->setEnabled(!busy && m_current.has_value());
    m_progress->setVisible(busy);
}

void CategoriesDialog::save()
{
    if (isBusy())
        return;
    const catalog::CategoryInput in = input();
    if (auto ok = catalog::CatalogService::validate(in); !ok) {
        showErrors(ok.error());
        return;
    }
    showErrors(Error());
    const std::optional<catalog::Category> current = m_current;
    run(
        [&service = m_service, in, current, actor = m_actor] {
            if (current)
                return service.updateCategory(current->id, current->version, in, actor);
            return service.createCategory(in, actor);
        },
        [this, editing = current.has_value()](Result<catalog::Category> result) {
            if (!result) {
                const Error &error = result.error();
                if (error.kind() == Error::Kind::Conflict && error.fields().isEmpty() && editing) {
                    m_notice = tr("Someone else changed this category; the form now shows their version.");
                    m_selectAfterLoad = m_current ? std::optional(m_current->id) : std::nullopt;
                    reload();
                    return;
                }
                showErrors(error);
                return;
            }
            m_current = *result;
            m_selectAfterLoad = result->id;
            Q_EMIT changed();
            reload();
        });
}

void CategoriesDialog::deleteCategory()
{
    if (!m_current || isBusy())
        return;
    const catalog::Category category = *m_current;
    const QString products = category.activeProducts == 0
        ? tr("No active product is in it.")
        : tr("Its products (%1 active) become uncategorised.")
              .arg(QLocale().toString(category.activeProducts));
    const auto answer = ProductsPage::ask(this, tr("Delete category"),
        tr("Delete the category \u201c%1\u201d?\n\n%2").arg(category.name, products), tr("Delete"));
    if (answer != QMessageBox::Yes)
        return;
    run([&service = m_service, category, actor = m_actor] {
            return service.deleteCategory(category.id, category.version, actor);
        },
        [this](Status result) {
            if (!result) {
                m_notice = result.error().message();
                reload();
                return;
            }
            m_current.reset();
            showCategory(std::nullopt);
            Q_EMIT changed();
            reload();
        });
}

} // namespace shop
