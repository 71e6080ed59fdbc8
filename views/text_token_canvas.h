#pragma once

// One validation sequence of a text run drawn as wrapped text (the text inspector's body): each
// token a box coloured by a value (its loss, or loss A − loss B), AR hits underlined, the current token
// framed and, when it is an AR hit, the earlier occurrence of its bigram framed dashed (the "copy" the
// model could have made). Painted by hand like TokenStrip: a 2,048-token sequence is one widget, not
// thousands of labels. It wraps to its width (heightForWidth), so it lives in a resizable scroll area.
//
// Keys: Left/Right (Home/End) move the current token (only between AR hits while "AR hits only" dims
// the others); PgUp/PgDn ask the owner for the previous/next sequence.

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <QColor>
#include <QRect>
#include <QString>
#include <QWidget>

namespace zoolab {

// The colour scales of the text views. Loss: sequential (ColorBrewer YlOrRd), pale for a token the model
// predicted well, dark red for one it did not, so the eye goes to the costly tokens. Difference: diverging
// (ColorBrewer RdBu reversed), blue where run A's loss is lower than B's, red where it is higher, white
// where they agree; symmetric, so equal colours mean equal magnitudes either way. Both print in grey as
// a lightness ramp (loss) or a V (difference).
struct TextColourScale {
  enum class Kind { Loss, Difference };
  Kind kind = Kind::Loss;
  double limit = 1.0;  // Loss: 0 .. limit; Difference: −limit .. limit; values beyond are clamped

  // An invalid QColor for NaN (no prediction: position 0).
  QColor colour(double value) const;
  // "loss (nats)" or "loss A − loss B (nats)".
  QString title() const;
  double minimum() const { return kind == Kind::Loss ? 0.0 : -limit; }
  double maximum() const { return limit; }
  // A limit for `values` (their 98th percentile of the magnitude, rounded up to a readable step), so
  // one outlier does not wash out every other token's colour.
  static double limitFor(std::vector<double> magnitudes, Kind kind);
};

// Black or white, whichever reads better on `background`.
QColor textColourOn(const QColor& background);

// A token's bytes as shown: UTF-8 text with a newline as "↵" (and the line broken after it), a tab as
// "⇥", other control characters and bytes that are not valid UTF-8 (a token may hold part of a
// character) as \xNN, and a token of spaces only as "·" per space, so no token is an empty box.
QString displayTokenText(const std::string& bytes, bool* endsLine = nullptr);

class TextTokenCanvas : public QWidget {
  Q_OBJECT

 public:
  struct Cell {
    QString text;                                             // as displayed (displayTokenText)
    bool lineBreak = false;                                   // the next token starts a new line
    double value = std::numeric_limits<double>::quiet_NaN();  // what the colour shows
    bool arHit = false;
    bool dimmed = false;  // drawn without colour ("AR hits only")
  };
  // A cell's tooltip, asked for when the user hovers it: formatting one for every token up front would
  // cost thousands of strings per sequence change for the one or two a user reads.
  using ToolTipSource = std::function<QString(int index)>;

  explicit TextTokenCanvas(QWidget* parent = nullptr);

  void setCells(std::vector<Cell> cells, const TextColourScale& scale);
  const std::vector<Cell>& cells() const { return m_cells; }
  const TextColourScale& scale() const { return m_scale; }
  void setToolTipSource(ToolTipSource source) { m_toolTipSource = std::move(source); }
  // What hovering cell `index` shows (empty: no tooltip), from the source.
  QString toolTipAt(int index) const;
  // The colour cell `index`'s box is filled with (invalid when none: no value, or dimmed).
  QColor fillColour(int index) const;

  int current() const { return m_current; }
  // Clamped; -1 clears. Emits currentChanged when it changed.
  void setCurrent(int index);
  // Cells framed dashed as the current AR hit's earlier bigram (the owner knows the distances).
  void setLinked(std::vector<int> indices);
  const std::vector<int>& linked() const { return m_linked; }

  // Where cell `index` is drawn (widget coordinates), and the cell under a point (-1 when none).
  QRect cellRect(int index) const;
  int cellAt(const QPoint& point) const;

  static const QColor& arHitColour();  // the underline of AR hits
  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

  Q_SIGNAL void currentChanged(int index);
  // PgUp (-1) / PgDn (+1): the owner moves to another sequence.
  Q_SIGNAL void sequenceStepRequested(int delta);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  bool event(QEvent* event) override;  // tooltips, font changes

 private:
  // Lays the cells out in lines `width` pixels wide; returns the height they take.
  int layout(int width, std::vector<QRect>* rects) const;
  void relayout();
  int step(int from, int delta) const;  // the next current cell from `from` (skipping dimmed cells)

  std::vector<Cell> m_cells;
  std::vector<QRect> m_rects;
  TextColourScale m_scale;
  int m_current = -1;
  std::vector<int> m_linked;
  int m_laidOutWidth = -1;
  ToolTipSource m_toolTipSource;
};

}  // namespace zoolab
