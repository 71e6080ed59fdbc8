#include "views/run_column_menu.h"

#include <QCompleter>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMenu>
#include <QPushButton>
#include <QVBoxLayout>

#include "views/run_table_model.h"

namespace zoolab {

namespace {

// More entries than this in one submenu would run off the screen: the rest is reached by typing.
constexpr int kMaxMenuEntries = 40;

const char* const kAggregates[] = {"last", "best", "min", "max"};

// The fields a column can show: every configuration path, and every metric with each aggregate.
QStringList columnFields(const RunTableModel& model) {
  QStringList fields = model.configPaths();
  for (const QString& key : model.metricKeys()) {
    for (const char* aggregate : kAggregates) {
      fields << QStringLiteral("%1(%2)").arg(QLatin1String(aggregate), key);
    }
  }
  return fields;
}

void addFieldAction(QMenu* menu, RunTableModel* model, const QString& text, const QString& field) {
  QAction* action = menu->addAction(text);
  const bool shown = model->addedColumns().contains(field);
  action->setEnabled(!shown);  // shown already: removing it is the other entry
  QObject::connect(action, &QAction::triggered, model, [model, field] { model->addColumn(field); });
}

}  // namespace

void addRunColumnActions(QMenu* menu, RunTableModel* model, int section, QWidget* dialogParent) {
  QMenu* add = menu->addMenu(QObject::tr("Add column"));

  // Configuration paths grouped by their first part (model, data, train): a flat list runs to hundreds.
  QMenu* config = add->addMenu(QObject::tr("Configuration"));
  QMap<QString, QStringList> bySection;
  for (const QString& path : model->configPaths()) {
    bySection[path.section(QLatin1Char('.'), 0, 0)] << path;
  }
  for (auto it = bySection.cbegin(); it != bySection.cend(); ++it) {
    const QStringList& paths = it.value();
    if (paths.size() == 1 && paths.front() == it.key()) {
      addFieldAction(config, model, it.key(), it.key());
      continue;
    }
    QMenu* group = config->addMenu(it.key());
    for (int i = 0; i < paths.size() && i < kMaxMenuEntries; ++i) {
      addFieldAction(group, model, paths[i].mid(it.key().size() + 1), paths[i]);
    }
    if (paths.size() > kMaxMenuEntries) {
      QAction* more =
          group->addAction(QObject::tr("%1 more: type the path…").arg(paths.size() - kMaxMenuEntries));
      QObject::connect(more, &QAction::triggered, model,
                       [model, dialogParent] { askForRunColumn(model, dialogParent); });
    }
  }
  config->setEnabled(!bySection.isEmpty());

  QMenu* metrics = add->addMenu(QObject::tr("Metric"));
  const QStringList keys = model->metricKeys();
  for (const QString& key : keys) {
    QMenu* metric = metrics->addMenu(key);
    for (const char* aggregate : kAggregates) {
      addFieldAction(metric, model, QLatin1String(aggregate),
                     QStringLiteral("%1(%2)").arg(QLatin1String(aggregate), key));
    }
  }
  metrics->setEnabled(!keys.isEmpty());

  add->addSeparator();
  QAction* type = add->addAction(QObject::tr("Field…"));
  QObject::connect(type, &QAction::triggered, model,
                   [model, dialogParent] { askForRunColumn(model, dialogParent); });

  if (model->isAddedColumn(section)) {
    const QString label = model->headerData(section, Qt::Horizontal).toString();
    QAction* remove = menu->addAction(QObject::tr("Remove column “%1”").arg(label));
    QObject::connect(remove, &QAction::triggered, model,
                     [model, section] { model->removeAddedColumn(section); });
  }
  if (model->columnCount() > RunTableModel::ColumnCount) {
    QAction* removeAll = menu->addAction(QObject::tr("Remove all added columns"));
    QObject::connect(removeAll, &QAction::triggered, model, [model] { model->setAddedColumns({}); });
  }
}

void askForRunColumn(RunTableModel* model, QWidget* parent) {
  QDialog dialog(parent);
  dialog.setWindowTitle(QObject::tr("Add column"));
  auto* edit = new QLineEdit(&dialog);
  edit->setPlaceholderText(QStringLiteral("model.d_model, best(valid/accuracy), lr"));
  auto* completer = new QCompleter(columnFields(*model), edit);
  completer->setCaseSensitivity(Qt::CaseInsensitive);
  completer->setFilterMode(Qt::MatchContains);
  edit->setCompleter(completer);
  auto* help =
      new QLabel(QObject::tr("A configuration path (model.sequence_mixer.kwargs.num_heads), a short name "
                             "(lr, d_model, kv, seq_len, params) or a metric with its aggregate: "
                             "last(valid/loss), best(valid/accuracy), min(train/loss)."),
                 &dialog);
  help->setWordWrap(true);
  auto* error = new QLabel(&dialog);
  error->setStyleSheet(QStringLiteral("color: #d32f2f"));
  error->hide();
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, [&] {
    QString message;
    if (model->addColumn(edit->text(), &message)) {
      dialog.accept();
    } else {
      error->setText(message);
      error->show();
    }
  });
  auto* layout = new QVBoxLayout(&dialog);
  layout->addWidget(help);
  layout->addWidget(edit);
  layout->addWidget(error);
  layout->addWidget(buttons);
  dialog.resize(480, dialog.sizeHint().height());
  dialog.exec();
}

}  // namespace zoolab
