#include "demoseed.h"

#include "db/database.h"

#include <QElapsedTimer>
#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace shop::catalog {

namespace {

struct DemoCategory
{
    const char *slug;
    const char *name;
    const char *description;
    const char *skuPrefix;
    qint64 minCents;
    qint64 maxCents;
    QList<const char *> brands;
    QList<const char *> items;
    QList<const char *> variants;
    QList<const char *> features;
};

const QList<DemoCategory> &demoCategories()
{
    static const QList<DemoCategory> categories = {
        {"electronics", "Electronics", "Headphones, speakers, cables and the gadgets around them", "ELEC", 999, 149999,
         {"Voltix", "Nordwave", "Aurion", "Kestrel", "Lumio", "Zentra"},
         {"Wireless Headphones", "Bluetooth Speaker", "USB-C Cable", "4K Monitor", "Mechanical Keyboard",
          "Gaming Mouse", "Smartwatch", "Tablet", "Laptop Stand", "Power Bank", "Webcam", "Noise-Cancelling Earbuds",
          "Portable SSD", "Smart Bulb", "E-Reader", "Wi-Fi Router"},
         {"Pro", "Max", "Mini", "Air", "Plus", "Lite", "X2", "S"},
         {"all-day battery", "fast charging", "a two-year warranty", "low-latency Bluetooth 5.3", "an aluminium body",
          "USB-C everywhere"}},
        {"clothing", "Clothing", "Everyday wear for every season", "CLTH", 1299, 24999,
         {"Fieldhouse", "Marlow & Finch", "Northloop", "Selvedge Co.", "Tidewell"},
         {"Merino T-Shirt", "Denim Jacket", "Rain Shell", "Chino Trousers", "Wool Sweater", "Linen Shirt", "Hoodie",
          "Running Shorts", "Puffer Vest", "Oxford Shirt", "Cargo Pants", "Beanie"},
         {"Slim", "Relaxed", "Classic", "Organic", "Heavyweight", "Packable"},
         {"organic cotton", "a relaxed fit", "reinforced seams", "recycled fabric", "machine-washable wool",
          "a water-repellent finish"}},
        {"home", "Home", "Kitchen, living and everything that makes a home", "HOME", 799, 59999,
         {"Hearth & Oak", "Kinfolk Living", "Brightnest", "Stillwater", "Porcelane"},
         {"Cast Iron Skillet", "French Press", "Linen Duvet Cover", "Table Lamp", "Ceramic Vase", "Chef's Knife",
          "Throw Blanket", "Espresso Cups (set of 4)", "Cutting Board", "Wall Clock", "Storage Baskets", "Scented Candle"},
         {"Large", "Small", "Set", "Stoneware", "Walnut", "Matte"},
         {"dishwasher-safe materials", "hand-finished detail", "sustainably sourced wood", "a lifetime guarantee",
          "a timeless design"}},
        {"books", "Books", "Fiction, non-fiction and beautiful editions", "BOOK", 599, 5999,
         {"Harbor Press", "Quillfield", "Lantern Books", "Greywood"},
         {"Field Guide to Birds", "Modern Baking", "The Quiet Coast", "Atlas of Small Islands", "Learning Python",
          "Stoic Letters", "A History of Maps", "Night Garden", "The Clockmaker's Daughter", "Everyday Sourdough"},
         {"Hardcover", "Paperback", "Illustrated Edition", "Second Edition", "Pocket Edition"},
         {"sewn binding", "full-colour illustrations", "a new foreword", "an index and glossary", "acid-free paper"}},
        {"sports", "Sports", "Gear for the gym, the trail and the pitch", "SPRT", 999, 89999,
         {"Peakform", "Stride", "Ironbark", "Velocity", "Summit Supply"},
         {"Yoga Mat", "Trail Running Shoes", "Adjustable Dumbbells", "Cycling Helmet", "Insulated Water Bottle",
          "Tennis Racket", "Resistance Bands", "Hiking Backpack", "Football", "Jump Rope", "Foam Roller"},
         {"Pro", "Trail", "Studio", "Elite", "Junior", "XL"},
         {"a non-slip grip", "breathable mesh", "a lightweight frame", "sweat-resistant materials", "tested by coaches"}},
        {"toys", "Toys", "Toys and games for curious minds", "TOYS", 499, 19999,
         {"Tinker Town", "Bright Bricks", "Owl & Acorn", "Puzzlewood"},
         {"Wooden Train Set", "Building Blocks", "Jigsaw Puzzle (1000 pieces)", "Plush Fox", "Marble Run",
          "Board Game", "Kite", "Science Kit", "Doll House", "Remote-Control Car"},
         {"Classic", "Deluxe", "Travel", "Starter", "Family"},
         {"non-toxic paints", "ages 3 and up", "rounded edges", "a storage box", "endless replay value"}},
        {"beauty", "Beauty", "Skincare, haircare and small luxuries", "BEAU", 499, 12999,
         {"Botanica", "Lune", "Fairmont Apothecary", "Petal & Stone"},
         {"Face Serum", "Hand Cream", "Shampoo Bar", "Lip Balm", "Clay Mask", "Body Oil", "Eau de Parfum",
          "Sunscreen SPF 50", "Hair Brush", "Bath Salts"},
         {"Travel Size", "Rich", "Fragrance-Free", "Refill", "Sensitive"},
         {"vegan ingredients", "no parabens", "a recyclable bottle", "dermatologist testing", "a light citrus scent"}},
        {"garden", "Garden", "Tools, seeds and outdoor living", "GARD", 399, 69999,
         {"Greenthumb", "Rootstock", "Meadowlark", "Fernhill"},
         {"Pruning Shears", "Herb Seed Kit", "Watering Can", "Raised Garden Bed", "Garden Hose (25 m)",
          "Compost Bin", "Solar Lanterns", "Terracotta Pot", "Bird Feeder", "Kneeling Pad"},
         {"Large", "Compact", "Heritage", "Deluxe", "Eco"},
         {"rust-proof steel", "UV-stable plastic", "an ergonomic handle", "frost-hardy seeds", "FSC-certified wood"}},
    };
    return categories;
}

// COPY text format: tab-separated, backslash escapes.
void appendField(QByteArray &out, const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
}

template<typename T>
const T &pick(QRandomGenerator &random, const QList<T> &list)
{
    return list.at(qsizetype(random.bounded(quint32(list.size()))));
}

qint64 priceIn(QRandomGenerator &random, qint64 minCents, qint64 maxCents)
{
    // Prices cluster low like a real catalog (squared uniform), then end in .99, .49
    // or .00 as shop prices do.
    const double u = random.generateDouble();
    const qint64 raw = minCents + qint64(double(maxCents - minCents) * u * u);
    static const int endings[] = {99, 99, 99, 49, 0};
    const int ending = endings[random.bounded(5)];
    return qMax<qint64>(minCents, raw / 100 * 100 + ending);
}

int stockFor(QRandomGenerator &random)
{
    const int roll = int(random.bounded(100));
    if (roll < 4)
        return 0; // sold out
    if (roll < 14)
        return 1 + int(random.bounded(5)); // running low
    return 6 + int(random.bounded(245));
}

} // namespace

