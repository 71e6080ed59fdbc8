#include "views/run_config_form.h"

#include <cfloat>
#include <climits>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include "engine/config/run_config.h"
#include "engine/config/sweep_grid.h"
#include "engine/data/task_registry.h"
#include "views/mixer_form.h"
#include "views/mixer_param_field.h"
#include "views/scientific_spin_box.h"
#include "views/segment_table.h"

namespace zoolab {

using nlohmann::json;

namespace {

// Every task's slice keys (engine/data/task_registry.h), in registration order.
QStringList sliceKeys() {
  QStringList keys;
  for (const auto& key : all_slice_keys()) {
    keys.append(QString::fromStdString(key));
  }
  return keys;
}

QWidget* scrolled(QWidget* page) {
  auto* area = new QScrollArea();
  area->setWidgetResizable(true);
  area->setFrameShape(QFrame::NoFrame);
  area->setWidget(page);
  return area;
}

}  // namespace

void setJsonPath(nlohmann::json& root, const std::string& path, const nlohmann::json& value) {
  json* node = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    if (index && node->is_number())
      *node = json::array({*node, *node});  // "batch_size": N means [N, N]
    if (index && node->is_array()) {
      const size_t i = std::stoul(part);
      while (node->size() <= i)
        node->push_back(json());
      node = &(*node)[i];
    } else {
      if (!node->is_object())
        *node = json::object();
      node = &(*node)[part];
    }
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  *node = value;
}

RunConfigForm::RunConfigForm(QWidget* parent) : QWidget(parent) {
  RunConfig defaults;
  m_defaults = to_json(defaults);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* header = new QFormLayout();
  auto* nameRow = new QHBoxLayout();
  nameRow->addWidget(textField(QStringLiteral("name")), 1);
  nameRow->addWidget(new QLabel(tr("Seed")));
  nameRow->addWidget(intField(QStringLiteral("seed"), 0, INT_MAX));
  header->addRow(tr("Name"), nameRow);
  header->addRow(tr("Description"), textField(QStringLiteral("description")));
  layout->addLayout(header);
  m_tabs = new QTabWidget(this);
  m_tabs->addTab(scrolled(buildTaskPage()), tr("Task"));
  m_tabs->addTab(scrolled(buildModelPage()), tr("Model"));
  m_tabs->addTab(scrolled(buildTrainingPage()), tr("Training"));
  layout->addWidget(m_tabs, 1);
}

QWidget* RunConfigForm::buildTaskPage() {
  auto* page = new QWidget();
  auto* layout = new QVBoxLayout(page);
  auto* form = new QFormLayout();
  form->addRow(tr("Vocabulary size"), intField(QStringLiteral("data.vocab_size"), 0, INT_MAX));
  form->addRow(tr("Train batch size"), intField(QStringLiteral("data.batch_size.0"), 0, INT_MAX));
  form->addRow(tr("Test batch size"), intField(QStringLiteral("data.batch_size.1"), 0, INT_MAX));
  form->addRow(tr("Data seed"), intField(QStringLiteral("data.seed"), 0, INT_MAX));
  form->addRow(tr("Cache folder"), textField(QStringLiteral("data.cache_dir")));
  layout->addLayout(form);
  const auto segmentGroup = [&](const QString& title, const char* key, SegmentTable** table) {
    auto* group = new QGroupBox(title, page);
    auto* box = new QVBoxLayout(group);
    *table = new SegmentTable(group);
    box->addWidget(*table);
    layout->addWidget(group);
    SegmentTable* t = *table;
    connect(t, &SegmentTable::changed, this, [this, t, key] {
      if (m_loading)
        return;
      setJsonPath(m_config, std::string("data.") + key, t->segments());
      Q_EMIT changed();
    });
  };
  segmentGroup(tr("Training segments"), "train", &m_train);
  segmentGroup(tr("Test segments"), "test", &m_test);
  return page;
}

QWidget* RunConfigForm::buildModelPage() {
  auto* page = new QWidget();
  auto* layout = new QVBoxLayout(page);
  auto* form = new QFormLayout();
  form->addRow(tr("d_model"), intField(QStringLiteral("model.d_model"), 0, INT_MAX));
  form->addRow(tr("Layers"), intField(QStringLiteral("model.n_layers"), 0, INT_MAX));
  form->addRow(tr("Learned positions"),
               intField(QStringLiteral("model.max_position_embeddings"), 0, INT_MAX, tr("none")));
  form->addRow(tr("Vocabulary (model)"),
               intField(QStringLiteral("model.vocab_size"), 0, INT_MAX, tr("same as data")));
  form->addRow(tr("Embedding dropout"), doubleField(QStringLiteral("model.embed_dropout"), 0.0, 0.999));
  form->addRow(tr("Residual dropout"), doubleField(QStringLiteral("model.resid_dropout"), 0.0, 0.999));
  form->addRow(tr("LayerNorm epsilon"), doubleField(QStringLiteral("model.layer_norm_epsilon"), 0.0, 1.0));
  form->addRow(tr("Block type"),
               choiceField(QStringLiteral("model.block_type"),
                           {QStringLiteral("transformer"), QStringLiteral("mamba")}, false));
  layout->addLayout(form);
  const auto mixerGroup = [&](const QString& title, const char* key, QComboBox** combo, QVBoxLayout** box) {
    auto* group = new QGroupBox(title, page);
    auto* v = new QVBoxLayout(group);
    *combo = new QComboBox(group);
    v->addWidget(*combo);
    *box = new QVBoxLayout();
    v->addLayout(*box);
    layout->addWidget(group);
    connect(*combo, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this, key] { onMixerChosen(key); });
  };
  mixerGroup(tr("Sequence mixer"), "sequence_mixer", &m_sequenceCombo, &m_sequenceBox);
  mixerGroup(tr("State mixer"), "state_mixer", &m_stateCombo, &m_stateBox);
  layout->addStretch(1);
  return page;
}

