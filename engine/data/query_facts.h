#pragma once

// The facts of a task's queries that do not depend on the model: for every labelled position of one
// example, its token, its target and where in the sequence the answer can be read (the "source": for
// recall tasks the key as it was stored with its value, for copying tasks the token to copy). Each task
// of the registry (engine/data/task_registry.h) names the rule that finds them; the per-query records,
// the probe and the inspector's views use them. Torch-free.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace zoolab {

struct QueryFacts {
  int32_t position = 0;
  int32_t key = 0;            // the input token at the query
  int32_t target = 0;         // the label there
  int32_t key_position = -1;  // the source of the answer before the query, or -1 (none, or not found)
  int32_t gap = 0;            // position - key_position (0 without a source)
  int16_t kv_index = -1;      // which stored item the source is (MQAR: its pair of the context), or -1

  // Records the source at `source` (before the query) and, where the task numbers its items, which one.
  void set_source(int64_t source, int64_t index = -1) {
    key_position = static_cast<int32_t>(source);
    gap = static_cast<int32_t>(position - source);
    kv_index = index >= 0 && index <= INT16_MAX ? static_cast<int16_t>(index) : int16_t{-1};
  }
};

// Slices of the example's segment (TokenSegment::slices), for rules that need the segment's shape.
using Slices = std::map<std::string, int64_t>;

// The facts of every labelled position (labels != -100) of one example, in order.
using QueryFactsRule = std::function<std::vector<QueryFacts>(const int64_t* inputs, const int64_t* labels,
                                                             int64_t seq_len, const Slices& slices)>;

// The facts of every labelled position of one example, in order, with position, key and target filled in;
// `locate` (when given) finds each one's source (QueryFacts::set_source). The rules below are built on it.
std::vector<QueryFacts> labelled_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                             const std::function<void(QueryFacts& facts)>& locate = {});

// A slice's value, or `otherwise` when the example's segment has no such slice.
int64_t slice_or(const Slices& slices, const std::string& key, int64_t otherwise);

// MQAR: the context is the first 2·num_kv_pairs·num_passes tokens, laid out k v k v ...; the source is the
// latest occurrence of the query's key there, and kv_index its pair.
std::vector<QueryFacts> mqar_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                         int64_t num_kv_pairs, int64_t num_passes);

// The rule of recall tasks without MQAR's fixed context: the source is the latest position p before the
// query whose token is the query's and whose next token is the target (the key as it was stored with its
// value); kv_index stays -1.
std::vector<QueryFacts> latest_pair_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                                const Slices& slices);

// Tasks whose answer is not a token of the sequence (circuits, memorization): no source.
std::vector<QueryFacts> sourceless_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                               const Slices& slices);

// The facts by the rule of `task` (a registry name); throws ConfigError for an unknown task.
std::vector<QueryFacts> task_query_facts(const std::string& task, const int64_t* inputs,
                                         const int64_t* labels, int64_t seq_len, const Slices& slices);

}  // namespace zoolab
