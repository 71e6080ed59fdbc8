#include "views/figure_export.h"

#include "views/qcustomplot_include.h"

#include <algorithm>

#include <QFileInfo>
#include <QSaveFile>
#include <QSvgGenerator>

#include "views/figure_view.h"
#include "zoolab_version.h"

namespace zoolab {

namespace {

// QCustomPlot's pixels are 1/96 inch on screen; savePng's scale turns them into device pixels.
constexpr double kScreenDpi = 96.0;

QString failure(const QString& path, const QString& reason) {
  return QStringLiteral("cannot export to %1: %2").arg(path, reason);
}

// Writes the whole file or nothing (QSaveFile: a temporary file renamed over the target).
QString writeText(const QString& path, const std::string& text) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    return failure(path, file.errorString());
  }
  file.write(text.data(), static_cast<qint64>(text.size()));
  if (!file.commit()) {
    return failure(path, file.errorString());
  }
  return QString();
}

QString writeSvg(QCustomPlot* plot, const Figure& figure, const QString& path, QSize size) {
  QSvgGenerator generator;
  generator.setFileName(path);
  generator.setSize(size);
  generator.setViewBox(QRect(QPoint(0, 0), size));
  generator.setResolution(static_cast<int>(kScreenDpi));
  generator.setTitle(QString::fromStdString(figure.title));
  generator.setDescription(QStringLiteral("zoolab dashboard %1").arg(QString::fromStdString(figure.name)));
  QCPPainter painter;
  if (!painter.begin(&generator)) {
    return failure(path, QStringLiteral("the file cannot be written"));
  }
  // toPainter draws in vector mode without cached label pixmaps, so every text stays a <text> element.
  plot->toPainter(&painter, size.width(), size.height());
  painter.end();
  return QString();
}

}  // namespace

QStringList figureExportSuffixes() {
  return {QStringLiteral("pdf"), QStringLiteral("svg"), QStringLiteral("png"), QStringLiteral("csv")};
}

QString figureExportFilters() {
  return QStringLiteral(
      "PDF, vector (*.pdf);;SVG, vector (*.svg);;PNG image (*.png);;CSV, every data point (*.csv)");
}

QString exportFigure(QCustomPlot* plot, const Figure& figure, const QString& path,
                     const FigureExportOptions& options, QSize naturalSize) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (!figureExportSuffixes().contains(suffix)) {
    return failure(path,
                   QStringLiteral("unsupported format \"%1\"; use a file name ending in .pdf, .svg, "
                                  ".png or .csv")
                       .arg(suffix.isEmpty() ? QStringLiteral("(no suffix)") : QLatin1Char('.') + suffix));
  }
  if (suffix == QLatin1String("csv")) {
    return writeText(path, figure_to_csv(figure));
  }
  if (figure.table) {
    return failure(path, QStringLiteral("\"%1\" is a table, which exports to CSV only; use a file name "
                                        "ending in .csv")
                             .arg(QString::fromStdString(figure.name)));
  }
  if (plot == nullptr) {
    return failure(path, QStringLiteral("no plot to draw"));
  }
  const QSize size(options.width > 0 ? options.width : naturalSize.width(),
                   options.height > 0 ? options.height : naturalSize.height());
  if (suffix == QLatin1String("svg")) {
    return writeSvg(plot, figure, path, size);
  }
  bool saved = false;
  if (suffix == QLatin1String("pdf")) {
    saved = plot->savePdf(path, size.width(), size.height(), QCP::epNoCosmetic,
                          QStringLiteral("zoolab %1").arg(QLatin1String(zoolab::kVersion)),
                          QString::fromStdString(figure.title));
  } else {
    const int dpi = std::clamp(options.dpi, FigureExportOptions::kMinDpi, FigureExportOptions::kMaxDpi);
    saved = plot->savePng(path, size.width(), size.height(), dpi / kScreenDpi, -1, dpi);
  }
  return saved ? QString() : failure(path, QStringLiteral("the file cannot be written"));
}

QString exportFigure(const FigureView& view, const QString& path, const FigureExportOptions& options) {
  return exportFigure(view.customPlot(), view.figure(), path, options, view.naturalSize());
}

}  // namespace zoolab
