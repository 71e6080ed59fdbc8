#include "views/compare_view.h"
#include "views/view_colours.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace zoolab {

namespace {

const std::vector<int64_t>& examplesOf(const RecallComparison& comparison, CompareView::Outcome outcome) {
  switch (outcome) {
    case CompareView::BothRight:
      return comparison.both_right_examples;
    case CompareView::OnlyA:
      return comparison.only_a_examples;
    case CompareView::OnlyB:
      return comparison.only_b_examples;
    default:
      return comparison.both_wrong_examples;
  }
}

int64_t countOf(const RecallComparison& comparison, CompareView::Outcome outcome) {
  switch (outcome) {
    case CompareView::BothRight:
      return comparison.both_right;
    case CompareView::OnlyA:
      return comparison.only_a;
    case CompareView::OnlyB:
      return comparison.only_b;
    default:
      return comparison.both_wrong;
  }
}

}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
  m_runALabel = new QLabel(this);
  m_runALabel->setObjectName(QStringLiteral("runALabel"));
  m_runALabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_runBCombo = new QComboBox(this);
  m_runBCombo->setObjectName(QStringLiteral("runBCombo"));
  m_runBCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_runBCombo->setToolTip(tr("The run to compare with: it must have been evaluated on the same test set"));
  m_message = new QLabel(this);
  m_message->setObjectName(QStringLiteral("messageLabel"));
  m_message->setWordWrap(true);
  m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_accuracy = new QLabel(this);
  m_accuracy->setObjectName(QStringLiteral("accuracyLabel"));
  m_accuracy->setTextInteractionFlags(Qt::TextSelectableByMouse);

  const char* names[] = {"bothRightButton", "onlyAButton", "onlyBButton", "bothWrongButton"};
  for (int o = 0; o < OutcomeCount; ++o) {
    auto* button = new QPushButton(this);
    button->setObjectName(QLatin1String(names[o]));
    button->setCursor(Qt::PointingHandCursor);
    button->setMinimumSize(180, 64);
    button->setToolTip(tr("Show these examples of run A in the example browser"));
    connect(button, &QPushButton::clicked, this, [this, o] {
      const auto outcome = static_cast<Outcome>(o);
      Q_EMIT examplesRequested(title(outcome), examples(outcome));
    });
    m_buttons[static_cast<size_t>(o)] = button;
  }

  auto* pick = new QHBoxLayout;
  pick->addWidget(new QLabel(tr("Run A:"), this));
  pick->addWidget(m_runALabel);
  pick->addSpacing(24);
  auto* runBLabel = new QLabel(tr("Run B:"), this);
  runBLabel->setBuddy(m_runBCombo);
  pick->addWidget(runBLabel);
  pick->addWidget(m_runBCombo);
  pick->addStretch(1);

  // A contingency table: rows say what A did, columns what B did.
  auto* grid = new QGridLayout;
  grid->addWidget(new QLabel(tr("<b>B right</b>"), this), 0, 1, Qt::AlignCenter);
  grid->addWidget(new QLabel(tr("<b>B wrong</b>"), this), 0, 2, Qt::AlignCenter);
  grid->addWidget(new QLabel(tr("<b>A right</b>"), this), 1, 0, Qt::AlignRight | Qt::AlignVCenter);
  grid->addWidget(new QLabel(tr("<b>A wrong</b>"), this), 2, 0, Qt::AlignRight | Qt::AlignVCenter);
  grid->addWidget(m_buttons[BothRight], 1, 1);
  grid->addWidget(m_buttons[OnlyA], 1, 2);
  grid->addWidget(m_buttons[OnlyB], 2, 1);
  grid->addWidget(m_buttons[BothWrong], 2, 2);
  grid->setColumnStretch(3, 1);

  auto* hint = new QLabel(tr("Counts are queries; a button opens the examples holding such queries in the "
                             "Examples page (run A's predictions)."),
                          this);
  hint->setWordWrap(true);
  hint->setForegroundRole(QPalette::PlaceholderText);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(pick);
  layout->addWidget(m_message);
  layout->addWidget(m_accuracy);
  layout->addLayout(grid);
  layout->addWidget(hint);
  layout->addStretch(1);

  connect(m_runBCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    const qint64 id = index < 0 ? 0 : m_runBCombo->itemData(index).toLongLong();
    if (id == m_runB) {
      return;
    }
    m_runB = id;
    m_recordsB.reset();
    m_comparison.reset();
    updateButtons();
    showMessage(id == 0 ? tr("Choose run B to compare with.") : tr("Reading run B's records…"), false);
    Q_EMIT runBChosen(id);
  });
  setCandidates({});
  clear(tr("No records."));
}

void CompareView::setRunA(qint64 id, const QString& name, std::shared_ptr<const QueryRecordSet> records,
                          const QString& whyNone) {
  m_runA = id;
  m_nameA = name;
  m_recordsA = std::move(records);
  m_runALabel->setText(m_recordsA ? tr("%1 (step %2, %3 records)")
                                        .arg(name)
                                        .arg(m_recordsA->step)
                                        .arg(QString::fromStdString(m_recordsA->subset))
                                  : name);
  m_comparison.reset();
  updateButtons();
  if (m_runB != 0) {
    // B's records must match A's subset: ask for them again.
    Q_EMIT runBChosen(m_runB);
  } else {
    showMessage(m_recordsA          ? tr("Choose run B to compare with.")
                : whyNone.isEmpty() ? tr("Run A has no records.")
                                    : whyNone,
                false);
  }
}

