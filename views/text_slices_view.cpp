#include "views/text_slices_view.h"

#include "views/qcustomplot_include.h"

#include <algorithm>
#include <cmath>

#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

#include "views/number_text.h"
#include "views/run_colours.h"
#include "views/view_colours.h"

namespace zoolab {

namespace {

QString percent(double fraction) {
  return std::isfinite(fraction) ? QString::number(100.0 * fraction, 'f', 1) + QStringLiteral(" %")
                                 : QStringLiteral("—");
}

QStandardItem* item(const QString& text, const QVariant& raw = {}) {
  auto* cell = new QStandardItem(text);
  cell->setEditable(false);
  if (raw.isValid()) {
    cell->setData(raw, TextSlicesView::RawRole);
    cell->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  }
  return cell;
}

// The slices of an analysis in the table's order.
std::vector<const SliceStats*> slicesOf(const TextAnalysis& analysis) {
  std::vector<const SliceStats*> slices{&analysis.overall, &analysis.ar_hits, &analysis.other};
  for (const SliceStats& s : analysis.ar_hits_by_frequency) {
    slices.push_back(&s);
  }
  for (const SliceStats& s : analysis.ar_hits_by_distance) {
    slices.push_back(&s);
  }
  return slices;
}

const SliceStats* findSlice(const TextAnalysis& analysis, const std::string& name) {
  for (const SliceStats* s : slicesOf(analysis)) {
    if (s->name == name) {
      return s;
    }
  }
  return nullptr;
}

}  // namespace

TextSlicesView::TextSlicesView(QWidget* parent) : QWidget(parent) {
  m_message = new QLabel(this);
  m_message->setObjectName(QStringLiteral("messageLabel"));
  m_message->setWordWrap(true);
  m_message->setForegroundRole(QPalette::PlaceholderText);
  m_gapLabel = new QLabel(this);
  m_gapLabel->setObjectName(QStringLiteral("gapLabel"));
  m_gapLabel->setWordWrap(true);
  m_gapLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_gapLabel->setTextFormat(Qt::RichText);

  m_model = new QStandardItemModel(this);
  m_table = new QTableView(this);
  m_table->setObjectName(QStringLiteral("slicesTable"));
  m_table->setModel(m_model);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->setAlternatingRowColors(true);

  m_plot = new QCustomPlot(this);
  m_plot->setObjectName(QStringLiteral("slicesPlot"));
  m_plot->setBackground(Qt::white);  // as the other figures: white in a dark theme too
  m_plot->setMinimumHeight(220);
  m_plot->setMouseTracking(true);
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(0, 0, new QCPTextElement(m_plot, tr("Perplexity by slice")));
  m_group = new QCPBarsGroup(m_plot);
  m_group->setSpacingType(QCPBarsGroup::stAbsolute);
  m_group->setSpacing(2);
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  ticker->addTick(Overall, tr("overall"));
  ticker->addTick(ArHits, tr("AR hits"));
  ticker->addTick(Other, tr("other tokens"));
  m_plot->xAxis->setTicker(ticker);
  m_plot->xAxis->setRange(-0.6, GroupCount - 0.4);
  m_plot->xAxis->grid()->setVisible(false);
  m_plot->yAxis->setLabel(tr("perplexity"));
  m_plot->yAxis->grid()->setPen(QPen(kGridColour, 0.5));
  // The runs' legend in one line under the bars, where it hides none of them.
  m_plot->legend->setVisible(true);
  m_plot->legend->setBorderPen(Qt::NoPen);
  m_plot->legend->setBrush(Qt::NoBrush);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->legend->setWrap(4);
  m_plot->axisRect()->insetLayout()->take(m_plot->legend);
  m_plot->axisRect()->insetLayout()->simplify();
  auto* legendLine = new QCPLayoutGrid;
  m_plot->plotLayout()->addElement(2, 0, legendLine);
  m_plot->plotLayout()->setRowStretchFactor(2, 0.001);
  legendLine->addElement(0, 0, new QCPLayoutElement(m_plot));
  legendLine->addElement(0, 1, m_plot->legend);
  legendLine->addElement(0, 2, new QCPLayoutElement(m_plot));
  legendLine->setColumnStretchFactors({1.0, 0.001, 1.0});
  connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    const QPointF pos = event->position();
    for (size_t r = 0; r < m_bars.size(); ++r) {
      QVariant details;
      const double distance = m_bars[r]->selectTest(pos, false, &details);  // < tolerance: on the bar
      if (distance >= 0.0 && distance < m_plot->selectionTolerance()) {
        const QCPDataSelection selection = details.value<QCPDataSelection>();
        if (!selection.isEmpty()) {
          const auto data = m_bars[r]->data()->at(selection.dataRange().begin());
          QToolTip::showText(
              event->globalPosition().toPoint(),
              tr("%1, %2: perplexity %3")
                  .arg(m_runs[r].name,
                       m_plot->xAxis->ticker().staticCast<QCPAxisTickerText>()->ticks().value(data->key),
                       formatNumber(data->value, 2)),
              m_plot);
          return;
        }
      }
    }
    QToolTip::hideText();
  });

  auto* body = new QSplitter(Qt::Vertical, this);
  body->addWidget(m_table);
  body->addWidget(m_plot);
  body->setStretchFactor(0, 2);
  body->setStretchFactor(1, 3);
  body->setChildrenCollapsible(false);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_message);
  layout->addWidget(m_gapLabel);
  layout->addWidget(body, 1);

  clear(tr("No text run."));
}

