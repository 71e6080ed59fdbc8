#pragma once

// Where a text model's perplexity goes (the paper's first finding, docs/reference.md#text-runs-and-ar-hits):
// a table of the validation tokens sliced into overall / AR hits / other, AR hits by the bigram's
// training frequency and by the distance back to its previous occurrence (tokens, share of all tokens,
// mean loss and perplexity per run), a bar chart of perplexity overall / AR hits / other per run, and
// between two runs the gap decomposition: the perplexity gap, and the share of the summed loss difference
// that falls on AR hits against their share of the tokens.
//
// Every number comes from analyze_token_losses() and compare_token_losses() (engine/text/ar_hits.h),
// the functions `zoolab-cli analyze --json` prints, so the view and the CLI agree by construction.

#include <cstdint>
#include <optional>
#include <vector>

#include <QColor>
#include <QString>
#include <QWidget>

#include "engine/text/ar_hits.h"

class QCPBars;
class QCPBarsGroup;
class QCustomPlot;
class QLabel;
class QStandardItemModel;
class QTableView;

namespace zoolab {

class TextSlicesView : public QWidget {
  Q_OBJECT

 public:
  struct Run {
    qint64 id = 0;
    QString name;
    QColor colour;
    TextAnalysis analysis;
  };
  // The table's raw values (display text is rounded) and each row's slice name ("ar_hits", ...).
  static constexpr int RawRole = Qt::UserRole + 1;
  static constexpr int SliceRole = Qt::UserRole + 2;
  // Per run, these columns follow the slice column: run r's column c is 1 + r · RunColumnCount + c.
  enum RunColumn { Tokens, Share, MeanLoss, Perplexity, RunColumnCount };
  // The bar chart's groups, left to right.
  enum Group { Overall, ArHits, Other, GroupCount };

  // Child widgets carry these object names: "slicesTable", "slicesPlot", "gapLabel", "messageLabel".
  explicit TextSlicesView(QWidget* parent = nullptr);
  ~TextSlicesView() override;

  // The runs to tabulate and plot, in this order (run A first).
  void setRuns(std::vector<Run> runs);
  const std::vector<Run>& runs() const { return m_runs; }
  // The decomposition of the gap between run A and run B (compare_token_losses(A, B) with the analysis
  // options' `frequencyCutoff`, which the text names).
  void setGap(const GapDecomposition& gap, const QString& nameA, const QString& nameB,
              uint64_t frequencyCutoff = AnalysisOptions{}.frequency_cutoff);
  // No decomposition; `message` says why (no run B, other validation tokens...).
  void clearGap(const QString& message = {});
  const std::optional<GapDecomposition>& gap() const { return m_gap; }
  void clear(const QString& message = {});
  void setMessage(const QString& message);

  // The text a slice's row starts with ("overall", "AR hits", "AR hits · train_count<1000"...).
  static QString sliceLabel(const std::string& name);
  // The column of run `run`'s `column` in the table.
  static int column(int run, RunColumn column) { return 1 + run * RunColumnCount + column; }
  // The row of slice `name` ("ar_hits"), or -1.
  int row(const std::string& name) const;

  // The bar chart's value of run `runId` in `group` (NaN when not drawn or no tokens).
  double barValue(qint64 runId, Group group) const;
  QStandardItemModel* model() const { return m_model; }
  QTableView* table() const { return m_table; }
  QCustomPlot* customPlot() const { return m_plot; }
  QLabel* gapLabel() const { return m_gapLabel; }
  QLabel* messageLabel() const { return m_message; }

 private:
  void fillTable();
  void redrawBars();

  std::vector<Run> m_runs;
  std::optional<GapDecomposition> m_gap;
  std::vector<QCPBars*> m_bars;  // per run, in m_runs' order

  QStandardItemModel* m_model = nullptr;
  QTableView* m_table = nullptr;
  QCustomPlot* m_plot = nullptr;
  QCPBarsGroup* m_group = nullptr;
  QLabel* m_gapLabel = nullptr;
  QLabel* m_message = nullptr;
};

}  // namespace zoolab