QWidget* RunConfigForm::buildTrainingPage() {
  auto* page = new QWidget();
  auto* form = new QFormLayout(page);
  form->addRow(tr("Max epochs"), intField(QStringLiteral("train.max_epochs"), 0, INT_MAX));
  form->addRow(tr("Learning rate"), doubleField(QStringLiteral("train.learning_rate"), 0.0, 1e3));
  form->addRow(tr("Weight decay"), doubleField(QStringLiteral("train.weight_decay"), 0.0, 1e3));
  form->addRow(tr("Early-stopping metric"),
               choiceField(QStringLiteral("train.early_stopping_metric"),
                           {QStringLiteral("valid/accuracy"), QStringLiteral("valid/loss")}, true));
  form->addRow(tr("Early-stopping threshold"),
               doubleField(QStringLiteral("train.early_stopping_threshold"), -1e9, 1e9));
  form->addRow(tr("Slice metrics by"), sliceKeysField());
  form->addRow(QString(),
               boolField(QStringLiteral("train.shuffle"), tr("Reshuffle training batches every epoch")));
  form->addRow(tr("Accuracy average"),
               choiceField(QStringLiteral("train.accuracy_average"),
                           {QStringLiteral("example"), QStringLiteral("token")}, false));
  form->addRow(tr("LM head positions"),
               choiceField(QStringLiteral("train.lm_head"),
                           {QStringLiteral("labelled"), QStringLiteral("all")}, false));
  // What evaluation keeps for the Inspector tab; none of it changes training.
  form->addRow(QString(), boolField(QStringLiteral("train.inspect.records"),
                                    tr("Record every test query at the final evaluation")));
  form->addRow(tr("Tracked examples per segment"),
               intField(QStringLiteral("train.inspect.tracked_examples"), 0, INT_MAX, tr("none")));
  form->addRow(tr("Pattern examples"),
               intField(QStringLiteral("train.inspect.pattern_examples"), 0, INT_MAX, tr("none")));
  form->addRow(QString(), boolField(QStringLiteral("train.inspect.mixing_matrix"),
                                    tr("Store each layer's mixing matrix ‖∂yᵢ/∂xⱼ‖ with the patterns")));
  return page;
}

int RunConfigForm::bind(Binding binding) {
  m_bindings.push_back(std::move(binding));
  return static_cast<int>(m_bindings.size()) - 1;
}

