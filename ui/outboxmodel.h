#pragma once

#include "mail/outbox.h"

#include <QAbstractTableModel>

namespace shop {

// The mail the shop queued, newest first, for the Outbox page.
class OutboxModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        ToColumn,
        SubjectColumn,
        KindColumn,
        StatusColumn,
        AttemptsColumn,
        CreatedColumn,
        SentColumn,
        ColumnCount
    };

    explicit OutboxModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setEntries(QList<mail::OutboxEntry> entries);
    const mail::OutboxEntry &entry(int row) const { return m_entries.at(row); }
    int rowOfEntry(qint64 id) const;

private:
    QList<mail::OutboxEntry> m_entries;
};

} // namespace shop