TextSlicesView::~TextSlicesView() = default;

QString TextSlicesView::sliceLabel(const std::string& name) {
  if (name == "overall") {
    return tr("overall");
  }
  if (name == "ar_hits") {
    return tr("AR hits");
  }
  if (name == "other") {
    return tr("other tokens");
  }
  const std::string prefix = "ar_hits/";
  if (name.rfind(prefix, 0) == 0) {
    return tr("AR hits · %1").arg(QString::fromStdString(name.substr(prefix.size())));
  }
  return QString::fromStdString(name);
}

void TextSlicesView::setRuns(std::vector<Run> runs) {
  m_runs = std::move(runs);
  if (!m_runs.empty()) {
    setMessage(QString());
  }
  fillTable();
  redrawBars();
}

void TextSlicesView::setGap(const GapDecomposition& gap, const QString& nameA, const QString& nameB,
                            uint64_t frequencyCutoff) {
  m_gap = gap;
  const QString a = nameA.toHtmlEscaped();
  const QString b = nameB.toHtmlEscaped();
  QString text = tr("<b>%1</b> against <b>%2</b>: perplexity gap %3 (A − B).")
                     .arg(a, b, formatSignedNumber(gap.perplexity_gap, 2));
  if (std::isfinite(gap.gap_share_ar_hits)) {
    const double ratio = gap.ar_hit_token_share > 0 ? gap.gap_share_ar_hits / gap.ar_hit_token_share : NAN;
    text += tr(" Of the summed loss difference Σ(A − B) = %1 nats, <b>AR hits carry %2</b> (%3 nats) "
               "while being %4 of the tokens%5; the other tokens carry %6 (%7 nats).")
                .arg(formatSignedNumber(gap.loss_difference_sum, 1), percent(gap.gap_share_ar_hits),
                     formatSignedNumber(gap.ar_hits_difference_sum, 1), percent(gap.ar_hit_token_share),
                     std::isfinite(ratio) ? tr(", %1× their share").arg(formatNumber(ratio, 1)) : QString(),
                     percent(1.0 - gap.gap_share_ar_hits), formatSignedNumber(gap.other_difference_sum, 1));
    // The paper's heuristic: only AR hits whose bigram is rare in the training data.
    text += tr(" Rare AR hits (bigram seen fewer than %1 times in training) carry %2 while being %3 of the "
               "tokens.")
                .arg(frequencyCutoff)
                .arg(percent(gap.gap_share_rare_ar_hits), percent(gap.rare_ar_hit_token_share));
  } else {
    text +=
        tr(" Their losses sum to the same: there is no gap to share out between AR hits and other "
           "tokens.");
  }
  m_gapLabel->setText(text);
  m_gapLabel->setVisible(true);
}

void TextSlicesView::clearGap(const QString& message) {
  m_gap.reset();
  m_gapLabel->setText(message.toHtmlEscaped());
  m_gapLabel->setVisible(!message.isEmpty());
}