QWidget* RunConfigForm::intField(const QString& path, int min, int max, const QString& special) {
  auto* spin = new QSpinBox();
  spin->setRange(min, max);
  spin->setSpecialValueText(special);
  spin->setObjectName(path);
  const int index = bind({path, spin,
                          [spin](const json* v) {
                            if (v && v->is_number_integer())
                              spin->setValue(static_cast<int>(v->get<long long>()));
                          },
                          [spin] { return json(spin->value()); }});
  connect(spin, qOverload<int>(&QSpinBox::valueChanged), this, [this, index] { onBindingEdited(index); });
  return spin;
}

QWidget* RunConfigForm::doubleField(const QString& path, double min, double max) {
  auto* spin = new ScientificSpinBox();
  spin->setRange(min, max);
  if (max - min <= 1.0)
    spin->setSingleStep(0.05);
  spin->setObjectName(path);
  const int index = bind({path, spin,
                          [spin](const json* v) {
                            if (v && v->is_number())
                              spin->setValue(v->get<double>());
                          },
                          [spin] { return json(spin->value()); }});
  connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          [this, index] { onBindingEdited(index); });
  return spin;
}

QWidget* RunConfigForm::boolField(const QString& path, const QString& text) {
  auto* box = new QCheckBox(text);
  box->setObjectName(path);
  const int index = bind({path, box,
                          [box](const json* v) {
                            if (v && v->is_boolean())
                              box->setChecked(v->get<bool>());
                          },
                          [box] { return json(box->isChecked()); }});
  connect(box, &QCheckBox::toggled, this, [this, index] { onBindingEdited(index); });
  return box;
}

QWidget* RunConfigForm::textField(const QString& path) {
  auto* edit = new QLineEdit();
  edit->setObjectName(path);
  const int index = bind({path, edit,
                          [edit](const json* v) {
                            if (v && v->is_string())
                              edit->setText(QString::fromStdString(v->get<std::string>()));
                          },
                          [edit] { return json(edit->text().toStdString()); }});
  connect(edit, &QLineEdit::textEdited, this, [this, index] { onBindingEdited(index); });
  return edit;
}

QWidget* RunConfigForm::choiceField(const QString& path, const QStringList& choices, bool editable) {
  auto* combo = new QComboBox();
  combo->addItems(choices);
  combo->setEditable(editable);
  combo->setObjectName(path);
  const int index = bind({path, combo,
                          [combo](const json* v) {
                            if (!v || !v->is_string())
                              return;
                            const QString text = QString::fromStdString(v->get<std::string>());
                            if (combo->findText(text) < 0)
                              combo->addItem(text);  // kept, and the validator says what is allowed
                            combo->setCurrentIndex(combo->findText(text));
                          },
                          [combo] { return json(combo->currentText().toStdString()); }});
  connect(combo, &QComboBox::currentTextChanged, this, [this, index] { onBindingEdited(index); });
  return combo;
}

QWidget* RunConfigForm::sliceKeysField() {
  auto* widget = new QWidget();
  widget->setObjectName(QStringLiteral("train.slice_keys"));
  auto* grid = new QGridLayout(widget);
  grid->setContentsMargins(0, 0, 0, 0);
  const QStringList keys = sliceKeys();
  constexpr int kColumns = 4;
  std::vector<QCheckBox*> boxes;
  for (const QString& key : keys) {
    const int at = static_cast<int>(boxes.size());
    boxes.push_back(new QCheckBox(key, widget));
    grid->addWidget(boxes.back(), at / kColumns, at % kColumns);
  }
  grid->setColumnStretch(kColumns, 1);
  const int index =
      bind({QStringLiteral("train.slice_keys"), widget,
            [boxes, keys](const json* v) {
              for (size_t i = 0; i < boxes.size(); ++i) {
                bool on = false;
                if (v && v->is_array()) {
                  for (const auto& k : *v)
                    on = on || (k.is_string() && QString::fromStdString(k.get<std::string>()) == keys[i]);
                }
                boxes[i]->setChecked(on);
              }
            },
            [boxes, keys] {
              json list = json::array();
              for (size_t i = 0; i < boxes.size(); ++i) {
                if (boxes[i]->isChecked())
                  list.push_back(keys[i].toStdString());
              }
              return list;
            }});
  for (auto* box : boxes)
    connect(box, &QCheckBox::toggled, this, [this, index] { onBindingEdited(index); });
  return widget;
}

