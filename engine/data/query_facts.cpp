#include "engine/data/query_facts.h"

#include <algorithm>

#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

std::vector<QueryFacts> labelled_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                             const std::function<void(QueryFacts& facts)>& locate) {
  std::vector<QueryFacts> facts;
  for (int64_t p = 0; p < seq_len; ++p) {
    if (labels[p] == kIgnoreLabel) {
      continue;
    }
    QueryFacts f;
    f.position = static_cast<int32_t>(p);
    f.key = static_cast<int32_t>(inputs[p]);
    f.target = static_cast<int32_t>(labels[p]);
    if (locate) {
      locate(f);
    }
    facts.push_back(f);
  }
  return facts;
}

int64_t slice_or(const Slices& slices, const std::string& key, int64_t otherwise) {
  const auto found = slices.find(key);
  return found == slices.end() ? otherwise : found->second;
}

std::vector<QueryFacts> mqar_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                         int64_t num_kv_pairs, int64_t num_passes) {
  const int64_t context = std::min<int64_t>(2 * num_kv_pairs * num_passes, seq_len);
  return labelled_query_facts(inputs, labels, seq_len, [&](QueryFacts& f) {
    // Keys sit at even context offsets (k v k v ...); with several passes the latest occurrence
    // before the query is the one a recurrent model saw last.
    const int64_t limit = std::min<int64_t>(context, f.position);  // context positions before the query
    for (int64_t k = limit > 0 ? ((limit - 1) / 2) * 2 : -2; k >= 0; k -= 2) {
      if (inputs[k] == f.key) {
        f.set_source(k, (k / 2) % std::max<int64_t>(num_kv_pairs, 1));
        return;
      }
    }
  });
}

std::vector<QueryFacts> latest_pair_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                                const Slices& /*slices*/) {
  return labelled_query_facts(inputs, labels, seq_len, [&](QueryFacts& f) {
    for (int64_t k = f.position - 2; k >= 0; --k) {
      if (inputs[k] == f.key && inputs[k + 1] == f.target) {
        f.set_source(k);
        return;
      }
    }
  });
}

std::vector<QueryFacts> sourceless_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                               const Slices& /*slices*/) {
  return labelled_query_facts(inputs, labels, seq_len);
}

std::vector<QueryFacts> task_query_facts(const std::string& task, const int64_t* inputs,
                                         const int64_t* labels, int64_t seq_len, const Slices& slices) {
  return find_task(task).query_facts(inputs, labels, seq_len, slices);
}

}  // namespace zoolab