void CompareView::setCandidates(const QList<QPair<qint64, QString>>& runs) {
  const QSignalBlocker blocker(m_runBCombo);
  m_runBCombo->clear();
  m_runBCombo->addItem(tr("(choose a run)"), QVariant::fromValue<qint64>(0));
  for (const auto& [id, name] : runs) {
    m_runBCombo->addItem(name, QVariant::fromValue<qint64>(id));
  }
  const int index = m_runBCombo->findData(QVariant::fromValue<qint64>(m_runB));
  if (index >= 0) {
    m_runBCombo->setCurrentIndex(index);
    return;
  }
  m_runBCombo->setCurrentIndex(0);
  if (m_runB != 0) {
    m_runB = 0;
    m_recordsB.reset();
    m_comparison.reset();
    updateButtons();
    showMessage(tr("Choose run B to compare with."), false);
  }
}

bool CompareView::chooseRunB(qint64 runId) {
  const int index = m_runBCombo->findData(QVariant::fromValue<qint64>(runId));
  if (index < 0) {
    return false;
  }
  m_runBCombo->setCurrentIndex(index);
  return true;
}

void CompareView::setRunB(qint64 id, const QString& name, std::shared_ptr<const QueryRecordSet> records) {
  m_runB = id;
  m_nameB = name;
  m_recordsB = std::move(records);
  const QSignalBlocker blocker(m_runBCombo);
  const int index = m_runBCombo->findData(QVariant::fromValue<qint64>(id));
  if (index >= 0) {
    m_runBCombo->setCurrentIndex(index);
  }
  compare();
}

void CompareView::setRunBError(const QString& message) {
  m_recordsB.reset();
  m_comparison.reset();
  updateButtons();
  showMessage(message, true);
}

void CompareView::clear(const QString& message) {
  m_runA = 0;
  m_nameA.clear();
  m_recordsA.reset();
  m_recordsB.reset();
  m_comparison.reset();
  m_runALabel->setText(tr("none"));
  updateButtons();
  showMessage(message, false);
}

QString CompareView::message() const {
  return m_message->text();
}

void CompareView::compare() {
  m_comparison.reset();
  if (!m_recordsA || !m_recordsB) {
    updateButtons();
    showMessage(!m_recordsA ? tr("Run A has no records.") : tr("Run B has no records."), true);
    return;
  }
  try {
    m_comparison = compare_recall(*m_recordsA, *m_recordsB);
    const RecallSummary a = summarize_recall(*m_recordsA);
    const RecallSummary b = summarize_recall(*m_recordsB);
    m_accuracy->setText(tr("Accuracy (mean over examples): A %1, B %2 · %3 queries in %4 examples")
                            .arg(QString::number(a.accuracy, 'f', 4), QString::number(b.accuracy, 'f', 4))
                            .arg(a.queries)
                            .arg(a.examples));
    showMessage(tr("Run B: %1 (step %2, %3 records)")
                    .arg(m_nameB)
                    .arg(m_recordsB->step)
                    .arg(QString::fromStdString(m_recordsB->subset)),
                false);
  } catch (const std::exception& error) {
    // Another test set, or records of another subset: nothing to count.
    showMessage(tr("These runs cannot be compared: %1").arg(QString::fromUtf8(error.what())), true);
  }
  updateButtons();
}

void CompareView::showMessage(const QString& text, bool error) {
  m_message->setText(text);
  m_message->setProperty("error", error);
  QPalette palette = this->palette();
  if (error) {
    palette.setColor(QPalette::WindowText, kErrorColour);
  }
  m_message->setPalette(palette);
}

void CompareView::updateButtons() {
  static const char* kCaptions[] = {QT_TR_NOOP("both right"), QT_TR_NOOP("only A right"),
                                    QT_TR_NOOP("only B right"), QT_TR_NOOP("both wrong")};
  for (int o = 0; o < OutcomeCount; ++o) {
    QPushButton* button = m_buttons[static_cast<size_t>(o)];
    const auto outcome = static_cast<Outcome>(o);
    if (!m_comparison) {
      button->setText(tr(kCaptions[o]));
      button->setEnabled(false);
      continue;
    }
    const auto& list = examplesOf(*m_comparison, outcome);
    button->setText(tr("%1\n%2 queries in %3 examples")
                        .arg(tr(kCaptions[o]))
                        .arg(countOf(*m_comparison, outcome))
                        .arg(list.size()));
    button->setEnabled(!list.empty());
  }
  if (!m_comparison) {
    m_accuracy->clear();
  }
}

QList<qint64> CompareView::examples(Outcome outcome) const {
  QList<qint64> out;
  if (m_comparison) {
    for (const int64_t example : examplesOf(*m_comparison, outcome)) {
      out.append(example);
    }
  }
  return out;
}

QString CompareView::title(Outcome outcome) const {
  const QString runs = tr("A = %1, B = %2").arg(m_nameA, m_nameB);
  switch (outcome) {
    case BothRight:
      return tr("Both right (%1)").arg(runs);
    case OnlyA:
      return tr("Only A right (%1)").arg(runs);
    case OnlyB:
      return tr("Only B right (%1)").arg(runs);
    default:
      return tr("Both wrong (%1)").arg(runs);
  }
}

}  // namespace zoolab