void RunConfigForm::onBindingEdited(int index) {
  if (m_loading)
    return;
  const Binding& b = m_bindings[index];
  setJsonPath(m_config, b.path.toStdString(), b.read());
  Q_EMIT changed();
}

void RunConfigForm::setMixerSpecs(const nlohmann::json& registry) {
  m_registry = registry.is_array() ? registry : json::array();
  const json config = m_config;
  setConfig(config);
}

void RunConfigForm::setConfig(const nlohmann::json& config) {
  m_loading = true;
  m_config = config;
  for (const auto& b : m_bindings) {
    // Missing, or "batch_size": N for both halves: show the default, or N.
    const std::string path = b.path.toStdString();
    const json* v = find_sweep_path(m_config, path);
    if (!v && b.path.startsWith(QLatin1String("data.batch_size."))) {
      const json* n = find_sweep_path(m_config, "data.batch_size");
      v = n && n->is_number() ? n : nullptr;
    }
    if (!v || v->is_null())
      v = find_sweep_path(m_defaults, path);
    b.load(v);
  }
  const auto segments = [&](const char* key) {
    const json* v = find_sweep_path(m_config, std::string("data.") + key);
    return v ? *v : json::array();
  };
  m_train->setSegments(segments("train"));
  m_test->setSegments(segments("test"));
  fillMixerCombos();
  loadMixer("sequence_mixer");
  loadMixer("state_mixer");
  m_loading = false;
}

void RunConfigForm::fillMixerCombos() {
  for (QComboBox* combo : {m_sequenceCombo, m_stateCombo}) {
    const bool was = combo->blockSignals(true);
    combo->clear();
    const std::string kind = combo == m_sequenceCombo ? "sequence" : "state";
    for (const auto& spec : m_registry) {
      if (spec.value("kind", std::string()) == kind) {
        combo->addItem(QString::fromStdString(spec.value("name", std::string())));
        combo->setItemData(combo->count() - 1, QString::fromStdString(spec.value("summary", std::string())),
                           Qt::ToolTipRole);
      }
    }
    combo->blockSignals(was);
  }
}

void RunConfigForm::loadMixer(const char* key) {
  const bool sequence = std::string(key) == "sequence_mixer";
  QComboBox* combo = sequence ? m_sequenceCombo : m_stateCombo;
  const json* module = find_sweep_path(m_config, std::string("model.") + key);
  if (!module || !module->is_object())
    module = find_sweep_path(m_defaults, std::string("model.") + key);
  const std::string name = module->value("name", std::string());
  const json kwargs = module->contains("kwargs") ? (*module)["kwargs"] : json::object();

  const QString qname = QString::fromStdString(name);
  const bool was = combo->blockSignals(true);
  if (combo->findText(qname) < 0)
    combo->addItem(qname);  // not in the registry: shown, kept, and reported by the validator
  combo->setCurrentIndex(combo->findText(qname));
  combo->blockSignals(was);

  MixerForm*& form = sequence ? m_sequenceForm : m_stateForm;
  QVBoxLayout* box = sequence ? m_sequenceBox : m_stateBox;
  delete form;
  const json* spec = findMixerSpec(m_registry, name);
  form = new MixerForm(spec ? *spec : json{{"name", name}, {"params", json::array()}}, m_registry);
  form->setObjectName(QStringLiteral("model.%1.kwargs").arg(QLatin1String(key)));
  form->setKwargs(kwargs);
  box->addWidget(form);
  MixerForm* current = form;
  connect(form, &MixerForm::kwargsChanged, this, [this, key, current] {
    if (m_loading)
      return;
    setJsonPath(m_config, std::string("model.") + key + ".name", current->mixerName().toStdString());
    setJsonPath(m_config, std::string("model.") + key + ".kwargs", current->kwargs());
    Q_EMIT changed();
  });
}

