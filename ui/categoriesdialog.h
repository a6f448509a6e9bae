#pragma once

#include "catalog/catalog.h"
#include "core/result.h"

#include <QDialog>
#include <QHash>

#include <optional>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace shop::catalog {
class CatalogService;
}

namespace shop {

// The category editor: the list (name, slug, products shoppers see in it) and a form
// for the selected or a new category. Saves carry the version they were loaded at; a
// delete asks first (its products become uncategorised). A new category's slug
// follows its name until the admin edits the slug; an existing one's never changes
// by itself, because shop links use it.
class CategoriesDialog : public QDialog
{
    Q_OBJECT
public:
    CategoriesDialog(catalog::CatalogService &service, Actor actor, QWidget *parent = nullptr);
    ~CategoriesDialog() override;

    const QList<catalog::Category> &categories() const { return m_categories; }
    std::optional<catalog::Category> current() const { return m_current; }
    bool isBusy() const { return m_tasks > 0; }
    // The message under a field ("name", "slug", "description") or the form's own
    // ("form"); empty when none.
    QString fieldError(const QString &field) const;

    // "Bäckerei & Café" -> "backerei-cafe".
    static QString slugify(const QString &name);

public Q_SLOTS:
    void reload();
    void newCategory();
    void selectCategory(qint64 id);
    void save();
    void deleteCategory();

Q_SIGNALS:
    // A category was created, changed or deleted.
    void changed();

private:
    template<typename Work, typename Done>
    void run(Work work, Done done);

    void setCategories(QList<catalog::Category> categories);
    void showCategory(const std::optional<catalog::Category> &category);
    void selectionChanged();
    void nameEdited();
    catalog::CategoryInput input() const;
    void showErrors(const Error &error);
    void updateButtons();

    catalog::CatalogService &m_service;
    Actor m_actor;
    QList<catalog::Category> m_categories;
    std::optional<catalog::Category> m_current; // empty: the form is a new category
    std::optional<qint64> m_selectAfterLoad;
    QString m_notice; // shown once the reload it asked for has landed
    bool m_slugEdited = false;
    int m_tasks = 0;

    QTreeWidget *m_list = nullptr;
    QLabel *m_formTitle = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_slug = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QSpinBox *m_sortOrder = nullptr;
    QHash<QString, QLabel *> m_errors;
    QLabel *m_formError = nullptr;
    QPushButton *m_newButton = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QProgressBar *m_progress = nullptr;
};

} // namespace shop
