// zoolab-cli dashboard: a comparison dashboard of the run database (engine/analysis/dashboards.h) as a
// text table, JSON or CSV, the same data the GUI's dashboards and `zoolab --export` draw.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "engine/analysis/dashboards.h"
#include "engine/analysis/figure.h"
#include "engine/cli/commands.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {
namespace {

struct DashboardArgs {
  std::string db;
  std::string name;
  std::string sweep;
  bool list = false;
  bool json = false;
  bool csv = false;
  DashboardOptions options;
};

std::string number_text(double value, const char* format) {
  char text[40];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

void print_list() {
  size_t width = 0;
  for (const auto& info : dashboard_list()) {
    width = std::max(width, info.name.size());
  }
  for (const auto& info : dashboard_list()) {
    std::printf("%-*s  %s\n", static_cast<int>(width), info.name.c_str(), info.description.c_str());
  }
}

void print_table(const FigureTable& table) {
  std::vector<size_t> widths(table.columns.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(table.columns);
  for (const auto& row : table.rows) {
    measure(row);
  }
  auto print_row = [&widths](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      // The first column (the row keys) left-aligned, the values right-aligned.
      const std::string pad(widths[i] - row[i].size(), ' ');
      line += (i == 0 ? row[i] + pad : "  " + pad + row[i]);
    }
    std::cout << line << "\n";
  };
  print_row(table.columns);
  for (const auto& row : table.rows) {
    print_row(row);
  }
}

// The task definitions among the runs, the plotted one starred, with the key --task-definition takes.
void print_task_definitions(const Figure& figure) {
  if (figure.task_definitions.empty()) {
    return;
  }
  std::cout << "\ntask definitions (choose with --task-definition KEY):\n";
  for (const auto& definition : figure.task_definitions) {
    std::cout << (definition.key == figure.task_definition ? "* " : "  ") << definition.key << "  "
              << escape_for_terminal(definition.label) << "  (" << definition.runs
              << (definition.runs == 1 ? " run)" : " runs)") << "\n";
  }
}

// "n" and "error bar" columns: a seed group's size and its bar; a single run is n 1, no bar.
std::string group_size(const FigurePoint& point) {
  if (point.spread) {
    return std::to_string(point.spread->n);
  }
  return point.run_ids.empty() ? "-" : "1";
}

std::string error_bar(const FigurePoint& point) {
  if (!point.spread) {
    return "-";
  }
  return number_text(point.spread->low, "%.4g") + ".." + number_text(point.spread->high, "%.4g");
}

// Readable text: each panel's points, one line each, with the hover label naming the chosen run.
void print_figure(const Figure& figure) {
  std::cout << figure.title << "\n";
  print_task_definitions(figure);
  if (figure.table) {
    std::cout << "\n";
    print_table(*figure.table);
  }
  for (const auto& panel : figure.panels) {
    std::cout << "\n"
              << panel.title << "  (x: " << panel.x.title << (panel.x.log ? ", log" : "")
              << "; y: " << panel.y.title << ")\n";
    size_t width = 6;
    for (const auto& series : panel.series) {
      width = std::max(width, series.name.size());
    }
    std::printf("  %-*s %12s %10s %4s %15s %6s  %s\n", static_cast<int>(width), "series", "x", "y", "n",
                "error bar", "run", "chosen");
    for (const auto& series : panel.series) {
      for (const auto& point : series.points) {
        std::printf("  %-*s %12s %10s %4s %15s %6s  %s\n", static_cast<int>(width), series.name.c_str(),
                    number_text(point.x, "%.6g").c_str(), number_text(point.y, "%.4g").c_str(),
                    group_size(point).c_str(), error_bar(point).c_str(),
                    point.run_id == 0 ? "-" : std::to_string(point.run_id).c_str(),
                    escape_for_terminal(point.label).c_str());
      }
    }
    for (const auto& marker : panel.markers) {
      std::cout << "  marker at x = " << number_text(marker.x, "%.6g") << ": " << marker.label << "\n";
    }
  }
  if (figure.panels.empty() && !figure.table) {
    std::cout << "\n(nothing to show)\n";
  }
  if (!figure.notes.empty()) {
    std::cout << "\n";
  }
  for (const auto& note : figure.notes) {
    std::cout << "note: " << note << "\n";
  }
}

}  // namespace

void add_dashboard_command(CLI::App& app, CliState& state) {
  auto args = std::make_shared<DashboardArgs>();
  auto* command = app.add_subcommand(
      "dashboard",
      "Show a comparison dashboard of the runs (accuracy vs width, state size, ...); --list names them");
  command->add_option("name", args->name, "Dashboard name (see --list)");
  auto* list = command->add_flag("--list", args->list, "List the dashboards with a one-line description");
  command->add_option("--db", args->db, kDatabaseOptionHelp);
  command->add_option("--metric", args->options.metric, "Metric key compared across runs")
      ->capture_default_str();
  command
      ->add_option("--aggregate", args->options.aggregate,
                   "A run's value: its last or best value of the metric")
      ->capture_default_str();
  command->add_flag("--include-unfinished", args->options.include_unfinished,
                    "Also running, cancelled, failed, ... runs that logged the metric");
  command->add_flag("--pin-paper", args->options.pin_paper,
                    "Add the published values (Zoology Fig. 2; the Based paper's 0.99 state size)");
  command->add_option("--sweep", args->sweep, "Only the runs of this sweep (by name)");
  command
      ->add_option("--rows", args->options.rows,
                   "pivot-table rows: mixer, sweep, status or a dotted config path")
      ->capture_default_str();
  command
      ->add_option("--columns", args->options.columns,
                   "pivot-table columns: mixer, sweep, status or a dotted config path")
      ->capture_default_str();
  command
      ->add_option("--cell", args->options.cell,
                   "pivot-table cell: best, mean, last (newest run) or group (the best seed group as mean ± "
                   "std (n))")
      ->capture_default_str();
  command
      ->add_option("--error-bars", args->options.error_bars,
                   "A seed group's error bar: std (mean ± sample std), minmax or none")
      ->capture_default_str();
  command->add_option(
      "--task-definition", args->options.task_definition,
      "Plot the runs of this task definition (a key the text or --json output lists; default: "
      "the one with most runs)");
  command
      ->add_option("--dimension", args->options.dimensions,
                   "parallel-coordinates axis (repeatable; default: every config value that differs)")
      ->allow_extra_args(false);
  auto* json = command->add_flag("--json", args->json, "The figure as one JSON object");
  auto* csv =
      command->add_flag("--csv", args->csv,
                        "Every point as CSV (panel,series,group,style,x,y,run_id,label,n,mean,std,min,"
                        "max,error_low,error_high,run_ids)");
  json->excludes(csv);
  list->excludes(json);
  list->excludes(csv);
  command->callback([args, &state]() {
    if (args->list) {
      if (!args->name.empty()) {
        throw std::invalid_argument("dashboard: give a dashboard NAME or --list, not both");
      }
      print_list();
      state.exit_code = 0;
      return;
    }
    if (args->name.empty()) {
      throw std::invalid_argument("dashboard: give a dashboard NAME (see `zoolab-cli dashboard --list`)");
    }
    Store store(database_path(args->db));
    store.reap_dead_runs();  // a dead trainer's run is interrupted, not running
    if (!args->sweep.empty()) {
      const auto sweep = store.find_sweep(args->sweep);
      if (!sweep) {
        std::string known;
        for (const auto& record : store.list_sweeps()) {
          known += (known.empty() ? "" : ", ") + record.name;
        }
        throw std::invalid_argument("dashboard --sweep: no sweep \"" + args->sweep + "\" in " + store.path() +
                                    (known.empty() ? " (it has no sweeps)" : "; its sweeps are " + known));
      }
      args->options.sweep_id = sweep->id;
    }
    const Figure figure = build_dashboard(args->name, store, args->options);
    if (args->json) {
      std::cout << figure_to_json(figure).dump(2) << std::endl;
    } else if (args->csv) {
      std::cout << figure_to_csv(figure) << std::flush;
    } else {
      print_figure(figure);
    }
    state.exit_code = 0;
  });
}

}  // namespace zoolab
