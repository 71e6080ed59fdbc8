#include "engine/analysis/task_definition.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace zoolab::dashboard {

namespace {

using nlohmann::json;

// What each accuracy dashboard plots and so must leave out of the definition, or one figure would
// split into one definition per panel or per x value:
//   accuracy-vs-width: the panels are sequence lengths, and Zoology's Fig. 2 changes the kv pairs
//     and the batch size with the length (zoology-figure2.json zips them): the segments'
//     input_seq_len and num_kv_pairs (train and test) and data.batch_size.
//   accuracy-vs-state-size, accuracy-vs-parameters: x and the series come from the model alone, so
//     nothing of the data is left out (runs of another sequence length are another task here).
//   accuracy-by-kv-pairs: the x values are the test segments' num_kv_pairs.
//   accuracy-by-seq-len: the x values are the test segments' input_seq_len.
// Every dashboard chooses over the model and the optimisation settings (model.*, train.learning_rate,
// weight_decay, shuffle, lm_head, ...), so none of those is part of any definition.
struct Plotted {
  bool batch_size = false;
  std::vector<std::string> train_fields;
  std::vector<std::string> test_fields;
};

Plotted plotted_by(const std::string& name) {
  Plotted plotted;
  if (name == "accuracy-vs-width") {
    plotted.batch_size = true;
    plotted.train_fields = {"input_seq_len", "num_kv_pairs"};
    plotted.test_fields = {"input_seq_len", "num_kv_pairs"};
  } else if (name == "accuracy-by-kv-pairs") {
    plotted.test_fields = {"num_kv_pairs"};
  } else if (name == "accuracy-by-seq-len") {
    plotted.test_fields = {"input_seq_len"};
  }
  return plotted;
}

json field(const json& object, const char* key) {
  if (!object.is_object()) {
    return json();
  }
  const auto found = object.find(key);
  return found == object.end() ? json() : *found;
}

json segments_without(const json& segments, const std::vector<std::string>& fields) {
  if (!segments.is_array()) {
    return segments;
  }
  json out = json::array();
  for (json segment : segments) {
    if (segment.is_object()) {
      for (const auto& name : fields) {
        segment.erase(name);
      }
    }
    out.push_back(std::move(segment));
  }
  return out;
}

// FNV-1a over the definition's canonical text: a short key to type (--task-definition 3fa2c1d0).
std::string key_of(const json& definition) {
  uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : definition.dump()) {
    hash = (hash ^ c) * 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%08x", static_cast<unsigned>(hash >> 32));
  return text;
}

std::string range_text(int64_t low, int64_t high) {
  return low == high ? std::to_string(low) : std::to_string(low) + "–" + std::to_string(high);
}

struct Found {
  json definition;
  int64_t runs = 0;
  int64_t newest = 0;  // the highest run id: ties between definitions go to the newest
  int64_t min_kv = 0;
  int64_t max_kv = 0;
  const RunFacts* example = nullptr;
};

// "mqar V=8192, 64 epochs, train kv 4–64" (vs width: the lengths are the panels) or
// "mqar L=64 kv=4 V=8192, 64 epochs" (the longest training segment).
std::string label_of(const Found& found, const std::string& name) {
  const json& definition = found.definition;
  const json task = field(definition, "task");
  std::string label = task.is_string() ? task.get<std::string>() : "mqar";
  if (name != "accuracy-vs-width" && found.example->seq_len > 0) {
    label +=
        " L=" + std::to_string(found.example->seq_len) + " kv=" + std::to_string(found.example->num_kv_pairs);
  }
  const json vocab = field(definition, "vocab_size");
  label += " V=" + (vocab.is_null() ? std::string("?") : scalar_text(vocab));
  const json epochs = field(definition, "max_epochs");
  if (!epochs.is_null()) {
    label += ", " + scalar_text(epochs) + (epochs == 1 ? " epoch" : " epochs");
  }
  if (name == "accuracy-vs-width" && found.max_kv > 0) {
    label += ", train kv " + range_text(found.min_kv, found.max_kv);
  }
  const json average = field(definition, "accuracy_average");
  if (average.is_string() && average != "example") {
    label += ", " + average.get<std::string>() + " accuracy";
  }
  return label;
}

}  // namespace

