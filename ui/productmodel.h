#pragma once

#include "catalog/catalog.h"
#include "core/result.h"

#include <QAbstractTableModel>
#include <QFutureWatcher>
#include <QHash>
#include <QIcon>
#include <QtConcurrent/QtConcurrentRun>

#include <optional>
#include <type_traits>
#include <utility>

namespace shop::catalog {
class CatalogService;
}

namespace shop {

// Runs `work` on Qt's global thread pool (every CatalogService call blocks on the
// database, and the GUI thread must not) and hands its result to `done` on
// `context`'s thread. Nothing is delivered once `context` is gone; owners call
// waitForBackgroundWork(this) in their destructor so that no task outlives the
// service it captured by reference.
template<typename Work, typename Done>
QFutureWatcherBase *runInBackground(QObject *context, Work work, Done done)
{
    using R = std::invoke_result_t<Work &>;
    auto *watcher = new QFutureWatcher<R>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, done = std::move(done)]() mutable {
                         watcher->deleteLater();
                         done(watcher->result());
                     });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
    return watcher;
}

// Blocks until the tasks runInBackground() started for `owner` have finished.
void waitForBackgroundWork(QObject *owner);

// The admin's product list, loaded a page at a time as the view scrolls
// (canFetchMore/fetchMore), so 10,000 products cost one page query to open.
// All queries run off the GUI thread. Every reload (filter, sort, refresh) bumps a
// generation; a reply from an older generation is dropped, so a slow answer to the
// previous search can never overwrite the current one.
//
// Sorting: the rows are a window onto the server's order, so sorting only the loaded
// rows (a QSortFilterProxyModel) would show the cheapest of the first 200 rather
// than the 200 cheapest products. Orders the service has (name A-Z, price both ways)
// are therefore asked of the server and keep lazy loading. For the other columns and
// directions (SKU, category, stock, status, updated, name Z-A) the model loads every
// matching row, in pages of 1,000, and sorts them on the worker thread: correct, and
// ten queries at 10,000 rows.
class ProductTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        SkuColumn,
        NameColumn,
        CategoryColumn,
        PriceColumn,
        StockColumn,
        StatusColumn,
        UpdatedColumn,
        ColumnCount
    };
    enum Role {
        ProductIdRole = Qt::UserRole + 1,
        ActiveRole,
        LowStockRole,
    };

    explicit ProductTableModel(catalog::CatalogService &service, QObject *parent = nullptr);
    ~ProductTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    // column -1 is the service's default order.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // What to list. The model owns offset, limit and sort; those fields are ignored.
    const catalog::ProductFilter &filter() const { return m_filter; }
    void setFilter(const catalog::ProductFilter &filter);
    // Reloads as many rows as are loaded now, keeping filter, sort, and the persistent
    // indexes (selection, current row) of products still listed.
    void refresh();

    bool loading() const { return m_loading; }
    // Products matching the filter on the server, loaded or not.
    qint64 totalCount() const { return m_total; }
    int pageSize() const { return m_pageSize; }
    void setPageSize(int rows) { m_pageSize = qMax(1, rows); }
    int lowStockThreshold() const { return m_filter.lowStockThreshold; }

    const catalog::Product &product(int row) const { return m_rows.at(row); }
    // -1 when the product is not among the loaded rows.
    int rowOfProduct(qint64 id) const { return m_rowOf.value(id, -1); }

    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    // The service's order for a header click, if it has one.
    static std::optional<catalog::Sort> serverSort(int column, Qt::SortOrder order);

Q_SIGNALS:
    void loadingChanged(bool loading);
    void totalCountChanged(qint64 total);
    void errorOccurred(const QString &message);
    // A reply was applied (the first page, more rows, a refresh).
    void loaded();

private:
    struct Batch
    {
        QList<catalog::Product> rows;
        int fetched = 0; // rows the server sent, duplicates included: the next offset
        qint64 total = -1; // -1: not counted (a page after the first)
    };
    struct ClientSort
    {
        int column = -1;
        Qt::SortOrder order = Qt::AscendingOrder;
    };

    static Result<Batch> load(catalog::CatalogService &service, catalog::ProductFilter filter, int offset,
                              int count, int pageSize, std::optional<ClientSort> clientSort);
    void start(int offset, int count, bool append);
    void replaceRows(QList<catalog::Product> rows);
    void appendRows(QList<catalog::Product> rows);
    void reindex(int count);
    void setLoading(bool loading);
    void setTotal(qint64 total);
    std::optional<ClientSort> clientSort() const;

    catalog::CatalogService &m_service;
    catalog::ProductFilter m_filter;
    QList<catalog::Product> m_rows;
    QHash<qint64, int> m_rowOf;
    qint64 m_total = 0;
    int m_nextOffset = 0; // where the next page starts on the server
    int m_pageSize = 200;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    quint64 m_generation = 0;
    bool m_started = false; // setFilter() or refresh() was called: sort() reloads
    bool m_loading = false;
    // After a failed query the view must not retry on every scroll step; the next
    // refresh or filter change tries again.
    bool m_failed = false;
    QIcon m_lowStockIcon;
};

} // namespace shop
