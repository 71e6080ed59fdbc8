#pragma once

// A view and its feed on a thread of their own, wired as MainWindow::openDatabase wires them: the view's
// request signal to the feed's load slot, the feed's answer to the view's setData. `readOn` is the thread
// the last answer was made on, so a test can check that the feed read off the GUI thread.

#include <QObject>
#include <QString>
#include <QThread>

namespace zoolab::testing {

template <typename View, typename Feed>
struct FedView {
  template <typename RequestSignal>
  FedView(const QString& path, RequestSignal request) : feed(new Feed(path)) {
    thread.start();
    feed->moveToThread(&thread);
    QObject::connect(&view, request, feed, &Feed::load);
    QObject::connect(feed, &Feed::loaded, &view, &View::setData);
    QObject::connect(
        feed, &Feed::loaded, feed, [this] { readOn = QThread::currentThread(); }, Qt::DirectConnection);
    view.setDatabasePath(path);
  }
  ~FedView() {
    feed->deleteLater();
    thread.quit();
    thread.wait();
  }
  FedView(const FedView&) = delete;
  FedView& operator=(const FedView&) = delete;

  void show(int width, int height) {
    view.resize(width, height);
    view.show();
  }

  QThread thread;
  Feed* feed;
  View view;
  QThread* readOn = nullptr;
};

}  // namespace zoolab::testing
