#pragma once

// The text inspector: one validation sequence of a text run as wrapped text, each token
// coloured by its loss, AR hits underlined (engine/text/ar_hits.h: the bigram (previous token, token)
// occurred earlier in the sequence), the colour scale in a legend. Hovering a token (or making it
// current by click or arrow keys) tells its text and id, position, loss, perplexity contribution,
// whether it is an AR hit, the distance back to the bigram's previous occurrence and the bigram's count
// in the training split. With a second run on the same validation tokens: both side by side on one
// colour scale, or one view coloured by loss A − loss B on a diverging scale.
//
// It takes plain data (TokenLossSet, a vocabulary of token bytes) and reads no database: the window's
// TextFeed (views/text_feed.h) loads and decodes. Keys: PgUp/PgDn previous/next sequence, Left/Right the
// current token (between AR hits only while "AR hits only" is on).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <QString>
#include <QWidget>

#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"
#include "views/text_token_canvas.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QScrollArea;
class QSpinBox;

namespace zoolab {

// The colour scale's legend: a bar from its minimum to its maximum with the ends (and zero) labelled,
// and a sample of the AR-hit underline.
class TextColourLegend : public QWidget {
  Q_OBJECT

 public:
  explicit TextColourLegend(QWidget* parent = nullptr);
  void setScale(const TextColourScale& scale);
  const TextColourScale& scale() const { return m_scale; }
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return sizeHint(); }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  TextColourScale m_scale;
};

class TextTokenView : public QWidget {
  Q_OBJECT

 public:
  // A run's per-token losses and how to spell its tokens: `vocabulary[id]` is token id's bytes
  // (BpeTokenizer::token_bytes); null or too short: tokens show as their ids.
  struct Run {
    qint64 id = 0;
    QString name;
    std::shared_ptr<const TokenLossSet> losses;
    std::shared_ptr<const std::vector<std::string>> vocabulary;
  };
  enum class Mode { Loss, SideBySide, Difference };

  // Child widgets carry these object names: "sequenceSpin", "previousButton", "nextButton",
  // "sequenceLabel", "modeCombo", "arHitsOnlyCheck", "legend", "canvasA", "canvasB", "titleA",
  // "titleB", "infoLabel", "messageLabel".
  explicit TextTokenView(QWidget* parent = nullptr);
  ~TextTokenView() override;

  // Shows run `a`, and `b` beside or against it when given. B must have A's validation tokens (the same
  // shards, split and context length); otherwise only A is shown and the message says why. Keeps the
  // sequence and the mode where it can.
  void setRuns(Run a, std::optional<Run> b = std::nullopt);
  void clear(const QString& message = {});
  const Run& runA() const { return m_a; }
  bool hasRunB() const { return m_b.has_value(); }
  QString message() const;

  int sequenceCount() const;
  int sequence() const { return m_sequence; }
  bool setSequence(int sequence);
  Mode mode() const { return m_mode; }
  // SideBySide and Difference need run B; without it the view shows A's losses.
  void setMode(Mode mode);
  bool arHitsOnly() const;
  void setArHitsOnly(bool only);

  // The current sequence's AR-hit classification (classify_ar_hits), by position.
  const std::vector<ArHit>& arHits() const { return m_hits; }
  // What colours position `position` of the current sequence in canvas A: loss A, or loss A − loss B
  // in Difference mode (NaN at position 0).
  double valueAt(int position) const;
  // The sentence the tooltip and the info line give for a position of the current sequence.
  QString describe(int position) const;
  // The token at `position` as displayed.
  QString tokenText(int position) const;

  TextTokenCanvas* canvasA() const { return m_canvasA; }
  TextTokenCanvas* canvasB() const { return m_canvasB; }
  TextColourLegend* legend() const { return m_legend; }
  QSpinBox* sequenceSpin() const { return m_sequenceSpin; }
  QComboBox* modeCombo() const { return m_modeCombo; }
  QCheckBox* arHitsOnlyCheck() const { return m_arHitsOnly; }
  QLabel* infoLabel() const { return m_info; }
  QLabel* sequenceLabel() const { return m_sequenceLabel; }

  Q_SIGNAL void sequenceChanged(int sequence);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;  // the scroll areas' viewports resize

 private:
  void rebuild();      // the cells of the current sequence, in every canvas
  void updateScale();  // from the whole set(s), so colours mean the same in every sequence
  void updateModeCombo();
  void onCurrentChanged(int index);
  void fitCanvas(QScrollArea* area, TextTokenCanvas* canvas);
  float lossOf(const Run* run, int position) const;  // NaN without the run or at position 0
  int64_t offset(int position) const {
    return static_cast<int64_t>(m_sequence) * m_a.losses->length + position;
  }

  Run m_a;
  std::optional<Run> m_b;
  int m_sequence = 0;
  Mode m_mode = Mode::Loss;
  std::vector<ArHit> m_hits;
  TextColourScale m_lossScale;
  TextColourScale m_differenceScale{TextColourScale::Kind::Difference, 1.0};
  // Of run A (and B) over every sequence: the perplexity contribution of one token is e^(loss / N).
  int64_t m_predictedA = 0;
  double m_lossSumA = 0.0;
  int64_t m_predictedB = 0;
  QString m_message;

  QSpinBox* m_sequenceSpin = nullptr;
  QPushButton* m_previous = nullptr;
  QPushButton* m_next = nullptr;
  QLabel* m_sequenceLabel = nullptr;
  QComboBox* m_modeCombo = nullptr;
  QCheckBox* m_arHitsOnly = nullptr;
  TextColourLegend* m_legend = nullptr;
  QLabel* m_titleA = nullptr;
  QLabel* m_titleB = nullptr;
  QScrollArea* m_areaA = nullptr;
  QScrollArea* m_areaB = nullptr;
  QWidget* m_columnB = nullptr;  // B's title and text, shown side by side only
  TextTokenCanvas* m_canvasA = nullptr;
  TextTokenCanvas* m_canvasB = nullptr;
  QLabel* m_info = nullptr;
  QLabel* m_messageLabel = nullptr;
  bool m_syncing = false;
};

}  // namespace zoolab
