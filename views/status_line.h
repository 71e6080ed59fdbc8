#pragma once

// The status line under the top bar of the Inspector and Text tabs: wrapped, selectable (a path or a
// message can be copied), and in the error colour when it reports a failure.

#include <QLabel>
#include <QString>

namespace zoolab {

class StatusLine : public QLabel {
  Q_OBJECT

 public:
  // Carries the object name "statusLabel".
  explicit StatusLine(QWidget* parent = nullptr);

  // Shows `text`, in the error colour when `error`.
  void setMessage(const QString& text, bool error = false);
};

}  // namespace zoolab
