#pragma once

// Internal to engine/analysis: seed groups in the dashboards (engine/analysis/seed_group.h). Runs whose
// configurations differ only in their seeds repeat one experiment; a dashboard cell compares groups by
// their mean and plots the chosen group's mean with an error bar, so one lucky seed cannot win a cell.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/analysis/dashboard_support.h"
#include "engine/analysis/figure.h"
#include "engine/analysis/seed_group.h"

namespace zoolab::dashboard {

struct RunGroup {
  std::vector<RunValue> members;  // in run id order
  RunValue best;                  // the member that `better` puts first: the point's run_id
  SpreadStats stats;              // of the members' values
  int64_t first_id() const { return members.front().run->run.id; }
};

// The runs grouped by RunFacts::seed_group, in the order of each group's first run in `runs`.
std::vector<RunGroup> group_by_seed(const std::vector<RunValue>& runs, bool lower_wins);

// Whether group `a` beats `b`: the better mean (as `better` orders values), ties to the group whose
// smallest run id is lower, so a group of one compares exactly as its run does.
bool better_group(const RunGroup& a, const RunGroup& b, bool lower_wins);

// Throws std::invalid_argument unless options.error_bars is "std", "minmax" or "none".
void check_error_bars(const DashboardOptions& options);

// The spread of a point summarising `stats.n` > 1 values, its error bar from low to high as
// options.error_bars draws it ("none": low = high = mean); nullopt for a single value.
std::optional<FigureSpread> spread_for(const SpreadStats& stats, const DashboardOptions& options);

// A point of a group with these stats (the members' values at this x): y the mean, run_id the best
// member, run_ids every member, spread when n > 1. `label` is the whole hover text.
FigurePoint group_point(double x, const RunGroup& group, const SpreadStats& stats,
                        const DashboardOptions& options, std::string label);

// Hover text of a chosen group: describe_run for a group of one (today's text); else the mean ± std, n,
// min and max, the members and the best member ("run 12 ...").
std::string describe_group(const RunGroup& group, const SpreadStats& stats, const DashboardOptions& options);

// "1, 2, 3" of the members' run ids.
std::string member_ids(const RunGroup& group);

}  // namespace zoolab::dashboard
