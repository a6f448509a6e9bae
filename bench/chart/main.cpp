// shopdesk_benchchart — draws bench/catalog.sh's results as one PNG, offscreen.
//
//   shopdesk_benchchart --out chart.png [--title T] [--subtitle S] results.csv
//
// The CSV has a header line naming its columns; it needs `series,conns,rps,p50_ms,p99_ms`
// (any order, other columns ignored, an empty cell = no point). One colour per series, in
// order of first appearance. Left: p50 (solid) and p99 (dashed) latency against connections.
// Right: requests per second against connections (a zero is left out). All axes logarithmic.
// Runs with QT_QPA_PLATFORM=offscreen unless told otherwise: no display needed.

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCommandLineParser>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPen>
#include <QPixmap>
#include <QTextStream>
#include <QVBoxLayout>
#include <QWidget>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace {

struct Point
{
    double conns = 0;
    std::optional<double> rps, p50, p99;
};

struct Series
{
    QString name;
    std::vector<Point> points;
};

std::optional<double> number(const QString &cell)
{
    bool ok = false;
    const double v = cell.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v))
        return std::nullopt;
    return v;
}

QColor colourFor(const QString &name, int index)
{
    static const std::map<QString, QColor> known = {
        {QStringLiteral("cached"), QColor(0x1f, 0x77, 0xb4)},
        {QStringLiteral("uncached"), QColor(0xd6, 0x4f, 0x0e)},
        {QStringLiteral("nginx"), QColor(0x4d, 0x4d, 0x4d)},
    };
    if (auto it = known.find(name); it != known.end())
        return it->second;
    static const QColor others[] = {QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd),
                                    QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2)};
    return others[index % 4];
}

// A power of ten at or below / at or above v (v > 0).
double decadeBelow(double v) { return std::pow(10.0, std::floor(std::log10(v))); }
double decadeAbove(double v) { return std::pow(10.0, std::ceil(std::log10(v))); }

QLogValueAxis *connectionsAxis(double lo, double hi)
{
    auto *axis = new QLogValueAxis;
    axis->setBase(10);
    axis->setTitleText(QStringLiteral("concurrent connections (log scale)"));
    axis->setLabelFormat(QStringLiteral("%g"));
    axis->setRange(decadeBelow(lo) * 0.999, decadeAbove(hi * 1.0001) * 1.001);
    axis->setMinorTickCount(8);
    return axis;
}

