// The Products page on a real catalog, offscreen: the list and its filters, the
// product, stock and category dialogs, confirmations answered through the page's test
// hook, and changes made elsewhere showing up once CatalogEvents says so.

#include "catalog/catalogevents.h"
#include "catalog/catalogservice.h"
#include "categoriesdialog.h"
#include "db/database.h"
#include "db/migrator.h"
#include "producteditdialog.h"
#include "productmodel.h"
#include "productspage.h"
#include "stockadjustdialog.h"
#include "testcluster.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>
#include <QThreadPool>
#include <QTreeWidget>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;
using namespace shop;

class TestProductsPage : public QObject
{
    Q_OBJECT

private:
    test::TestCluster m_cluster;
    std::unique_ptr<db::Database> m_database;
    std::unique_ptr<catalog::CatalogService> m_service;
    catalog::CatalogEvents m_events;
    const Actor m_actor{std::nullopt, u"tst_productspage"_s, u"test"_s};
    qint64 m_kitchen = 0;
    qint64 m_garden = 0;

    catalog::Product create(const QString &sku, const QString &name, qint64 cents,
        std::optional<qint64> category, int stock, bool active = true)
    {
        catalog::ProductInput in;
        in.sku = sku;
        in.name = name;
        in.priceCents = cents;
        in.categoryId = category;
        in.initialStock = stock;
        in.active = active;
        auto product = m_service->createProduct(in, m_actor);
        if (!product)
            qFatal("cannot create %s: %s", qPrintable(sku), qPrintable(product.error().message()));
        return *product;
    }

    catalog::Product stored(const QString &sku)
    {
        catalog::ProductFilter filter;
        filter.search = sku;
        auto page = m_service->products(filter);
        if (page) {
            for (const catalog::Product &p : std::as_const(page->products)) {
                if (p.sku == sku)
                    return p;
            }
        }
        return {};
    }

    static QAction *action(const ProductsPage &page, const QString &name)
    {
        auto *found = page.findChild<QAction *>(name);
        if (!found)
            qFatal("no action %s", qPrintable(name));
        return found;
    }

