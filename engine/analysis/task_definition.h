#pragma once

// Internal to engine/analysis: compare like with like. A run's task definition, for one dashboard, is
// what it was asked to learn and with which budget: its data configuration (task, vocabulary, the
// train/test segments and their parameters, batch sizes) and training budget (max_epochs, the early
// stopping rule) and how accuracy is averaged, WITHOUT what does not change the task (run and data
// seeds, data.cache_dir, name, description, train.inspect), without what the dashboard chooses over
// (the model, learning rate, weight decay and the other optimisation settings) and without what it
// plots (a panel or an x value). The accuracy dashboards plot one definition at a time, so a 3-epoch
// V=8192 run never stands beside 64-epoch V=256 runs.

#include <string>

#include <nlohmann/json.hpp>

#include "engine/analysis/dashboard_support.h"
#include "engine/analysis/figure.h"

namespace zoolab::dashboard {

// The definition of `run` for the dashboard `name` (one of the five accuracy dashboards) as JSON.
nlohmann::json task_definition_of(const RunFacts& run, const std::string& name);

// Fills figure.task_definitions (every definition among the selection's runs, most runs first, ties to
// the one with the newest run) and figure.task_definition (options.task_definition, or the first), keeps
// only that definition's runs in `selection` and notes how many others were left out. Throws
// std::invalid_argument naming an unknown options.task_definition and listing the known keys.
void keep_one_task_definition(Figure& figure, Selection& selection, const std::string& name,
                              const DashboardOptions& options);

}  // namespace zoolab::dashboard
