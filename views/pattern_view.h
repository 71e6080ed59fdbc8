#pragma once

// The pattern viewer: what the sequence mixers of a model did with one example, one matrix at a
// time. Attention probabilities of a layer and head, a layer's mixing matrix M[i, j] = ‖∂y_i/∂x_j‖ and any
// other matrix a mixer captured are drawn as a heatmap (QCPColorMap) with a colour scale, the example's
// tokens on both axes (queries, their keys and values marked "q", "k", "v") and a cell's value on hover;
// the mouse wheel zooms and dragging pans. Convolution filters (kind "filter", (channels, taps)) are drawn
// per channel: the taps and their magnitude spectrum (engine/inspect/spectrum.h).
//
// Only the chosen matrix is drawn, so long sequences with many layers and heads stay fast; switching
// layer, kind, head or channel redraws from the records held, without reading the database.
//
// Its patterns come either from the caller (setPatterns: the Probe view's result) or from a run's stored
// evaluations (setDatabasePath + setRun: the Inspector's Patterns page), where step and example pickers
// choose among Store::pattern_steps and the examples stored at that step, and the example's tokens are
// regenerated from the run's configuration (engine/inspect/inspection.h). The view never opens the
// database: it asks its PatternFeed (views/pattern_feed.h, on the window's feed thread) for a run's steps,
// one step's records and the run's test split (loadRequested, one request at a time, and only while
// shown), and draws the answer (setData).

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <QList>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/store/records.h"
#include "views/pattern_feed.h"

class QCPColorMap;
class QCPColorScale;
class QCPGraph;
class QComboBox;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QShowEvent;
class QSpinBox;
class QStackedWidget;
class QWidget;

namespace zoolab {

class PatternView : public QWidget {
  Q_OBJECT

 public:
  // Child widgets carry these object names: "stepCombo", "exampleCombo", "layerCombo", "kindCombo",
  // "headCombo", "channelSpin", "heatmapPlot", "filterPlot", "patternMessage".
  explicit PatternView(QWidget* parent = nullptr);
  ~PatternView() override;

  // ---- Patterns given by the caller (the Probe view) ----
  // Shows one example's patterns (every layer, kind and head) of the sequence `tokens`; `queries` marks
  // the queries, their keys and their values on the axes. The layer, kind, head and channel shown stay
  // when the new patterns have them, so a re-run probe redraws the same matrix. Hides the step and
  // example pickers.
  void setPatterns(std::vector<PatternRecord> patterns, std::vector<int64_t> tokens,
                   std::vector<QueryFacts> queries = {});
  // Shows nothing but `message` (empty: a hint).
  void clear(const QString& message = {});

  // ---- A run's stored patterns (the Inspector's Patterns page) ----
  void setDatabasePath(const QString& path);
  const QString& databasePath() const { return m_databasePath; }
  // The run whose evaluations are shown (0: none); asked for now if visible, else when shown.
  void setRun(qint64 runId);
  qint64 runId() const { return m_runId; }
  // Rereads the run's steps (a training run stores patterns at every evaluation) and keeps the choice;
  // when hidden, on the next show.
  void refresh();
  // Another part of the inspector moved to evaluation `step`: the view shows it too if patterns were
  // stored there (rereading the steps first), and otherwise keeps its own.
  void followStep(qint64 step);
  QList<qint64> steps() const { return m_steps; }
  QList<qint64> examples() const;
  qint64 step() const { return m_step; }
  qint64 example() const { return m_example; }
  // False when the step or example is not stored. Another step is shown when the feed answers.
  bool setStep(qint64 step);
  bool setExample(qint64 example);
  // The feed's answer to loadRequested; an answer about another database or run is dropped.
  void setData(std::shared_ptr<const zoolab::PatternData> data);

  // ---- Which matrix ----
  QList<int> layers() const;
  QStringList kinds() const;  // of the shown layer
  QList<int> heads() const;   // of the shown layer and kind; {-1} when it is not per head
  int layer() const { return m_layer; }
  QString kind() const { return m_kind; }
  int head() const { return m_head; }
  int channel() const { return m_channel; }
  // False when the current patterns have no such layer, kind or head. Setting a layer or kind keeps the
  // kind, head and channel when it can.
  bool setLayer(int layer);
  bool setKind(const QString& kind);
  bool setHead(int head);
  void setChannel(int channel);  // clamped to the filter's channels