void TextSlicesView::clear(const QString& message) {
  setRuns({});
  clearGap();
  setMessage(message);
}

void TextSlicesView::setMessage(const QString& message) {
  m_message->setText(message);
  m_message->setVisible(!message.isEmpty());
}

int TextSlicesView::row(const std::string& name) const {
  for (int r = 0; r < m_model->rowCount(); ++r) {
    if (m_model->index(r, 0).data(SliceRole).toString().toStdString() == name) {
      return r;
    }
  }
  return -1;
}

void TextSlicesView::fillTable() {
  m_model->clear();
  QStringList headers{tr("Slice")};
  for (const Run& run : m_runs) {
    headers << tr("%1\ntokens").arg(run.name) << tr("share") << tr("mean loss") << tr("perplexity");
  }
  m_model->setHorizontalHeaderLabels(headers);
  for (size_t r = 0; r < m_runs.size(); ++r) {
    m_model->horizontalHeaderItem(column(static_cast<int>(r), Tokens))
        ->setIcon(runColourSwatch(m_runs[r].colour));
  }
  if (m_runs.empty()) {
    return;
  }
  // Rows are the first run's slices; every run has the same ones (one AnalysisOptions for all).
  for (const SliceStats* slice : slicesOf(m_runs.front().analysis)) {
    QList<QStandardItem*> cells;
    auto* name = item(sliceLabel(slice->name));
    name->setData(QString::fromStdString(slice->name), SliceRole);
    cells << name;
    for (const Run& run : m_runs) {
      const SliceStats* s = findSlice(run.analysis, slice->name);
      if (!s) {
        for (int c = 0; c < RunColumnCount; ++c) {
          cells << item(QStringLiteral("—"));
        }
        continue;
      }
      const int64_t total = run.analysis.overall.tokens;
      const double share = total > 0 ? static_cast<double>(s->tokens) / static_cast<double>(total) : NAN;
      cells << item(QString::number(s->tokens), QVariant::fromValue<qint64>(s->tokens))
            << item(percent(share), share) << item(formatNumber(s->mean_loss, 4), s->mean_loss)
            << item(formatNumber(s->perplexity, 2), s->perplexity);
    }
    m_model->appendRow(cells);
  }
  // The three headline rows in bold: the rest refine AR hits.
  for (int r = 0; r < std::min(3, m_model->rowCount()); ++r) {
    QFont bold = m_table->font();
    bold.setBold(true);
    m_model->item(r, 0)->setFont(bold);
  }
}

void TextSlicesView::redrawBars() {
  for (QCPBars* bars : m_bars) {
    m_plot->removePlottable(bars);  // also leaves the group and the legend
  }
  m_bars.clear();
  double top = 0.0;
  const double width = 0.8 / static_cast<double>(std::max<size_t>(1, m_runs.size()));
  for (const Run& run : m_runs) {
    auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    bars->setName(run.name);
    bars->setWidth(width);
    bars->setBarsGroup(m_group);
    bars->setPen(QPen(run.colour.darker(130), 1.0));
    bars->setBrush(run.colour);
    bars->setSelectable(QCP::stSingleData);
    const SliceStats* groups[GroupCount] = {&run.analysis.overall, &run.analysis.ar_hits,
                                            &run.analysis.other};
    for (int g = 0; g < GroupCount; ++g) {
      const double value = groups[g]->perplexity;
      if (groups[g]->tokens > 0 && std::isfinite(value)) {
        bars->addData(g, value);
        top = std::max(top, value);
      }
    }
    m_bars.push_back(bars);
  }
  m_plot->yAxis->setRange(0.0, top > 0 ? top * 1.12 : 1.0);
  m_plot->legend->setVisible(!m_runs.empty());
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

double TextSlicesView::barValue(qint64 runId, Group group) const {
  for (size_t r = 0; r < m_runs.size() && r < m_bars.size(); ++r) {
    if (m_runs[r].id != runId) {
      continue;
    }
    const auto data = m_bars[r]->data();
    for (auto it = data->constBegin(); it != data->constEnd(); ++it) {
      if (it->key == static_cast<double>(group)) {
        return it->value;
      }
    }
  }
  return std::nan("");
}

}  // namespace zoolab
