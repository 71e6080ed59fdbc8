// The sweeps table: a sweep's definition under its name, the runs it enqueued, and their progress.
// Text is stored as valid UTF-8, as everywhere in the store (engine/store/store.cpp).

#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"
#include "engine/util/strict_json.h"

namespace zoolab {

int64_t Store::create_sweep(const std::string& given_name, const std::string& spec_json) {
  const std::string name = to_valid_utf8(given_name);
  if (find_sweep(name)) {
    throw StoreError("a sweep named \"" + escape_for_terminal(name) + "\" already exists in " + m_path);
  }
  SqliteStatement insert(m_db,
                         "INSERT INTO sweeps (name, spec_json, created_at) "
                         "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
  insert.bind(1, name).bind(2, to_valid_utf8(spec_json));
  insert.run();
  return sqlite3_last_insert_rowid(m_db);
}

namespace {

// How a sweep file given again relates to the one stored under its name.
enum class SweepDefinition { Same, Grown, Different };

// Two sweep files define the same sweep when they agree on everything but the top-level "description":
// a description is prose (the built-in presets' descriptions get reworded between releases), and
// re-enqueueing a preset after such an edit must still add only its missing points. A sweep has grown when
// the given file only appends entries to the stored one's "parts" (a built-in sweep completed with models
// added since, as based-figure2 with Mamba-2): its old points keep their names and runs, and the new ones
// are added. A text that fails to parse compares as its bytes.
SweepDefinition compare_sweep_definitions(const std::string& stored, const std::string& given) {
  if (stored == given) {
    return SweepDefinition::Same;
  }
  try {
    auto a = parse_strict_json(stored);
    auto b = parse_strict_json(given);
    if (!a.is_object() || !b.is_object()) {
      return SweepDefinition::Different;
    }
    a.erase("description");
    b.erase("description");
    if (a == b) {
      return SweepDefinition::Same;
    }
    const auto old_parts = a.find("parts"), new_parts = b.find("parts");
    if (old_parts == a.end() || new_parts == b.end() || !old_parts->is_array() || !new_parts->is_array() ||
        new_parts->size() <= old_parts->size() ||
        !std::equal(old_parts->begin(), old_parts->end(), new_parts->begin())) {
      return SweepDefinition::Different;
    }
    a.erase("parts");
    b.erase("parts");
    return a == b ? SweepDefinition::Grown : SweepDefinition::Different;
  } catch (const JsonSyntaxError&) {
    return SweepDefinition::Different;
  }
}

}  // namespace

Store::SweepEnqueue Store::add_sweep_runs(const std::string& given_name, const std::string& spec_json,
                                          std::vector<NewRun> runs) {
  // Compared with what is stored, so in the form that is stored.
  const std::string name = to_valid_utf8(given_name);
  SqliteTransaction transaction(m_db);
  SweepEnqueue result;
  if (const auto existing = find_sweep(name)) {
    const auto relation = compare_sweep_definitions(existing->spec_json, to_valid_utf8(spec_json));
    if (relation == SweepDefinition::Grown) {
      SqliteStatement update(m_db, "UPDATE sweeps SET spec_json = ? WHERE id = ?");
      update.bind(1, to_valid_utf8(spec_json)).bind(2, existing->id);
      update.run();
    } else if (relation == SweepDefinition::Different) {
      throw StoreError("a sweep named \"" + escape_for_terminal(name) + "\" already exists in " + m_path +
                       " with a different sweep file (enqueued " + existing->created_at +
                       "); give this sweep another \"name\", or compare the two with `sqlite3 " + m_path +
                       " \"SELECT spec_json FROM sweeps WHERE name = '" + escape_for_terminal(name) + "'\"`");
    }
    result.sweep_id = existing->id;
  } else {
    result.sweep_id = create_sweep(name, spec_json);
  }
  const auto present = sweep_run_names(result.sweep_id);
  for (auto& run : runs) {
    run.name = to_valid_utf8(run.name);
    if (std::find(present.begin(), present.end(), run.name) != present.end()) {
      ++result.already_present;
      continue;
    }
    run.sweep_id = result.sweep_id;
    result.created.push_back(create_run(run));
  }
  transaction.commit();
  return result;
}

namespace {

// Counts per status come from one grouped join, so the GUI's sweep list costs one query.
const char* const kSweepQuery =
    "SELECT s.id, s.name, s.spec_json, s.created_at, count(r.id), "
    "coalesce(sum(r.status = 'queued'), 0), coalesce(sum(r.status = 'running'), 0), "
    "coalesce(sum(r.status = 'finished'), 0) "
    "FROM sweeps s LEFT JOIN runs r ON r.sweep_id = s.id ";

SweepRecord read_sweep(const SqliteStatement& row) {
  SweepRecord sweep;
  sweep.id = row.column_int64(0);
  sweep.name = row.column_utf8(1);
  sweep.spec_json = row.column_utf8(2);
  sweep.created_at = row.column_utf8(3);
  sweep.total = row.column_int64(4);
  sweep.queued = row.column_int64(5);
  sweep.running = row.column_int64(6);
  sweep.finished = row.column_int64(7);
  sweep.other = sweep.total - sweep.queued - sweep.running - sweep.finished;
  return sweep;
}

}  // namespace

std::optional<SweepRecord> Store::find_sweep(const std::string& name) const {
  SqliteStatement query(m_db, std::string(kSweepQuery) + "WHERE s.name = ? GROUP BY s.id");
  query.bind(1, name);
  if (!query.step()) {
    return std::nullopt;
  }
  return read_sweep(query);
}

std::vector<SweepRecord> Store::list_sweeps() const {
  SqliteStatement query(m_db, std::string(kSweepQuery) + "GROUP BY s.id ORDER BY s.id");
  std::vector<SweepRecord> sweeps;
  while (query.step()) {
    sweeps.push_back(read_sweep(query));
  }
  return sweeps;
}

std::vector<std::string> Store::sweep_run_names(int64_t sweep) const {
  SqliteStatement query(m_db, "SELECT name FROM runs WHERE sweep_id = ? ORDER BY id");
  query.bind(1, sweep);
  std::vector<std::string> names;
  while (query.step()) {
    names.push_back(query.column_utf8(0));
  }
  return names;
}

}  // namespace zoolab