  // ---- The drawing, for tests, exports and screenshots ----
  // The record drawn, nullptr when none.
  const PatternRecord* shownPattern() const;
  // A filter kind is drawn as taps and spectrum of one channel instead of a heatmap.
  bool showsFilter() const { return m_showsFilter; }
  int shownRows() const;
  int shownCols() const;
  // The colour map's cells, row-major (shownRows() × shownCols()); empty for a filter.
  QVector<double> shownValues() const;
  // The filter channel's taps and magnitude spectrum (bins 0 .. taps / 2) as plotted.
  QVector<double> shownTaps() const;
  QVector<double> shownSpectrum() const;
  // A position's tick label: its token, marked "q " (a query), "k " (a queried key) or "v " (its value).
  QString tokenLabel(int position) const;
  const std::vector<int64_t>& tokens() const { return m_tokens; }
  // The heatmap cell under `pixel` (heatmapPlot() coordinates, laid out by the last replot).
  bool cellAt(const QPointF& pixel, int* row, int* col) const;
  // The hover tooltip of a cell: the row's and column's positions and tokens and the value.
  QString hoverText(int row, int col) const;
  QCustomPlot* heatmapPlot() const { return m_heatPlot; }
  QCustomPlot* filterPlot() const { return m_filterPlot; }
  QCPColorMap* colorMap() const { return m_colorMap; }
  QCPColorScale* colorScale() const { return m_colorScale; }
  // What the view says instead of (or above) a drawing: no patterns, no such run, an error.
  QString message() const;
  // How many times a matrix was drawn (tests check that switching redraws, and only once).
  int drawCount() const { return m_drawCount; }

  // A matrix was drawn (after any change of patterns or choice).
  Q_SIGNAL void patternShown();
  // Asks the feed for the run's steps and a step's records (answered by setData).
  Q_SIGNAL void loadRequested(const zoolab::PatternRequest& request);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void buildControls();
  void buildPlots();
  // Asks for the run's steps and the records of m_wantedStep, else m_step, else the latest (database
  // mode); when a request is unanswered, asks again when it is.
  void reloadRun();
  void showExample(qint64 example);
  // New patterns and tokens: refills the pickers, keeping what they showed where possible, and draws.
  void applyPatterns(std::vector<PatternRecord> patterns, std::vector<int64_t> tokens,
                     std::vector<QueryFacts> queries);
  void refreshPickers();
  void draw();
  void drawHeatmap(const PatternRecord& record);
  void drawFilter(const PatternRecord& record);
  void setMessage(const QString& message);
  void onHeatmapMouseMove(QMouseEvent* event);
  // The example's tokens in database mode (from the run's test split that the feed regenerated).
  bool exampleTokens(qint64 example, std::vector<int64_t>* tokens, std::vector<QueryFacts>* queries);

  // Given or loaded.
  std::vector<PatternRecord> m_patterns;
  std::vector<int64_t> m_tokens;
  std::map<int, QString> m_roles;  // position -> "q", "k" or "v"
  int m_layer = -1;
  QString m_kind;
  int m_head = -1;
  int m_channel = 0;
  bool m_showsFilter = false;
  int m_shown = -1;   // index in m_patterns
  int m_mapRows = 0;  // the colour map's matrix shape (0 while it draws nothing)
  int m_mapCols = 0;
  QVector<double> m_taps;
  QVector<double> m_spectrum;
  int m_drawCount = 0;
  bool m_updatingPickers = false;

  // Database mode.
  QString m_databasePath;
  qint64 m_runId = 0;
  bool m_databaseMode = false;
  bool m_stale = false;
  bool m_loading = false;  // a request is unanswered
  bool m_pending = false;  // ask again when it is answered
  QList<qint64> m_steps;
  qint64 m_step = -1;
  qint64 m_wantedStep = -1;  // followStep's or setStep's, asked for by the next reloadRun
  qint64 m_example = -1;
  std::vector<PatternRecord> m_stepPatterns;                 // every example of m_step
  std::shared_ptr<const std::vector<TokenSegment>> m_split;  // m_runId's test split, null: m_splitError
  QString m_splitError;

  QWidget* m_sourceBar = nullptr;
  QComboBox* m_stepCombo = nullptr;
  QComboBox* m_exampleCombo = nullptr;
  QComboBox* m_layerCombo = nullptr;
  QComboBox* m_kindCombo = nullptr;
  QComboBox* m_headCombo = nullptr;
  QLabel* m_channelLabel = nullptr;
  QSpinBox* m_channelSpin = nullptr;
  QLabel* m_message = nullptr;
  QStackedWidget* m_stack = nullptr;
  QCustomPlot* m_heatPlot = nullptr;
  QCPColorMap* m_colorMap = nullptr;
  QCPColorScale* m_colorScale = nullptr;
  QCustomPlot* m_filterPlot = nullptr;
  QCPGraph* m_tapsGraph = nullptr;
  QCPGraph* m_spectrumGraph = nullptr;
};

}  // namespace zoolab