json task_definition_of(const RunFacts& run, const std::string& name) {
  const Plotted plotted = plotted_by(name);
  const json data = field(run.config, "data");
  const json train = field(run.config, "train");
  json definition = json::object();
  const json task = field(data, "task");
  definition["task"] = task.is_null() ? json("mqar") : task;  // written back for text runs only
  definition["vocab_size"] = field(data, "vocab_size");
  if (!plotted.batch_size) {
    definition["batch_size"] = field(data, "batch_size");
  }
  definition["train"] = segments_without(field(data, "train"), plotted.train_fields);
  definition["test"] = segments_without(field(data, "test"), plotted.test_fields);
  if (data.is_object() && data.contains("text")) {
    definition["text"] = data["text"];
  }
  // The budget, the stopping rule and what "accuracy" averages over (per example or per token).
  for (const char* key :
       {"max_epochs", "early_stopping_metric", "early_stopping_threshold", "accuracy_average"}) {
    definition[key] = field(train, key);
  }
  return definition;
}

void keep_one_task_definition(Figure& figure, Selection& selection, const std::string& name,
                              const DashboardOptions& options) {
  std::map<std::string, Found> found;
  std::vector<std::string> key_of_run;
  for (const auto& candidate : selection.runs) {
    json definition = task_definition_of(*candidate.run, name);
    const std::string key = key_of(definition);
    key_of_run.push_back(key);
    Found& entry = found[key];
    if (entry.runs == 0) {
      entry.definition = std::move(definition);
      entry.example = candidate.run;
      entry.min_kv = entry.max_kv = candidate.run->num_kv_pairs;
    }
    ++entry.runs;
    entry.newest = std::max(entry.newest, candidate.run->run.id);
    entry.min_kv = std::min(entry.min_kv, candidate.run->num_kv_pairs);
    entry.max_kv = std::max(entry.max_kv, candidate.run->num_kv_pairs);
  }
  std::vector<std::string> order;
  for (const auto& [key, entry] : found) {
    order.push_back(key);
  }
  std::sort(order.begin(), order.end(), [&found](const std::string& a, const std::string& b) {
    const Found& x = found.at(a);
    const Found& y = found.at(b);
    return x.runs != y.runs ? x.runs > y.runs : x.newest > y.newest;
  });
  std::map<std::string, int> label_uses;
  std::vector<std::string> labels;
  for (const auto& key : order) {
    labels.push_back(label_of(found.at(key), name));
    ++label_uses[labels.back()];
  }
  figure.task_definitions.clear();
  for (size_t i = 0; i < order.size(); ++i) {
    FigureTaskDefinition definition;
    definition.key = order[i];
    // Definitions differing only where the label is silent (the number of examples, the stopping
    // threshold, ...) are told apart by their keys.
    definition.label = label_uses[labels[i]] > 1 ? labels[i] + " [" + order[i] + "]" : labels[i];
    definition.runs = found.at(order[i]).runs;
    figure.task_definitions.push_back(std::move(definition));
  }

  std::string chosen = options.task_definition;
  if (chosen.empty()) {
    chosen = order.empty() ? "" : order.front();
  } else if (!found.count(chosen)) {
    std::string known;
    for (const auto& definition : figure.task_definitions) {
      known += (known.empty() ? "" : "; ") + definition.key + " (" + definition.label + ", " +
               std::to_string(definition.runs) + (definition.runs == 1 ? " run)" : " runs)");
    }
    throw std::invalid_argument("dashboard option task_definition: \"" + options.task_definition +
                                "\" is not a task definition of the selected runs; " +
                                (known.empty() ? std::string("they have none (no runs to compare)")
                                               : "the task definitions are " + known));
  }
  figure.task_definition = chosen;

  std::vector<RunValue> kept;
  size_t left_out = 0;
  for (size_t i = 0; i < selection.runs.size(); ++i) {
    if (key_of_run[i] == chosen) {
      kept.push_back(selection.runs[i]);
    } else {
      ++left_out;
    }
  }
  selection.runs = std::move(kept);
  if (left_out > 0) {
    const size_t others = found.size() - 1;
    selection.notes.push_back(std::to_string(left_out) + (left_out == 1 ? " run" : " runs") + " of " +
                              std::to_string(others) + " other task " +
                              (others == 1 ? "definition" : "definitions") +
                              " left out (compare like with like: choose the task definition to see them)");
  }
}

}  // namespace zoolab::dashboard