    static int rowOf(const ProductsPage &page, const QString &sku)
    {
        const ProductTableModel *model = page.model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->product(row).sku == sku)
                return row;
        }
        return -1;
    }

    static QString cell(const ProductsPage &page, const QString &sku, int column)
    {
        const int row = rowOf(page, sku);
        return row < 0 ? u"<no row %1>"_s.arg(sku) : page.model()->index(row, column).data().toString();
    }

    // The page, shown and loaded; inactive products listed when asked.
    std::unique_ptr<ProductsPage> openPage(bool showInactive = false)
    {
        auto page = std::make_unique<ProductsPage>(*m_service, &m_events);
        page->setActor(m_actor);
        page->resize(1000, 640);
        page->findChild<QCheckBox *>(u"showInactive"_s)->setChecked(showInactive);
        page->show();
        if (!QTest::qWaitForWindowExposed(page.get()))
            qWarning("page not exposed");
        return page;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        db::Database::Options options;
        options.connection = m_cluster.createDatabase(u"ui_productspage"_s);
        options.poolSize = 4;
        m_database = std::make_unique<db::Database>(options);
        auto applied = db::Migrator(*m_database).migrate();
        QVERIFY2(applied, applied ? "" : qPrintable(applied.error().message()));
        m_service = std::make_unique<catalog::CatalogService>(*m_database);

        auto kitchen = m_service->createCategory({u"kitchen"_s, u"Kitchen"_s, {}, 0}, m_actor);
        QVERIFY2(kitchen, kitchen ? "" : qPrintable(kitchen.error().message()));
        m_kitchen = kitchen->id;
        auto garden = m_service->createCategory({u"garden"_s, u"Garden"_s, {}, 1}, m_actor);
        QVERIFY(garden);
        m_garden = garden->id;

        create(u"MUG-BLUE"_s, u"Blue mug"_s, 1250, m_kitchen, 3);
        create(u"HOSE-25"_s, u"Garden hose 25 m"_s, 3999, m_garden, 40);
        create(u"PLANT-POT"_s, u"Plant pot"_s, 700, m_garden, 12);
        create(u"LAMP-OLD"_s, u"Old lamp"_s, 2000, std::nullopt, 0, false);
        create(u"SPOON-SET"_s, u"Spoon set"_s, 899, m_kitchen, 25);
        const qint64 tea = create(u"TEA-GREEN"_s, u"Green tea"_s, 500, m_kitchen, 30).id;

        // Someone bought the tea: it can no longer be deleted.
        auto conn = m_database->acquire();
        QVERIFY(conn);
        auto order = conn->query(u"WITH u AS (INSERT INTO users (email, password_hash) VALUES "
                                 u"('buyer@shop.test', 'x') RETURNING id),"
                                 " o AS (INSERT INTO orders (user_id, subtotal_cents, total_cents, email)"
                                 "       SELECT id, 500, 500, 'buyer@shop.test' FROM u RETURNING id)"
                                 " INSERT INTO order_items (order_id, product_id, sku, name, "
                                 "unit_price_cents, quantity, line_total_cents)"
                                 " SELECT o.id, :product, 'TEA-GREEN', 'Green tea', 500, 1, 500 FROM o"_s);
        order.bind(u":product"_s, tea);
        auto ok = order.exec();
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message()));
    }

    void cleanupTestCase()
    {
        QThreadPool::globalInstance()->waitForDone();
        m_service.reset();
        m_database.reset();
    }

    void cleanup()
    {
        // An answer left queued would answer the next test's question.
        const qsizetype left = ProductsPage::queuedAnswers();
        ProductsPage::clearQueuedAnswers();
        QCOMPARE(left, 0);
    }

    void showsTheProducts()
    {
        auto page = openPage();
        QTRY_VERIFY(!page->isBusy());
        const auto active = m_service->products([] {
            catalog::ProductFilter f;
            f.includeInactive = false;
            return f;
        }());
        QVERIFY(active);
        QCOMPARE(page->model()->rowCount(), int(active->total));
        QCOMPARE(page->statusText(), u"%1 products"_s.arg(active->total));
        QCOMPARE(rowOf(*page, u"LAMP-OLD"_s), -1);
        QCOMPARE(cell(*page, u"HOSE-25"_s, ProductTableModel::PriceColumn), u"39.99 USD"_s);
        QCOMPARE(cell(*page, u"HOSE-25"_s, ProductTableModel::CategoryColumn), u"Garden"_s);

        page->findChild<QCheckBox *>(u"showInactive"_s)->setChecked(true);
        QTRY_VERIFY(rowOf(*page, u"LAMP-OLD"_s) >= 0);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(page->model()->rowCount(), int(active->total) + 1);

        // The category filter lists every category, then "Uncategorised".
        auto *combo = page->findChild<QComboBox *>(u"categoryFilter"_s);
        QTRY_COMPARE(combo->count(), 4);
        QCOMPARE(combo->itemText(1), u"Kitchen"_s);
        QCOMPARE(combo->itemText(3), u"Uncategorised"_s);
        QVERIFY(!action(*page, u"editProductAction"_s)->isEnabled()); // nothing selected yet
    }

    void searchAndCategoryFilter()
    {
        auto page = openPage();
        QTRY_VERIFY(!page->isBusy());
        QVERIFY(page->model()->rowCount() > 1);
        QTRY_VERIFY(!page->isBusy());
        QSignalSpy loads(page->model(), &ProductTableModel::loaded);
        auto *search = page->findChild<QLineEdit *>(u"productSearch"_s);
        QTest::keyClicks(search, u"hose"_s);
        QTRY_COMPARE(page->model()->rowCount(), 1);
        QCOMPARE(page->model()->product(0).sku, u"HOSE-25"_s);
        QTRY_VERIFY(!page->isBusy());
        QCOMPARE(loads.count(), 1); // four keys, one query
        QCOMPARE(page->statusText(), u"1 product"_s);

        search->clear();
        auto *combo = page->findChild<QComboBox *>(u"categoryFilter"_s);
        QTRY_COMPARE(combo->count(), 4);
        combo->setCurrentIndex(combo->findData(m_kitchen));
        QTRY_VERIFY(!page->isBusy());
        QTRY_VERIFY(page->model()->filter().categoryId == m_kitchen && !page->isBusy());
        QVERIFY(page->model()->rowCount() >= 3);
        for (int row = 0; row < page->model()->rowCount(); ++row)
            QCOMPARE(page->model()->product(row).categoryName, u"Kitchen"_s);
    }

    void createShowsFieldErrorsThenSaves()
    {
        auto page = openPage();
        QTRY_VERIFY(!page->isBusy());
        action(*page, u"newProductAction"_s)->trigger();
        ProductEditDialog *dialog = page->editDialog();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        QVERIFY(!dialog->isEditing());

        auto *sku = dialog->findChild<QLineEdit *>(u"skuEdit"_s);
        auto *name = dialog->findChild<QLineEdit *>(u"nameEdit"_s);
        auto *price = dialog->findChild<QLineEdit *>(u"priceEdit"_s);
        auto *stock = dialog->findChild<QSpinBox *>(u"stockSpin"_s);
        auto *category = dialog->findChild<QComboBox *>(u"categoryCombo"_s);
        QVERIFY(sku && name && price && stock && category);
        QTest::keyClicks(sku, u"tea pot"_s);
        QCOMPARE(sku->text(), u"TEA POT"_s); // upper-cased while typing
        QTest::keyClicks(name, u"Teapot"_s);
        QTest::keyClicks(price, u"24.505"_s);
        stock->setValue(6);
        category->setCurrentIndex(category->findData(m_kitchen));

        // Local checks: the dialog stays, each problem under its field.
        dialog->accept();
        QVERIFY(dialog->isVisible());
        QVERIFY(!dialog->isSaving());
        QVERIFY2(!dialog->fieldError(u"sku"_s).isEmpty(), "no SKU error");
        QVERIFY2(!dialog->fieldError(u"price"_s).isEmpty(), "no price error");
        QVERIFY(dialog->fieldError(u"name"_s).isEmpty());
        QVERIFY(dialog->findChild<QLabel *>(u"skuError"_s)->isVisible());
        QCOMPARE(dialog->focusWidget(), sku); // the first field in error

        // Fixed as the user types.
        price->clear();
        QTest::keyClicks(price, u"24.50"_s);
        QVERIFY(dialog->fieldError(u"price"_s).isEmpty());

        // The service's own check: another product has this SKU.
        sku->clear();
        QTest::keyClicks(sku, u"MUG-BLUE"_s);
        QVERIFY(dialog->fieldError(u"sku"_s).isEmpty());
        dialog->accept();
        QVERIFY(dialog->isSaving());
        QVERIFY(!dialog->findChild<QDialogButtonBox *>(u"buttonBox"_s)
                     ->button(QDialogButtonBox::Ok)
                     ->isEnabled());
        QTRY_VERIFY(!dialog->isSaving());
        QVERIFY(dialog->isVisible());
        QVERIFY2(
            dialog->fieldError(u"sku"_s).contains(u"already"_s), qPrintable(dialog->fieldError(u"sku"_s)));

        sku->clear();
        QTest::keyClicks(sku, u"TEAPOT-1"_s);
        dialog->accept();
        QTRY_VERIFY(!page->editDialog());
        const catalog::Product saved = stored(u"TEAPOT-1"_s);
        QCOMPARE(saved.name, u"Teapot"_s);
        QCOMPARE(saved.priceCents, qint64(2450));
        QCOMPARE(saved.stock, 6);
        QCOMPARE(saved.categoryId, std::optional(m_kitchen));

        // Listed and selected.
        QTRY_VERIFY(rowOf(*page, u"TEAPOT-1"_s) >= 0);
        QTRY_COMPARE(page->currentProduct().value_or(catalog::Product()).sku, u"TEAPOT-1"_s);
        QVERIFY(page->messageText().contains(u"Teapot"_s));
    }

    void editConflictOffersReload()
    {
        auto page = openPage();
        QTRY_VERIFY(rowOf(*page, u"SPOON-SET"_s) >= 0);
        const catalog::Product spoon = stored(u"SPOON-SET"_s);
        const QRect row = page->view()->visualRect(
            page->model()->index(rowOf(*page, u"SPOON-SET"_s), ProductTableModel::NameColumn));
        // QTest's double click on a widget is the second click only.
        QTest::mouseClick(page->view()->viewport(), Qt::LeftButton, {}, row.center());
        QTest::mouseDClick(page->view()->viewport(), Qt::LeftButton, {}, row.center());
        QCOMPARE(page->currentProduct().value_or(catalog::Product()).id, spoon.id);
        ProductEditDialog *dialog = page->editDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->isEditing());
        auto *name = dialog->findChild<QLineEdit *>(u"nameEdit"_s);
        QCOMPARE(name->text(), u"Spoon set"_s);
        QVERIFY(!dialog->findChild<QSpinBox *>(u"stockSpin"_s)->isVisible()); // stock: the ledger's

        // Someone else saves first.
        catalog::ProductInput theirs;
        theirs.sku = spoon.sku;
        theirs.name = u"Spoon set (6)"_s;
        theirs.priceCents = spoon.priceCents;
        theirs.categoryId = spoon.categoryId;
        QVERIFY(m_service->updateProduct(spoon.id, spoon.version, theirs, m_actor));

        name->setText(u"Spoons"_s);
        dialog->accept();
        QTRY_VERIFY(!dialog->isSaving());
        QCOMPARE(dialog->fieldError(u"form"_s), u"Someone else changed this product; reload?"_s);
        auto *reload = dialog->findChild<QPushButton *>(u"reloadButton"_s);
        QVERIFY(reload->isVisible());
        reload->click();
        QTRY_COMPARE(name->text(), u"Spoon set (6)"_s);
        QTRY_VERIFY(!dialog->isSaving());
        QVERIFY(dialog->fieldError(u"form"_s).isEmpty());

        name->setText(u"Spoon set of six"_s);
        dialog->accept();
        QTRY_VERIFY(!page->editDialog());
        QCOMPARE(stored(u"SPOON-SET"_s).name, u"Spoon set of six"_s);
        QTRY_COMPARE(cell(*page, u"SPOON-SET"_s, ProductTableModel::NameColumn), u"Spoon set of six"_s);
    }

    void deactivateAsksFirst()
    {
        auto page = openPage(true);
        QTRY_VERIFY(rowOf(*page, u"PLANT-POT"_s) >= 0);
        const qint64 id = stored(u"PLANT-POT"_s).id;
        page->selectProduct(id);
        QAction *toggle = action(*page, u"toggleActiveAction"_s);
        QCOMPARE(toggle->text(), u"&Deactivate"_s);

        QTRY_VERIFY(!page->isBusy());
        ProductsPage::setNextAnswer(QMessageBox::Cancel);
        toggle->trigger();
        QVERIFY(ProductsPage::lastQuestion().contains(u"Deactivate"_s));
        QVERIFY(!page->isBusy()); // cancelled: nothing sent
        QVERIFY(m_service->product(id)->active);

        ProductsPage::setNextAnswer(QMessageBox::Yes);
        toggle->trigger();
        QTRY_VERIFY(!m_service->product(id)->active);
        QTRY_COMPARE(cell(*page, u"PLANT-POT"_s, ProductTableModel::StatusColumn), u"Inactive"_s);
        QTRY_COMPARE(toggle->text(), u"&Activate"_s);

        // Activating asks nothing.
        const QString asked = ProductsPage::lastQuestion();
        toggle->trigger();
        QTRY_VERIFY(m_service->product(id)->active);
        QCOMPARE(ProductsPage::lastQuestion(), asked);
        QTRY_COMPARE(cell(*page, u"PLANT-POT"_s, ProductTableModel::StatusColumn), u"Active"_s);
    }

    void deleteOffersDeactivationForOrderedProduct()
    {
        auto page = openPage();
        QTRY_VERIFY(rowOf(*page, u"TEA-GREEN"_s) >= 0);
        const qint64 id = stored(u"TEA-GREEN"_s).id;
        page->selectProduct(id);

        ProductsPage::setNextAnswer(QMessageBox::Yes); // delete
        ProductsPage::setNextAnswer(QMessageBox::Yes); // deactivate instead
        action(*page, u"deleteProductAction"_s)->trigger();
        QTRY_VERIFY(!m_service->product(id)->active);
        QVERIFY2(ProductsPage::lastQuestion().contains(u"appears in orders"_s),
            qPrintable(ProductsPage::lastQuestion()));
        QVERIFY(m_service->product(id)); // still there
        // Inactive products are not listed on this page.
        QTRY_COMPARE(rowOf(*page, u"TEA-GREEN"_s), -1);
    }

    void deleteRemovesAProductNeverOrdered()
    {
        const qint64 id = create(u"TEMP-1"_s, u"Temporary"_s, 100, std::nullopt, 0).id;
        auto page = openPage();
        QTRY_VERIFY(rowOf(*page, u"TEMP-1"_s) >= 0);
        page->selectProduct(id);
        ProductsPage::setNextAnswer(QMessageBox::Yes);
        action(*page, u"deleteProductAction"_s)->trigger();
        QVERIFY(ProductsPage::lastQuestion().contains(u"TEMP-1"_s));
        const auto gone = [&] {
            auto p = m_service->product(id);
            return !p && p.error().kind() == Error::Kind::NotFound;
        };
        QTRY_VERIFY(gone());
        QTRY_COMPARE(rowOf(*page, u"TEMP-1"_s), -1);
        QVERIFY(page->messageText().contains(u"deleted"_s));
    }

    void stockAdjustmentWritesTheLedger()
    {
        auto page = openPage();
        QTRY_VERIFY(rowOf(*page, u"HOSE-25"_s) >= 0);
        const catalog::Product hose = stored(u"HOSE-25"_s);
        page->selectProduct(hose.id);
        action(*page, u"adjustStockAction"_s)->trigger();
        StockAdjustDialog *dialog = page->stockDialog();
        QVERIFY(dialog);
        QTRY_VERIFY(!dialog->isLoading());
        QCOMPARE(dialog->currentStock(), hose.stock);
        QVERIFY(!dialog->movements().isEmpty()); // the initial count
        QCOMPARE(dialog->movements().first().reason, u"initial"_s);

        auto *delta = dialog->findChild<QSpinBox *>(u"deltaSpin"_s);
        auto *ok = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
        QVERIFY(!ok->isEnabled()); // zero records nothing
        delta->setValue(-(hose.stock + 1));
        QVERIFY(!ok->isEnabled());
        QVERIFY(!dialog->errorText().isEmpty());
        delta->setValue(-5);
        QVERIFY(ok->isEnabled());
        QVERIFY(dialog->errorText().isEmpty());
        QCOMPARE(dialog->findChild<QLabel *>(u"resultingStockLabel"_s)->text(),
            QLocale().toString(hose.stock - 5));
        auto *reason = dialog->findChild<QComboBox *>(u"reasonCombo"_s);
        reason->setCurrentIndex(reason->findData(u"damage"_s));
        QVERIFY(reason->currentIndex() >= 0);
        dialog->findChild<QLineEdit *>(u"noteEdit"_s)->setText(u"dropped from the shelf"_s);
        ok->click();
        QTRY_VERIFY(!page->stockDialog());

        auto movements = m_service->movements(hose.id);
        QVERIFY(movements);
        QVERIFY(!movements->isEmpty());
        const catalog::StockMovement &latest = movements->first();
        QCOMPARE(latest.delta, -5);
        QCOMPARE(latest.stockAfter, hose.stock - 5);
        QCOMPARE(latest.reason, u"damage"_s);
        QCOMPARE(latest.note, u"dropped from the shelf"_s);
        QTRY_COMPARE(
            cell(*page, u"HOSE-25"_s, ProductTableModel::StockColumn), QLocale().toString(hose.stock - 5));
    }

    void changesElsewhereAppear()
    {
        auto page = openPage();
        QTRY_VERIFY(rowOf(*page, u"MUG-BLUE"_s) >= 0);
        QTRY_VERIFY(!page->isBusy());
        const catalog::Product mug = stored(u"MUG-BLUE"_s);
        page->selectProduct(mug.id);

        // Another instance (or the admin API) renames the mug and adds a product.
        catalog::ProductInput in;
        in.sku = mug.sku;
        in.name = u"Blue mug, large"_s;
        in.priceCents = 1450;
        in.categoryId = mug.categoryId;
        QVERIFY(m_service->updateProduct(mug.id, mug.version, in, m_actor));
        const qint64 bowl = create(u"BOWL-1"_s, u"Bowl"_s, 900, m_kitchen, 4).id;

        // The notification arrives on the listener's thread, twice (one per write).
        QtConcurrent::run([this, id = mug.id, bowl] {
            Q_EMIT m_events.changed(u"products"_s, {id});
            Q_EMIT m_events.changed(u"products"_s, {bowl});
        }).waitForFinished();
        QTRY_COMPARE(cell(*page, u"MUG-BLUE"_s, ProductTableModel::NameColumn), u"Blue mug, large"_s);
        QCOMPARE(cell(*page, u"MUG-BLUE"_s, ProductTableModel::PriceColumn), u"14.50 USD"_s);
        QTRY_VERIFY(rowOf(*page, u"BOWL-1"_s) >= 0);
        // The selection stayed on the mug.
        QCOMPARE(page->currentProduct().value_or(catalog::Product()).id, mug.id);

        // A new category shows in the filter after a "categories" change.
        QVERIFY(m_service->createCategory({u"outdoor"_s, u"Outdoor"_s, {}, 5}, m_actor));
        Q_EMIT m_events.changed(u"categories"_s, {});
        auto *combo = page->findChild<QComboBox *>(u"categoryFilter"_s);
        QTRY_VERIFY(combo->findText(u"Outdoor"_s) >= 0);
    }

    void categoriesDialogEditsCategories()
    {
        auto page = openPage();
        QTRY_VERIFY(!page->isBusy());
        action(*page, u"categoriesAction"_s)->trigger();
        CategoriesDialog *dialog = page->categoriesDialog();
        QVERIFY(dialog);
        QTRY_VERIFY(!dialog->isBusy());
        QVERIFY(dialog->categories().size() >= 2);
        auto *list = dialog->findChild<QTreeWidget *>(u"categoriesView"_s);
        QCOMPARE(list->topLevelItemCount(), int(dialog->categories().size()));

        dialog->newCategory();
        auto *name = dialog->findChild<QLineEdit *>(u"categoryNameEdit"_s);
        auto *slug = dialog->findChild<QLineEdit *>(u"categorySlugEdit"_s);
        QTest::keyClicks(name, u"Tea & Coffee"_s);
        QCOMPARE(slug->text(), u"tea-coffee"_s); // follows the name
        slug->clear();
        QTest::keyClicks(slug, u"hot-drinks"_s);
        QTest::keyClicks(name, u" Things"_s);
        QCOMPARE(slug->text(), u"hot-drinks"_s); // edited by hand: left alone
        dialog->findChild<QPushButton *>(u"saveCategoryButton"_s)->click();
        QTRY_VERIFY(!dialog->isBusy());
        QVERIFY2(dialog->fieldError(u"form"_s).isEmpty(), qPrintable(dialog->fieldError(u"form"_s)));
        QTRY_VERIFY(dialog->current() && dialog->current()->slug == u"hot-drinks"_s);
        const qint64 id = dialog->current()->id;

        // The page's filter learns of it.
        auto *combo = page->findChild<QComboBox *>(u"categoryFilter"_s);
        QTRY_VERIFY(combo->findData(id) >= 0);

        // A slug in use is the service's to refuse, shown under the field.
        dialog->newCategory();
        QTest::keyClicks(name, u"Garden"_s);
        dialog->findChild<QPushButton *>(u"saveCategoryButton"_s)->click();
        QTRY_VERIFY(!dialog->fieldError(u"slug"_s).isEmpty());

        dialog->selectCategory(id);
        ProductsPage::setNextAnswer(QMessageBox::Yes);
        dialog->findChild<QPushButton *>(u"deleteCategoryButton"_s)->click();
        QVERIFY(ProductsPage::lastQuestion().contains(u"Tea & Coffee Things"_s));
        QTRY_VERIFY(!dialog->isBusy());
        QTRY_COMPARE(list->topLevelItemCount(), int(dialog->categories().size()));
        QVERIFY(std::none_of(dialog->categories().cbegin(), dialog->categories().cend(),
                             [id](const catalog::Category &c) { return c.id == id; }));
        QTRY_COMPARE(combo->findData(id), -1);
    }

    void slugs_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("slug");
        QTest::addRow("words") << u"Kitchen Tools"_s << u"kitchen-tools"_s;
        QTest::addRow("accents") << u"Bäckerei & Café"_s << u"backerei-cafe"_s;
        QTest::addRow("edges") << u"  --Hello, World!-- "_s << u"hello-world"_s;
        QTest::addRow("digits") << u"Size 10 Shoes"_s << u"size-10-shoes"_s;
        QTest::addRow("nothing usable") << u"!!!"_s << QString();
    }

    void slugs()
    {
        QFETCH(QString, name);
        QFETCH(QString, slug);
        QCOMPARE(CategoriesDialog::slugify(name), slug);
    }

    void rendersWithData()
    {
        auto page = openPage(true);
        page->resize(850, 600); // its share of the main window's default size
        QTRY_VERIFY(!page->isBusy());
        QTRY_VERIFY(page->model()->rowCount() > 5);
        page->selectProduct(stored(u"HOSE-25"_s).id);
        const QImage image = page->grab().toImage();
        QVERIFY(!image.isNull());
        // SHOPDESK_SCREENSHOT_DIR=/tmp to look at the page and its dialogs.
        const QString dir = qEnvironmentVariable("SHOPDESK_SCREENSHOT_DIR");
        if (dir.isEmpty())
            return;
        QVERIFY(image.save(dir + u"/products.png"_s));

        action(*page, u"editProductAction"_s)->trigger();
        QVERIFY(page->editDialog());
        page->editDialog()->findChild<QLineEdit *>(u"priceEdit"_s)->setText(u"12.345"_s);
        page->editDialog()->accept();
        QVERIFY(page->editDialog()->grab().save(dir + u"/product-edit.png"_s));
        page->editDialog()->reject();
        QTRY_VERIFY(!page->editDialog());

        action(*page, u"adjustStockAction"_s)->trigger();
        QVERIFY(page->stockDialog());
        QTRY_VERIFY(!page->stockDialog()->isLoading());
        page->stockDialog()->findChild<QSpinBox *>(u"deltaSpin"_s)->setValue(-3);
        QVERIFY(page->stockDialog()->grab().save(dir + u"/stock-adjust.png"_s));
        page->stockDialog()->reject();

        action(*page, u"categoriesAction"_s)->trigger();
        QVERIFY(page->categoriesDialog());
        QTRY_VERIFY(!page->categoriesDialog()->isBusy());
        page->categoriesDialog()->selectCategory(m_garden);
        QVERIFY(page->categoriesDialog()->grab().save(dir + u"/categories.png"_s));
    }
};

QTEST_MAIN(TestProductsPage)
#include "tst_productspage.moc"
