// Exported figures keep what a paper needs: the SVG has every series name, axis title and panel title
// as text and one polyline per drawn line; the PDF renders (pdftoppm, as a reader would) to a non-blank
// page of the figure's size; PNG size follows the DPI; the CSV is figure_to_csv's, one row per point.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <QFile>
#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include "tests/views/figure_fixtures.h"
#include "views/figure_export.h"
#include "views/figure_view.h"

namespace zoolab {
namespace {

struct SvgContent {
  std::vector<QString> texts;
  // Per stroke colour ("#4e79a7"), the point counts of the polylines drawn with it.
  std::map<QString, std::vector<int>> polylines;
  int paths = 0;
};

// Reads the texts and polylines of an SVG written by QSvgGenerator, which puts pen attributes on
// enclosing <g> elements.
SvgContent readSvg(const QString& path) {
  SvgContent content;
  QFile file(path);
  EXPECT_TRUE(file.open(QIODevice::ReadOnly)) << path.toStdString();
  QXmlStreamReader xml(&file);
  std::vector<QString> strokes{QString()};
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement()) {
      const QString stroke = xml.attributes().value(QStringLiteral("stroke")).toString();
      strokes.push_back(stroke.isEmpty() ? strokes.back() : stroke);
      if (xml.name() == QLatin1String("text")) {
        content.texts.push_back(xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed());
        strokes.pop_back();  // readElementText consumed the end element
      } else if (xml.name() == QLatin1String("polyline")) {
        const QString points = xml.attributes().value(QStringLiteral("points")).toString();
        content.polylines[strokes.back().toLower()].push_back(
            static_cast<int>(points.split(QLatin1Char(' '), Qt::SkipEmptyParts).size()));
      } else if (xml.name() == QLatin1String("path")) {
        ++content.paths;
      }
    } else if (xml.isEndElement()) {
      strokes.pop_back();
    }
  }
  EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
  return content;
}

bool hasText(const SvgContent& svg, const std::string& text) {
  for (const QString& t : svg.texts) {
    if (t.contains(QString::fromStdString(text))) {
      return true;
    }
  }
  return false;
}

class FigureExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_dir.isValid());
    m_view.setFigure(m_figure);
  }
  QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }

  QTemporaryDir m_dir;
  Figure m_figure = testing::widthFigure();
  FigureView m_view;
};

TEST_F(FigureExportTest, SvgKeepsLegendAxisAndPanelTitlesAsTextAndALinePerSeries) {
  const QString out = path("figure.svg");
  ASSERT_EQ(exportFigure(m_view, out), QString());
  const SvgContent svg = readSvg(out);
  for (const FigurePanel& panel : m_figure.panels) {
    EXPECT_TRUE(hasText(svg, panel.title)) << panel.title;
    EXPECT_TRUE(hasText(svg, panel.x.title)) << panel.x.title;
    EXPECT_TRUE(hasText(svg, panel.y.title)) << panel.y.title;
    for (const FigureSeries& series : panel.series) {
      EXPECT_TRUE(hasText(svg, series.name)) << series.name;
    }
    for (const FigureMarker& marker : panel.markers) {
      EXPECT_TRUE(hasText(svg, marker.label)) << marker.label;
    }
  }
  EXPECT_TRUE(hasText(svg, m_figure.title));
  // Every line series is one polyline in its group's colour through all of its points.
  std::map<QString, std::multiset<int>> expected;
  for (size_t p = 0; p < m_figure.panels.size(); ++p) {
    for (const FigureSeries& series : m_figure.panels[p].series) {
      const QString colour = m_view.groupColour(QString::fromStdString(series.group)).name();
      expected[colour].insert(static_cast<int>(series.points.size()));
    }
  }
  ASSERT_EQ(expected.size(), 2u);
  for (const auto& [colour, counts] : expected) {
    std::multiset<int> drawn;
    for (const int n : svg.polylines.count(colour) ? svg.polylines.at(colour) : std::vector<int>{}) {
      if (n >= 3) {  // legend icons are 2-point lines of the same colour
        drawn.insert(n);
      }
    }
    EXPECT_EQ(drawn, counts) << colour.toStdString();
  }
}