void RunConfigForm::onMixerChosen(const char* key) {
  if (m_loading)
    return;
  QComboBox* combo = std::string(key) == "sequence_mixer" ? m_sequenceCombo : m_stateCombo;
  // A different mixer starts from its defaults: the old kwargs mean nothing to it.
  setJsonPath(m_config, std::string("model.") + key,
              json{{"name", combo->currentText().toStdString()}, {"kwargs", json::object()}});
  m_loading = true;
  loadMixer(key);
  m_loading = false;
  Q_EMIT changed();
}

QStringList RunConfigForm::fieldPaths() const {
  QStringList out;
  for (const auto& b : m_bindings) {
    if (b.path != QLatin1String("train.slice_keys") && b.path != QLatin1String("description"))
      out << b.path;
  }
  for (const char* key : {"train", "test"}) {
    SegmentTable* table = std::string(key) == "train" ? m_train : m_test;
    for (int row = 0; row < table->rowCount(); ++row) {
      for (const QString& field : table->fieldsOf(row))
        out << QStringLiteral("data.%1.%2.%3").arg(QLatin1String(key)).arg(row).arg(field);
    }
  }
  for (const char* key : {"sequence_mixer", "state_mixer"}) {
    const MixerForm* form = std::string(key) == "sequence_mixer" ? m_sequenceForm : m_stateForm;
    for (const auto& param : form ? form->spec().value("params", json::array()) : json::array()) {
      const std::string type = param.value("type", std::string());
      if (type == "int" || type == "float" || type == "string" || type == "bool")
        out << QStringLiteral("model.%1.kwargs.%2")
                   .arg(QLatin1String(key), QString::fromStdString(param.value("name", std::string())));
    }
  }
  return out;
}

QWidget* RunConfigForm::widgetForPath(const QString& rawPath) const {
  const QString path = QString::fromStdString(normalise_sweep_path(rawPath.toStdString()));
  for (const char* key : {"sequence_mixer", "state_mixer"}) {
    const QString prefix = QStringLiteral("model.%1").arg(QLatin1String(key));
    if (path == prefix || path == prefix + QLatin1String(".name") ||
        path == prefix + QLatin1String(".kwargs"))
      return std::string(key) == "sequence_mixer" ? static_cast<QWidget*>(m_sequenceCombo) : m_stateCombo;
    if (path.startsWith(prefix + QLatin1String(".kwargs."))) {
      MixerForm* form = std::string(key) == "sequence_mixer" ? m_sequenceForm : m_stateForm;
      // The mixer form's own paths use the engine's [i] for list entries.
      QString rest = path.mid(prefix.size() + 8);
      static const QRegularExpression kIndex(QStringLiteral("\\.(\\d+)(?=\\.|$)"));
      rest.replace(kIndex, QStringLiteral("[\\1]"));
      if (QWidget* w = form ? form->editorForPath(rest) : nullptr)
        return w;
      return form;
    }
  }
  for (const char* key : {"train", "test"}) {
    const QString prefix = QStringLiteral("data.%1").arg(QLatin1String(key));
    SegmentTable* table = std::string(key) == "train" ? m_train : m_test;
    if (path == prefix)
      return table;
    if (path.startsWith(prefix + QLatin1Char('.'))) {
      const QStringList parts = path.mid(prefix.size() + 1).split(QLatin1Char('.'));
      QWidget* cell = parts.size() >= 2 ? table->cellEditor(parts[0].toInt(), parts[1]) : nullptr;
      return cell ? cell : static_cast<QWidget*>(table);
    }
  }
  // The field itself, else the closest enclosing one ("data.batch_size" -> the train batch size).
  for (const auto& b : m_bindings) {
    if (b.path == path || b.path.startsWith(path + QLatin1Char('.')))
      return b.widget;
  }
  QString p = path;
  while (!p.isEmpty()) {
    for (const auto& b : m_bindings) {
      if (b.path == p)
        return b.widget;
    }
    const int dot = p.lastIndexOf(QLatin1Char('.'));
    p = dot < 0 ? QString() : p.left(dot);
  }
  return nullptr;
}

}  // namespace zoolab
