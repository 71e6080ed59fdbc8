#include "engine/analysis/dashboard_groups.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace zoolab::dashboard {

std::vector<RunGroup> group_by_seed(const std::vector<RunValue>& runs, bool lower_wins) {
  std::vector<RunGroup> groups;
  std::map<std::string, size_t> index;  // seed group key -> position in groups
  for (const auto& run : runs) {
    const auto [found, added] = index.emplace(run.run->seed_group, groups.size());
    if (added) {
      groups.emplace_back();
    }
    groups[found->second].members.push_back(run);
  }
  for (auto& group : groups) {
    std::sort(group.members.begin(), group.members.end(),
              [](const RunValue& a, const RunValue& b) { return a.run->run.id < b.run->run.id; });
    std::vector<double> values;
    group.best = group.members.front();
    for (const auto& member : group.members) {
      values.push_back(member.value);
      if (better(member, group.best, lower_wins)) {
        group.best = member;
      }
    }
    group.stats = spread_of(values);
  }
  return groups;
}

bool better_group(const RunGroup& a, const RunGroup& b, bool lower_wins) {
  if (a.stats.mean != b.stats.mean) {
    return lower_wins ? a.stats.mean < b.stats.mean : a.stats.mean > b.stats.mean;
  }
  return a.first_id() < b.first_id();
}

void check_error_bars(const DashboardOptions& options) {
  if (options.error_bars != "std" && options.error_bars != "minmax" && options.error_bars != "none") {
    throw std::invalid_argument("dashboard option error_bars: \"" + options.error_bars +
                                "\" is not one of std, minmax, none (a seed group's error bar: mean ± "
                                "standard deviation, min to max, or no bar)");
  }
}

std::optional<FigureSpread> spread_for(const SpreadStats& stats, const DashboardOptions& options) {
  if (stats.n <= 1) {
    return std::nullopt;
  }
  FigureSpread spread;
  spread.n = stats.n;
  spread.mean = stats.mean;
  spread.std = stats.std;
  spread.min = stats.min;
  spread.max = stats.max;
  if (options.error_bars == "std") {
    spread.low = stats.mean - stats.std;
    spread.high = stats.mean + stats.std;
  } else if (options.error_bars == "minmax") {
    spread.low = stats.min;
    spread.high = stats.max;
  } else {
    spread.low = stats.mean;
    spread.high = stats.mean;
  }
  return spread;
}

FigurePoint group_point(double x, const RunGroup& group, const SpreadStats& stats,
                        const DashboardOptions& options, std::string label) {
  FigurePoint point = FigurePoint::of_run(x, stats.mean, group.best.run->run.id, std::move(label));
  point.run_ids.clear();
  for (const auto& member : group.members) {
    point.run_ids.push_back(member.run->run.id);
  }
  point.spread = spread_for(stats, options);
  return point;
}

std::string member_ids(const RunGroup& group) {
  std::string out;
  for (const auto& member : group.members) {
    out += (out.empty() ? "" : ", ") + std::to_string(member.run->run.id);
  }
  return out;
}

std::string describe_group(const RunGroup& group, const SpreadStats& stats, const DashboardOptions& options) {
  if (group.members.size() == 1) {
    return describe_run(group.best, options);
  }
  const RunFacts& best = *group.best.run;
  return "n=" + std::to_string(stats.n) + " seeds (runs " + member_ids(group) + "): mean " +
         options.aggregate + " " + options.metric + " " + format_value(stats.mean) + " ± " +
         format_value(stats.std) + ", min " + format_value(stats.min) + ", max " + format_value(stats.max) +
         "; best run " + std::to_string(best.run.id) + " \"" + best.run.name + "\": lr " +
         format_value(best.learning_rate);
}

}  // namespace zoolab::dashboard
