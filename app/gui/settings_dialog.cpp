#include "app/gui/settings_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFontComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include "app/gui/settings.h"

namespace zoolab {

SettingsDialog::SettingsDialog(Settings& settings, QWidget* parent) : QDialog(parent), m_settings(settings) {
  setWindowTitle(tr("Preferences"));

  m_slots = new QSpinBox(this);
  m_slots->setRange(1, 64);
  m_slots->setValue(settings.workerSlots());
  m_slots->setToolTip(tr("How many runs the background worker trains at once"));

  m_threads = new QSpinBox(this);
  m_threads->setRange(0, 1024);
  m_threads->setSpecialValueText(tr("Automatic (%1 cores ÷ slots)").arg(QThread::idealThreadCount()));
  m_threads->setValue(settings.workerThreads());
  m_threads->setToolTip(tr("CPU threads per training process"));

  m_pollInterval = new QSpinBox(this);
  m_pollInterval->setRange(100, 60000);
  m_pollInterval->setSingleStep(100);
  m_pollInterval->setSuffix(tr(" ms"));
  m_pollInterval->setValue(settings.pollIntervalMs());
  m_pollInterval->setToolTip(tr("How often the window rereads the database for progress"));

  m_theme = new QComboBox(this);
  m_theme->addItem(tr("Follow the system"), int(Settings::Theme::System));
  m_theme->addItem(tr("Light"), int(Settings::Theme::Light));
  m_theme->addItem(tr("Dark"), int(Settings::Theme::Dark));
  m_theme->setCurrentIndex(m_theme->findData(int(settings.theme())));

  const FigureStyle style = settings.figureStyle();
  m_figureFont = new QFontComboBox(this);
  m_figureFont->setCurrentFont(QFont(style.fontFamily));
  m_figurePointSize = new QDoubleSpinBox(this);
  m_figurePointSize->setRange(FigureStyle::kMinPointSize, FigureStyle::kMaxPointSize);
  m_figurePointSize->setDecimals(1);
  m_figurePointSize->setSingleStep(0.5);
  m_figurePointSize->setSuffix(tr(" pt"));
  m_figurePointSize->setValue(style.pointSize);
  m_figureLineWidth = new QDoubleSpinBox(this);
  m_figureLineWidth->setRange(0.1, FigureStyle::kMaxLineWidth);
  m_figureLineWidth->setDecimals(1);
  m_figureLineWidth->setSingleStep(0.25);
  m_figureLineWidth->setValue(style.lineWidth);
  m_figureMarkerSize = new QDoubleSpinBox(this);
  m_figureMarkerSize->setRange(0.0, FigureStyle::kMaxMarkerSize);
  m_figureMarkerSize->setDecimals(1);
  m_figureMarkerSize->setValue(style.markerSize);
  auto* figureForm = new QFormLayout;
  figureForm->addRow(tr("Font:"), m_figureFont);
  figureForm->addRow(tr("Size:"), m_figurePointSize);
  figureForm->addRow(tr("Line width:"), m_figureLineWidth);
  figureForm->addRow(tr("Marker size:"), m_figureMarkerSize);
  auto* figureBox = new QGroupBox(tr("Figures (dashboards and exports)"), this);
  figureBox->setLayout(figureForm);

  auto* form = new QFormLayout;
  form->addRow(tr("Worker slots:"), m_slots);
  form->addRow(tr("Threads per run:"), m_threads);
  form->addRow(tr("Refresh every:"), m_pollInterval);
  form->addRow(tr("Theme:"), m_theme);
  auto* note =
      new QLabel(tr("Worker settings apply to the next worker started; the theme after a restart."), this);
  note->setWordWrap(true);
  note->setForegroundRole(QPalette::PlaceholderText);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(figureBox);
  layout->addWidget(note);
  layout->addWidget(buttons);
}

void SettingsDialog::accept() {
  m_settings.setWorkerSlots(m_slots->value());
  m_settings.setWorkerThreads(m_threads->value());
  m_settings.setPollIntervalMs(m_pollInterval->value());
  m_settings.setTheme(static_cast<Settings::Theme>(m_theme->currentData().toInt()));
  FigureStyle style = m_settings.figureStyle();
  style.fontFamily = m_figureFont->currentFont().family();
  style.pointSize = m_figurePointSize->value();
  style.lineWidth = m_figureLineWidth->value();
  style.markerSize = m_figureMarkerSize->value();
  m_settings.setFigureStyle(style);
  m_settings.sync();
  QDialog::accept();
}

}  // namespace zoolab