TEST_F(FigureExportTest, PdfRendersToANonBlankPageOfTheFiguresSize) {
  const QString pdftoppm = QStandardPaths::findExecutable(QStringLiteral("pdftoppm"));
  if (pdftoppm.isEmpty()) {
    GTEST_SKIP() << "pdftoppm is missing: run packaging/install-deps.sh (it installs poppler-utils)";
  }
  const QString out = path("figure.pdf");
  FigureExportOptions options;
  options.width = 720;
  options.height = 360;
  ASSERT_EQ(exportFigure(m_view, out, options), QString());
  QProcess process;
  process.start(pdftoppm, {QStringLiteral("-png"), QStringLiteral("-r"), QStringLiteral("50"),
                           QStringLiteral("-singlefile"), out, path("page")});
  ASSERT_TRUE(process.waitForFinished(30000));
  ASSERT_EQ(process.exitCode(), 0) << process.readAllStandardError().toStdString();
  const QImage page(path("page.png"));
  ASSERT_FALSE(page.isNull());
  // The page is the figure's size in points (1/72 inch), rendered at 50 dpi.
  EXPECT_NEAR(page.width(), 720 * 50 / 72.0, 2.0);
  EXPECT_NEAR(page.height(), 360 * 50 / 72.0, 2.0);
  int inked = 0;
  int groupColoured = 0;
  const QColor attention = m_view.groupColour(QStringLiteral("attention"));
  for (int y = 0; y < page.height(); ++y) {
    for (int x = 0; x < page.width(); ++x) {
      const QColor c = page.pixelColor(x, y);
      inked += c.lightness() < 200 ? 1 : 0;
      groupColoured +=
          (std::abs(c.red() - attention.red()) < 40 && std::abs(c.green() - attention.green()) < 40 &&
           std::abs(c.blue() - attention.blue()) < 40)
              ? 1
              : 0;
    }
  }
  EXPECT_GT(inked, 500);         // axes, text and lines
  EXPECT_GT(groupColoured, 30);  // the attention lines themselves
}

TEST_F(FigureExportTest, PngSizeFollowsTheDpi) {
  FigureExportOptions options;
  options.dpi = 96;
  ASSERT_EQ(exportFigure(m_view, path("a.png"), options), QString());
  options.dpi = 192;
  ASSERT_EQ(exportFigure(m_view, path("b.png"), options), QString());
  const QImage low(path("a.png"));
  const QImage high(path("b.png"));
  ASSERT_FALSE(low.isNull());
  ASSERT_FALSE(high.isNull());
  EXPECT_EQ(low.size(), m_view.naturalSize());
  EXPECT_EQ(high.size(), 2 * m_view.naturalSize());
  EXPECT_NEAR(high.dotsPerMeterX() / 39.37, 192.0, 1.0);
}

TEST_F(FigureExportTest, CsvIsFigureToCsvWithOneRowPerPoint) {
  ASSERT_EQ(exportFigure(m_view, path("figure.csv")), QString());
  QFile file(path("figure.csv"));
  ASSERT_TRUE(file.open(QIODevice::ReadOnly));
  const QByteArray csv = file.readAll();
  EXPECT_EQ(csv.toStdString(), figure_to_csv(m_figure));
  size_t points = 0;
  for (const FigurePanel& panel : m_figure.panels) {
    for (const FigureSeries& series : panel.series) {
      points += series.points.size();
    }
  }
  EXPECT_EQ(static_cast<size_t>(csv.count('\n')), points + 1);  // a header, then the points
}

TEST_F(FigureExportTest, RefusesUnknownFormatsAndTablesAsPictures) {
  const QString jpg = path("figure.jpg");
  const QString error = exportFigure(m_view, jpg);
  EXPECT_TRUE(error.contains(jpg)) << error.toStdString();
  EXPECT_TRUE(error.contains(QStringLiteral(".jpg"))) << error.toStdString();
  EXPECT_FALSE(QFile::exists(jpg));

  FigureView table;
  table.setFigure(testing::tableFigure());
  const QString pdfError = exportFigure(table, path("table.pdf"));
  EXPECT_TRUE(pdfError.contains(QStringLiteral("CSV"))) << pdfError.toStdString();
  EXPECT_FALSE(QFile::exists(path("table.pdf")));
  ASSERT_EQ(exportFigure(table, path("table.csv")), QString());
  QFile csv(path("table.csv"));
  ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
  EXPECT_EQ(csv.readAll().toStdString(), figure_to_csv(testing::tableFigure()));

  const QString unwritable = path("missing-folder/figure.svg");
  EXPECT_TRUE(exportFigure(m_view, unwritable).contains(unwritable));
}

}  // namespace
}  // namespace zoolab
