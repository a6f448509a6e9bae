#pragma once

#include "catalog/catalog.h"
#include "core/result.h"

#include <QDialog>
#include <QHash>
#include <QSet>

#include <memory>
#include <optional>

class QLabel;

namespace Ui {
class ProductEditDialog;
}

namespace shop::catalog {
class CatalogService;
}

namespace shop {

// Creates a product, or edits one at the version it was loaded with (a save over
// someone else's newer change is refused, and the dialog offers to reload). Field
// problems show under their field: first from the same checks the service runs
// (CatalogService::validate), then from the service's answer (a SKU already taken).
// Saving runs off the GUI thread.
class ProductEditDialog : public QDialog
{
    Q_OBJECT
public:
    ProductEditDialog(catalog::CatalogService &service, Actor actor, QList<catalog::Category> categories,
                      QWidget *parent = nullptr);
    ~ProductEditDialog() override;

    // Switches to editing `product`: the form shows it, saving updates it.
    void setProduct(const catalog::Product &product);
    bool isEditing() const { return m_product.has_value(); }
    // The product being edited, or the one just created.
    std::optional<catalog::Product> product() const { return m_product; }
    bool isSaving() const { return m_saving; }

    // What the form holds, or a Validation error naming each field in error (price
    // text that does not parse included).
    Result<catalog::ProductInput> input() const;
    // The message shown under a field ("sku", "price", ...), or the form's own
    // ("form"); empty when none.
    QString fieldError(const QString &field) const;

public Q_SLOTS:
    // Checks, then saves off the GUI thread; closes once saved.
    void accept() override;
    void reject() override;
    // After a conflict: the stored product replaces what the form holds.
    void reload();

Q_SIGNALS:
    void saved(const catalog::Product &product);

private:
    void setCategories(const QList<catalog::Category> &categories, std::optional<qint64> selected);
    void showProduct(const catalog::Product &product);
    void touched(const QString &field);
    void validateLive();
    void showErrors(const Error &error, bool onlyTouched);
    void setFormError(const QString &text, bool offerReload = false);
    void focusFirstError();
    void setSaving(bool saving);
    void saveFinished(Result<catalog::Product> result);

    std::unique_ptr<Ui::ProductEditDialog> m_ui;
    catalog::CatalogService &m_service;
    Actor m_actor;
    std::optional<catalog::Product> m_product;
    QHash<QString, QLabel *> m_errorLabels;
    // Fields the user has left: their problems show while typing elsewhere. After the
    // first Save every field's do.
    QSet<QString> m_touched;
    bool m_submitted = false;
    bool m_saving = false;
};

} // namespace shop
