#pragma once

// MQAR evaluation with Zoology's semantics (reference/zoology-port.md §3.2 step 6, commit 0bb9665):
// valid/loss is the mean over batches of the batch's cross-entropy on labelled positions;
// valid/accuracy the mean over examples of each example's query accuracy (or, with
// accuracy_average "token", the paper-era micro average); per-slice accuracies are named
// "valid/<key>/accuracy-<value>".

#include <map>
#include <string>

#include "engine/config/run_config.h"
#include "engine/train/batches.h"
#include "models/language_model.h"

namespace zoolab {

std::map<std::string, double> evaluate(LanguageModel& model, const SplitData& split, const TrainConfig& config);

}  // namespace zoolab