Result<SeedReport> seedDemo(db::Database &database, int productCount)
{
    QElapsedTimer timer;
    timer.start();
    auto conn = database.acquire(std::chrono::seconds(30));
    if (!conn)
        return std::unexpected(conn.error());
    db::Transaction tx(*conn);
    if (auto ok = tx.begin(); !ok)
        return std::unexpected(ok.error());

    const auto &categories = demoCategories();
    SeedReport report;
    QList<qint64> categoryIds;
    int order = 0;
    for (const DemoCategory &c : categories) {
        auto upsert = conn->query(u"WITH ins AS (INSERT INTO categories (slug, name, description, sort_order)"
                                  " VALUES (:slug, :name, :description, :sort) ON CONFLICT (slug) DO NOTHING"
                                  " RETURNING id)"
                                  " SELECT id, true FROM ins UNION ALL"
                                  " SELECT id, false FROM categories WHERE slug = :slug"_s);
        upsert.bind(u":slug"_s, QString::fromLatin1(c.slug));
        upsert.bind(u":name"_s, QString::fromLatin1(c.name));
        upsert.bind(u":description"_s, QString::fromUtf8(c.description));
        upsert.bind(u":sort"_s, (order++) * 10);
        if (auto ok = upsert.exec(); !ok)
            return std::unexpected(ok.error());
        if (!upsert.next())
            return fail(Error::internal(u"category %1 was neither created nor found"_s.arg(QLatin1StringView(c.slug))));
        categoryIds.append(upsert.value(0).toLongLong());
        if (upsert.value(1).toBool())
            ++report.categoriesAdded;
    }

    if (auto ok = conn->execute(u"CREATE TEMP TABLE seed_products (n integer, sku text, name text, description text,"
                                " price_cents bigint, category_id bigint, stock integer, image_url text)"
                                " ON COMMIT DROP"_s);
        !ok)
        return std::unexpected(ok.error());

    // The same seed every time: running again with a larger --products regenerates
    // the same first rows (skipped as existing SKUs) and appends the rest.
    QRandomGenerator random(20261124);
    QByteArray data;
    data.reserve(qsizetype(productCount) * 260);
    for (int n = 1; n <= productCount; ++n) {
        const qsizetype index = (n - 1) % categories.size();
        const DemoCategory &c = categories.at(index);
        const QString brand = QString::fromUtf8(pick(random, c.brands));
        const QString item = QString::fromUtf8(pick(random, c.items));
        const QString variant = QString::fromUtf8(pick(random, c.variants));
        const QString feature1 = QString::fromUtf8(pick(random, c.features));
        QString feature2 = QString::fromUtf8(pick(random, c.features));
        if (feature2 == feature1)
            feature2 = QString::fromUtf8(c.features.first());
        const QString name = brand + u' ' + item + u' ' + variant;
        const QString description = u"The %1 %2 from %3, with %4 and %5. Part of our %6 range."_s.arg(
            variant, item, brand, feature1, feature2, QString::fromLatin1(c.name).toLower());
        const qint64 price = priceIn(random, c.minCents, c.maxCents);
        const int stock = stockFor(random);
        // Most demo products have the category's illustration; some have none, as in
        // a real shop, and the storefront shows its placeholder.
        const bool image = random.bounded(10) != 0;

        data += QByteArray::number(n) + '\t';
        data += QByteArray(c.skuPrefix) + '-' + QByteArray::number(n).rightJustified(6, '0') + '\t';
        appendField(data, name);
        data += '\t';
        appendField(data, description);
        data += '\t' + QByteArray::number(price) + '\t' + QByteArray::number(categoryIds.at(index)) + '\t'
                + QByteArray::number(stock) + '\t';
        if (image)
            data += "/assets/img/products/" + QByteArray(c.slug) + ".svg";
        data += '\n';
    }
    if (auto ok = conn->copyIn(u"COPY seed_products FROM STDIN"_s, data); !ok)
        return std::unexpected(ok.error());

    // Ids follow n, so a fresh demo database has products 1..N (the load bench asks
    // for random ids in that range). Initial stock goes into the ledger.
    auto insert = conn->query(u"WITH ins AS ("
                              "  INSERT INTO products (sku, name, description, price_cents, category_id, stock,"
                              "                       image_url)"
                              "  SELECT sku, name, description, price_cents, category_id, stock, image_url"
                              "    FROM seed_products ORDER BY n"
                              "  ON CONFLICT (sku) DO NOTHING RETURNING id, stock),"
                              " led AS (INSERT INTO inventory_movements (product_id, delta, stock_after, reason,"
                              "                                         actor_label)"
                              "  SELECT id, stock, stock, 'initial', 'seed-demo' FROM ins WHERE stock > 0)"
                              " SELECT count(*) FROM ins"_s);
    if (auto ok = insert.exec(); !ok)
        return std::unexpected(ok.error());
    report.productsAdded = insert.next() ? insert.value(0).toLongLong() : 0;

    auto total = conn->query(u"SELECT count(*) FROM products"_s);
    if (auto ok = total.exec(); !ok)
        return std::unexpected(ok.error());
    report.productsTotal = total.next() ? total.value(0).toLongLong() : 0;
    if (auto ok = tx.commit(); !ok)
        return std::unexpected(ok.error());
    if (auto ok = conn->execute(u"ANALYZE products"_s); !ok)
        return std::unexpected(ok.error());
    report.seconds = double(timer.elapsed()) / 1000;
    return report;
}

} // namespace shop::catalog
