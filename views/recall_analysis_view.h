#pragma once

// Recall analysis: where a model's recall fails. Accuracy against the distance from a query back
// to its key (gap), against which context pair it asks for (kv index) and against a slice of the test set
// (num_kv_pairs, input_seq_len), one line per run so several runs can be overlaid, and a heatmap of
// accuracy by gap over the evaluations of one run (when did it learn to recall far back). Beside the plot
// the same numbers as tables.
//
// Every number comes from summarize_recall() and gap_history() (engine/inspect/recall_analysis.h), the
// functions `zoolab-cli inspect` prints, so the view and the CLI agree by construction; the view only
// draws them. plottedPoints() and heatmapValue() read the drawing back for tests.

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>

#include "engine/inspect/recall_analysis.h"
#include "views/figure_style.h"

class QCPAxisRect;
class QCPColorMap;
class QCPColorScale;
class QCPGraph;
class QCPLegend;
class QCPTextElement;
class QComboBox;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QStandardItemModel;
class QTableView;

namespace zoolab {

class RecallAnalysisView : public QWidget {
  Q_OBJECT

 public:
  // One run's summary of one record set.
  struct Run {
    qint64 id = 0;
    QString name;
    QColor colour;
    RecallSummary summary;
  };
  enum class Panel { Gap, KvIndex, Slice };
  // The numbers tables' raw values (display text is rounded).
  static constexpr int RawRole = Qt::UserRole + 1;
  enum SummaryColumn {
    SummaryRun,
    SummaryExamples,
    SummaryQueries,
    SummaryAccuracy,
    SummaryQueryAccuracy,
    SummaryMeanLoss,
    SummaryColumnCount
  };
  enum NumbersColumn {
    NumbersRun,
    NumbersGroup,
    NumbersValue,
    NumbersN,
    NumbersAccuracy,
    NumbersColumnCount
  };

  // Child widgets carry these object names: "recallPlot", "sliceCombo", "summaryTable", "numbersTable",
  // "messageLabel".
  explicit RecallAnalysisView(QWidget* parent = nullptr);
  ~RecallAnalysisView() override;

  // The runs to draw, the first one in front. Keeps the chosen slice key when the runs still have it.
  void setRuns(std::vector<Run> runs);
  const std::vector<Run>& runs() const { return m_runs; }
  // The heatmap: accuracy by gap over the evaluations of run `runId` (gap_history of its tracked sets).
  void setHistory(qint64 runId, const QString& name, GapHistory history);
  const GapHistory& history() const { return m_history; }
  // Nothing to draw; `message` says why.
  void clear(const QString& message = {});
  void setMessage(const QString& message);

  // The slice key of the third panel ("num_kv_pairs", ...).
  QString sliceKey() const;
  bool setSliceKey(const QString& key);
  void setFigureStyle(const FigureStyle& style);

  // ---- The drawing, for tests ----
  // (x, accuracy) of run `runId`'s line in `panel`, as drawn; empty when the run is not drawn.
  QVector<QPointF> plottedPoints(Panel panel, qint64 runId) const;
  // The heatmap's cell at (epoch, gap) as drawn (NaN where no query, or outside the map).
  double heatmapValue(int64_t epoch, int64_t gap) const;
  QCustomPlot* customPlot() const { return m_plot; }
  QCPColorMap* heatmap() const { return m_heatmap; }
  QCPColorScale* colourScale() const { return m_colourScale; }
  QCPAxisRect* panelRect(Panel panel) const;
  QCPAxisRect* heatmapRect() const { return m_heatmapRect; }
  QStandardItemModel* summaryModel() const { return m_summaryModel; }
  QStandardItemModel* numbersModel() const { return m_numbersModel; }
  QComboBox* sliceCombo() const { return m_sliceCombo; }
  QLabel* messageLabel() const { return m_message; }
  // The tooltip text at a pixel of customPlot() (a point's run, value, n and accuracy; a heatmap cell).
  QString toolTipAt(const QPointF& pixel) const;

 private:
  struct Drawn {
    QCPGraph* graph = nullptr;
    Panel panel = Panel::Gap;
    size_t run = 0;
    std::vector<AccuracyBin> bins;
  };

  void buildLayout();
  void redrawCurves();
  void redrawHeatmap();
  void fillTables();
  void rebuildSliceCombo();
  void styleRect(QCPAxisRect* rect, const QString& xLabel, const QString& yLabel);
  void onMouseMove(QMouseEvent* event);

  std::vector<Run> m_runs;
  GapHistory m_history;
  qint64 m_historyRun = 0;
  QString m_historyName;
  FigureStyle m_style;
  std::vector<Drawn> m_drawn;

  QCustomPlot* m_plot = nullptr;
  std::map<Panel, QCPAxisRect*> m_rects;
  std::map<Panel, QCPTextElement*> m_titles;
  QCPAxisRect* m_heatmapRect = nullptr;
  QCPTextElement* m_heatmapTitle = nullptr;
  QCPColorMap* m_heatmap = nullptr;
  QCPColorScale* m_colourScale = nullptr;
  QCPLegend* m_legend = nullptr;
  QComboBox* m_sliceCombo = nullptr;
  QLabel* m_message = nullptr;
  QStandardItemModel* m_summaryModel = nullptr;
  QStandardItemModel* m_numbersModel = nullptr;
  QTableView* m_summaryTable = nullptr;
  QTableView* m_numbersTable = nullptr;
};

}  // namespace zoolab
