#pragma once

// Reads what the Inspector's Patterns page (views/pattern_view.h) draws from a run's stored evaluations:
// the steps that stored patterns (Store::pattern_steps), every example's patterns at the chosen step
// (Store::patterns) and the run's test split, regenerated from its configuration once per run
// (engine/inspect/inspection.h) so that the view can name an example's tokens. It lives on the window's
// feed thread, like the other feeds (docs/architecture.md#data-path): regenerating a split or reading a
// step's records never holds up the window.

#include <cstdint>
#include <memory>
#include <vector>

#include <QObject>
#include <QString>

#include "engine/data/tasks/mqar.h"
#include "engine/store/records.h"

namespace zoolab {

class Store;

// What the Patterns page asks for: a run, and the step it would like (else the one it shows, else the
// latest).
struct PatternRequest {
  qint64 runId = 0;
  qint64 wantedStep = -1;  // followed from another page or chosen by the user
  qint64 shownStep = -1;   // kept when still stored
};

// The answer to a PatternRequest. Plain data: built on the feed's thread, read on the GUI's.
struct PatternData {
  QString databasePath;  // the database read, so an answer about a database no longer shown is dropped
  qint64 runId = 0;
  QString error;                        // why the steps or the step's records cannot be read
  std::vector<int64_t> steps;           // ascending; empty: the run stored no patterns
  int64_t step = -1;                    // the step read, among `steps`
  std::vector<PatternRecord> patterns;  // every example's records at `step`
  // The run's test split, or null and why not (the view then shows positions instead of tokens).
  std::shared_ptr<const std::vector<TokenSegment>> split;
  QString splitError;
};

class PatternFeed : public QObject {
  Q_OBJECT

 public:
  // Does not touch the file yet: the first load() opens it.
  explicit PatternFeed(const QString& databasePath, QObject* parent = nullptr);
  ~PatternFeed() override;

  // Reads the requested run and answers loaded. Runs on the thread the feed lives on: connect a request
  // signal to it.
  void load(const zoolab::PatternRequest& request);

  Q_SIGNAL void loaded(std::shared_ptr<const zoolab::PatternData> data);

 private:
  QString m_path;
  std::unique_ptr<Store> m_store;
  qint64 m_splitRun = 0;  // the run m_split was regenerated for
  std::shared_ptr<const std::vector<TokenSegment>> m_split;
};

}  // namespace zoolab
