#pragma once

#include "catalog/catalog.h"
#include "core/result.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSpinBox;
class QTreeWidget;

namespace shop::catalog {
class CatalogService;
}

namespace shop {

// Records one stock change in the ledger: how many (negative to remove), why, and a
// note; with the current and resulting stock, and the product's recent movements.
// Loading and saving run off the GUI thread.
class StockAdjustDialog : public QDialog
{
    Q_OBJECT
public:
    StockAdjustDialog(catalog::CatalogService &service, catalog::Product product, Actor actor,
                      QWidget *parent = nullptr);
    ~StockAdjustDialog() override;

    // As last read from the database (the list's row may be older).
    int currentStock() const { return m_product.stock; }
    bool isLoading() const { return m_loading; }
    bool isSaving() const { return m_saving; }
    // The movements shown (newest first).
    const QList<catalog::StockMovement> &movements() const { return m_movements; }
    QString errorText() const;

    // Display text for a ledger reason ("restock" -> "Restock").
    static QString reasonText(const QString &reason);

public Q_SLOTS:
    void accept() override;
    void reject() override;

Q_SIGNALS:
    void adjusted(const catalog::Product &product);

private:
    struct Snapshot
    {
        catalog::Product product;
        QList<catalog::StockMovement> movements;
    };

    void load();
    void showSnapshot(const Snapshot &snapshot);
    void update();
    void setError(const QString &text);

    catalog::CatalogService &m_service;
    catalog::Product m_product;
    Actor m_actor;
    QList<catalog::StockMovement> m_movements;
    QString m_serviceError; // the last refusal, until the change is edited
    bool m_loading = false;
    bool m_saving = false;

    QLabel *m_title = nullptr;
    QLabel *m_current = nullptr;
    QSpinBox *m_delta = nullptr;
    QComboBox *m_reason = nullptr;
    QLineEdit *m_note = nullptr;
    QLabel *m_result = nullptr;
    QLabel *m_error = nullptr;
    QTreeWidget *m_history = nullptr;
    QProgressBar *m_progress = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace shop
