#pragma once

// One MQAR example as a strip of token cells (the example browser's centre): the context's keys
// and values and every query coloured by role, each query with its target, the model's prediction, the
// probability it gave the target and whether it was right. The current query is framed and an arc joins
// it to its key in the context, whose key and value cells are highlighted, so "which pair did it have to
// recall, and how far back" is seen at a glance. Painted by hand: a long sequence (512 tokens) is one
// cheap widget in a scroll area rather than thousands of child widgets.
//
// Keys: Left/Right (and Home/End) move between queries; the example browser handles Up/Down and
// PgUp/PgDn. Clicking a query selects it; clicking a context key selects the first query that asks it.

#include <cstdint>
#include <vector>

#include <QColor>
#include <QRect>
#include <QString>
#include <QWidget>

namespace zoolab {

class TokenStrip : public QWidget {
  Q_OBJECT

 public:
  enum class Role { Other, Key, Value, Query };

  // One query as the records describe it.
  struct Query {
    int position = 0;
    int64_t key = 0;
    int64_t target = 0;
    int64_t prediction = 0;
    float p_target = 0.0f;
    float loss = 0.0f;
    bool correct = false;
    int gap = 0;        // position - source position (the key, for recall); 0 without a source
    int kv_index = -1;  // the context pair of MQAR's key; -1 for other tasks or a key not in the context
    // The position of the query's source (its key, for recall tasks), or -1.
    int keyPosition() const { return gap > 0 ? position - gap : -1; }
  };

  static QColor roleColour(Role role, bool correct = true);

  explicit TokenStrip(QWidget* parent = nullptr);

  // `tokens` are the example's inputs (kUnknownToken where they are not known: without the regenerated
  // test split the strip still shows what the records say, the queries and the keys and values they ask
  // for); the first `contextLength` positions are the context, laid out k v k v ...
  static constexpr int64_t kUnknownToken = -1;
  void setExample(int64_t example, std::vector<int64_t> tokens, int contextLength,
                  std::vector<Query> queries);
  // What the task calls a query's source ("key" for recall, "source" for copying: TaskSpec::source_label).
  void setSourceLabel(const QString& label) { m_sourceLabel = label; }
  void clear();

  int64_t example() const { return m_example; }
  int length() const { return static_cast<int>(m_tokens.size()); }
  const std::vector<Query>& queries() const { return m_queries; }
  int64_t token(int position) const;
  Role role(int position) const;

  // The current query (index into queries()), -1 when the example has none.
  int currentQuery() const { return m_current; }
  void setCurrentQuery(int index);
  // The positions highlighted as the current query's key and value (-1 when none).
  int highlightedKey() const;
  int highlightedValue() const;

  // Where position `position`'s token cell is drawn (widget coordinates), for clicks in tests.
  QRect cellRect(int position) const;
  // The position under `point`, or -1.
  int positionAt(const QPoint& point) const;
  // A sentence about a position: its token, role and, for a query, the full record.
  QString describe(int position) const;

  // The strip's rows, top to bottom; rowRect gives where each lies (the row names beside the scrolling
  // strip, RowNames, line up with them).
  enum class Row { Position, Token, Target, Prediction, Probability };
  static constexpr int kRowCount = 5;
  static QString rowName(Row row);
  QRect rowRect(Row row) const;

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

  Q_SIGNAL void currentQueryChanged(int index);
  // A query was clicked (after it became current).
  Q_SIGNAL void queryClicked(int index);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  bool event(QEvent* event) override;  // tooltips

 private:
  int queryAt(int position) const;  // index of the query at `position`, or -1
  void layoutMetrics();

  int64_t m_example = -1;
  std::vector<int64_t> m_tokens;
  std::vector<Role> m_roles;
  QString m_sourceLabel = QStringLiteral("key");
  std::vector<int> m_queryOf;  // position -> query index or -1
  std::vector<Query> m_queries;
  int m_current = -1;
  // Layout (pixels), from the font.
  int m_tokenDigits = 2;  // of the widest token shown: cells are as narrow as the tokens allow
  int m_cellWidth = 40;
  int m_arcHeight = 34;
  int m_positionHeight = 14;
  int m_tokenHeight = 26;
  int m_lineHeight = 14;
};

// The names of a TokenStrip's rows, drawn beside the scroll area that holds the strip, so they stay in
// view however far a long sequence is scrolled.
class TokenStripRowNames : public QWidget {
  Q_OBJECT

 public:
  explicit TokenStripRowNames(const TokenStrip* strip, QWidget* parent = nullptr);
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return sizeHint(); }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  const TokenStrip* m_strip;
};

}  // namespace zoolab
