#pragma once

// Compare two runs on the same test queries: how many queries both got right, only run A, only
// run B, or neither, from compare_recall() (engine/inspect/recall_analysis.h), each count a button that
// opens the example browser on the examples holding such queries. Runs whose records hold different
// queries (another test set) cannot be compared: compare_recall says where they differ, and so does the
// view.
//
// Run A is the inspected run; the view lists the candidates for B and asks for B's records with
// runBChosen, so it reads no database itself.

#include <array>
#include <memory>
#include <optional>

#include <QList>
#include <QPair>
#include <QString>
#include <QWidget>

#include "engine/inspect/query_records.h"
#include "engine/inspect/recall_analysis.h"

class QComboBox;
class QLabel;
class QPushButton;

namespace zoolab {

class CompareView : public QWidget {
  Q_OBJECT

 public:
  enum Outcome { BothRight, OnlyA, OnlyB, BothWrong, OutcomeCount };

  // Child widgets carry these object names: "runALabel", "runBCombo", "messageLabel", "accuracyLabel",
  // "bothRightButton", "onlyAButton", "onlyBButton", "bothWrongButton".
  explicit CompareView(QWidget* parent = nullptr);

  // Run A and its records; without records, `whyNone` (if given) says why instead of "Run A has no
  // records." (a text run, a run still training).
  void setRunA(qint64 id, const QString& name, std::shared_ptr<const QueryRecordSet> records,
               const QString& whyNone = QString());
  qint64 runA() const { return m_runA; }
  // The runs B may be, (id, name) in the order listed: the inspector lists the runs comparable with run A
  // (of its task), run A left out.
  void setCandidates(const QList<QPair<qint64, QString>>& runs);
  // Picks B in the list (emits runBChosen); false when it is not a candidate.
  bool chooseRunB(qint64 runId);
  qint64 runB() const { return m_runB; }
  // B's records (the answer to runBChosen): compares them with A's.
  void setRunB(qint64 id, const QString& name, std::shared_ptr<const QueryRecordSet> records);
  // B's records could not be read, or it has none.
  void setRunBError(const QString& message);
  void clear(const QString& message = {});

  const std::optional<RecallComparison>& comparison() const { return m_comparison; }
  QString message() const;
  // The examples one button opens, and the title the browser shows for them.
  QList<qint64> examples(Outcome outcome) const;
  QString title(Outcome outcome) const;
  QPushButton* outcomeButton(Outcome outcome) const { return m_buttons[static_cast<size_t>(outcome)]; }
  QComboBox* runBCombo() const { return m_runBCombo; }
  QLabel* messageLabel() const { return m_message; }

  // The user picked run B (0: none): the owner answers with setRunB or setRunBError.
  Q_SIGNAL void runBChosen(qint64 runId);
  // A count was clicked: show these examples of run A in the browser.
  Q_SIGNAL void examplesRequested(const QString& title, const QList<qint64>& examples);

 private:
  void compare();
  void showMessage(const QString& text, bool error);
  void updateButtons();

  qint64 m_runA = 0;
  QString m_nameA;
  std::shared_ptr<const QueryRecordSet> m_recordsA;
  qint64 m_runB = 0;
  QString m_nameB;
  std::shared_ptr<const QueryRecordSet> m_recordsB;
  std::optional<RecallComparison> m_comparison;

  QLabel* m_runALabel = nullptr;
  QComboBox* m_runBCombo = nullptr;
  QLabel* m_message = nullptr;
  QLabel* m_accuracy = nullptr;
  std::array<QPushButton*, OutcomeCount> m_buttons{};
};

}  // namespace zoolab