QChart *newChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    QFont f = chart->titleFont();
    f.setPointSizeF(13);
    f.setBold(true);
    chart->setTitleFont(f);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries); // dashed p99 shows as dashed
    chart->setBackgroundRoundness(0);
    return chart;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("shopdesk_benchchart"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Draw bench/catalog.sh results as a PNG."));
    parser.addHelpOption();
    QCommandLineOption outOpt({QStringLiteral("o"), QStringLiteral("out")}, QStringLiteral("PNG to write"),
                              QStringLiteral("file"));
    QCommandLineOption titleOpt(QStringLiteral("title"), QStringLiteral("headline"), QStringLiteral("text"));
    QCommandLineOption subtitleOpt(QStringLiteral("subtitle"), QStringLiteral("line under the headline"),
                                   QStringLiteral("text"));
    QCommandLineOption widthOpt(QStringLiteral("width"), QStringLiteral("image width [1600]"), QStringLiteral("px"),
                                QStringLiteral("1600"));
    QCommandLineOption heightOpt(QStringLiteral("height"), QStringLiteral("image height [760]"),
                                 QStringLiteral("px"), QStringLiteral("760"));
    parser.addOptions({outOpt, titleOpt, subtitleOpt, widthOpt, heightOpt});
    parser.addPositionalArgument(QStringLiteral("csv"), QStringLiteral("series,conns,rps,p50_ms,p99_ms"));
    parser.process(app);
    if (parser.positionalArguments().size() != 1 || !parser.isSet(outOpt)) {
        std::fputs("usage: shopdesk_benchchart --out chart.png [--title T] [--subtitle S] results.csv\n", stderr);
        return 2;
    }

    // ---- read the CSV
    QFile file(parser.positionalArguments().first());
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(file.fileName()));
        return 1;
    }
    QTextStream in(&file);
    const QStringList header = in.readLine().split(u',');
    auto column = [&](const char *name) { return header.indexOf(QString::fromLatin1(name)); };
    const int cSeries = column("series"), cConns = column("conns"), cRps = column("rps"),
              cP50 = column("p50_ms"), cP99 = column("p99_ms");
    if (cSeries < 0 || cConns < 0 || cRps < 0 || cP50 < 0 || cP99 < 0) {
        std::fputs("the CSV header must name series, conns, rps, p50_ms, p99_ms\n", stderr);
        return 1;
    }
    std::vector<Series> series;
    while (!in.atEnd()) {
        const QString line = in.readLine();
        if (line.trimmed().isEmpty())
            continue;
        const QStringList cells = line.split(u',');
        auto cell = [&](int i) { return i < cells.size() ? cells[i] : QString(); };
        const auto conns = number(cell(cConns));
        if (!conns || *conns <= 0)
            continue;
        const QString name = cell(cSeries).trimmed();
        auto it = std::find_if(series.begin(), series.end(), [&](const Series &s) { return s.name == name; });
        if (it == series.end())
            it = series.insert(series.end(), Series{name, {}});
        it->points.push_back({*conns, number(cell(cRps)), number(cell(cP50)), number(cell(cP99))});
    }
    if (series.empty()) {
        std::fputs("no data rows in the CSV\n", stderr);
        return 1;
    }
    for (auto &s : series)
        std::sort(s.points.begin(), s.points.end(), [](const Point &a, const Point &b) { return a.conns < b.conns; });

    double cLo = std::numeric_limits<double>::max(), cHi = 0;
    double latLo = std::numeric_limits<double>::max(), latHi = 0, rpsHi = 0;
    double rpsLo = std::numeric_limits<double>::max();
    constexpr double kMinLatency = 0.01; // ms; a log axis cannot show 0
    for (const auto &s : series) {
        for (const auto &p : s.points) {
            cLo = std::min(cLo, p.conns);
            cHi = std::max(cHi, p.conns);
            for (const auto &v : {p.p50, p.p99}) {
                if (v) {
                    latLo = std::min(latLo, std::max(*v, kMinLatency));
                    latHi = std::max(latHi, std::max(*v, kMinLatency));
                }
            }
            if (p.rps && *p.rps > 0) {
                rpsHi = std::max(rpsHi, *p.rps);
                rpsLo = std::min(rpsLo, *p.rps);
            }
        }
    }
    if (latHi == 0) {
        latLo = 0.1;
        latHi = 1000;
    }

    // ---- latency chart
    QChart *latency = newChart(QStringLiteral("Latency: p50 (solid) and p99 (dashed)"));
    auto *latX = connectionsAxis(cLo, cHi);
    auto *latY = new QLogValueAxis;
    latY->setBase(10);
    latY->setTitleText(QStringLiteral("latency, ms (log scale)"));
    latY->setLabelFormat(QStringLiteral("%g"));
    latY->setRange(decadeBelow(latLo) * 0.999, decadeAbove(latHi * 1.0001) * 1.001);
    latY->setMinorTickCount(8);
    latency->addAxis(latX, Qt::AlignBottom);
    latency->addAxis(latY, Qt::AlignLeft);

    // ---- throughput chart
    QChart *throughput = newChart(QStringLiteral("Throughput"));
    auto *rpsX = connectionsAxis(cLo, cHi);
    // Log scale: the uncached server runs at a hundredth of the cached one.
    auto *rpsY = new QLogValueAxis;
    rpsY->setBase(10);
    rpsY->setTitleText(QStringLiteral("requests per second (log scale)"));
    rpsY->setLabelFormat(QStringLiteral("%g"));
    rpsY->setRange(rpsLo < rpsHi ? decadeBelow(rpsLo / 1.5) * 0.999 : 1, decadeAbove(std::max(rpsHi, 1.0) * 1.0001) * 1.001);
    rpsY->setMinorTickCount(8);
    throughput->addAxis(rpsX, Qt::AlignBottom);
    throughput->addAxis(rpsY, Qt::AlignLeft);

    int index = 0;
    for (const auto &s : series) {
        const QColor colour = colourFor(s.name, index++);
        auto addLine = [&](QChart *chart, QAbstractAxis *x, QAbstractAxis *y, const QString &label,
                           Qt::PenStyle style, auto value, bool pointLabels) {
            auto *line = new QLineSeries;
            line->setName(label);
            QPen pen(colour);
            pen.setWidthF(style == Qt::SolidLine ? 2.6 : 2.0);
            pen.setStyle(style);
            line->setPen(pen);
            line->setPointsVisible(true);
            for (const auto &p : s.points) {
                if (const auto v = value(p))
                    line->append(p.conns, *v);
            }
            if (pointLabels) {
                line->setPointLabelsVisible(true);
                line->setPointLabelsFormat(QStringLiteral("@yPoint"));
                line->setPointLabelsColor(colour);
                line->setPointLabelsClipping(false);
            }
            chart->addSeries(line);
            line->attachAxis(x);
            line->attachAxis(y);
        };
        addLine(latency, latX, latY, s.name + QStringLiteral(" p50"), Qt::SolidLine,
                [&](const Point &p) -> std::optional<double> {
                    return p.p50 ? std::optional(std::max(*p.p50, kMinLatency)) : std::nullopt;
                },
                false);
        addLine(latency, latX, latY, s.name + QStringLiteral(" p99"), Qt::DashLine,
                [&](const Point &p) -> std::optional<double> {
                    return p.p99 ? std::optional(std::max(*p.p99, kMinLatency)) : std::nullopt;
                },
                false);
        addLine(throughput, rpsX, rpsY, s.name, Qt::SolidLine,
                [&](const Point &p) -> std::optional<double> {
                    return p.rps && *p.rps >= 0.5 ? std::optional(std::round(*p.rps)) : std::nullopt;
                },
                true);
    }

    // ---- compose and save
    QWidget page;
    page.setAutoFillBackground(true);
    QPalette pal = page.palette();
    pal.setColor(QPalette::Window, Qt::white);
    page.setPalette(pal);
    auto *layout = new QVBoxLayout(&page);
    if (parser.isSet(titleOpt)) {
        auto *title = new QLabel(parser.value(titleOpt));
        QFont f = title->font();
        f.setPointSizeF(16);
        f.setBold(true);
        title->setFont(f);
        title->setAlignment(Qt::AlignCenter);
        layout->addWidget(title);
    }
    if (parser.isSet(subtitleOpt)) {
        auto *subtitle = new QLabel(parser.value(subtitleOpt));
        subtitle->setAlignment(Qt::AlignCenter);
        subtitle->setWordWrap(true);
        layout->addWidget(subtitle);
    }
    auto *charts = new QHBoxLayout;
    for (QChart *chart : {latency, throughput}) {
        auto *view = new QChartView(chart);
        view->setRenderHint(QPainter::Antialiasing);
        charts->addWidget(view, 1);
    }
    layout->addLayout(charts, 1);
    page.resize(parser.value(widthOpt).toInt(), parser.value(heightOpt).toInt());
    page.show();
    QApplication::processEvents();

    const QString out = parser.value(outOpt);
    if (!page.grab().save(out, "PNG")) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(out));
        return 1;
    }
    return 0;
}
