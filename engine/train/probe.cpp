#include "engine/train/probe.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "engine/data/task_registry.h"
#include "engine/data/tasks/mqar.h"
#include "engine/store/store.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_setup.h"
#include "engine/train/pattern_capture.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

// Building a model draws its initial weights from the global torch generator, and load_checkpoint
// restores that generator to the run's; a probe opened in a process (the GUI, a test) must not change
// what that process draws next, so the generator's state is put back afterwards.
class GlobalRngGuard {
 public:
  GlobalRngGuard() : m_state(at::detail::getDefaultCPUGenerator().get_state()) {}
  ~GlobalRngGuard() {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(m_state);
  }
  GlobalRngGuard(const GlobalRngGuard&) = delete;
  GlobalRngGuard& operator=(const GlobalRngGuard&) = delete;

 private:
  torch::Tensor m_state;
};

RunConfig run_config_of(Store& store, int64_t run) {
  const auto record = store.find_run(run);
  if (!record) {
    throw std::runtime_error("probe: run " + std::to_string(run) + " does not exist");
  }
  return parse_run_config(parse_strict_json(record->config_json));
}

std::string latest_checkpoint_path(Store& store, int64_t run) {
  const auto record = store.find_run(run);
  const auto checkpoint = store.latest_checkpoint(run);
  if (!checkpoint) {
    throw std::runtime_error("probe: run " + std::to_string(run) + " (" + (record ? record->name : "?") +
                             ") has no checkpoint yet; it has not completed an epoch");
  }
  return checkpoint->path;
}

}  // namespace

struct Probe::Impl {
  RunConfig config;
  LanguageModel model{nullptr};
  int64_t epoch = 0;
  int64_t max_len = 0;  // longest sequence the model accepts

  Impl(RunConfig run_config, const std::string& path) : config(std::move(run_config)) {
    GlobalRngGuard rng;
    const auto options = language_model_options(config);
    model = LanguageModel(options);
    // load_checkpoint restores optimizer moments too; a throwaway optimizer takes them.
    torch::optim::AdamW optimizer(model->parameters(),
                                  torch::optim::AdamWOptions(config.train.learning_rate));
    epoch = load_checkpoint(path, model, optimizer).epoch;
    model->eval();
    // Learned positions cap the length; every mixer is built for sequences up to l_max (filters,
    // kernels), so l_max caps it too.
    max_len = options.l_max;
    if (options.max_position_embeddings > 0) {
      max_len = std::min(max_len, options.max_position_embeddings);
    }
  }
};

Probe::Probe(Store& store, int64_t run)
    : m_impl(std::make_unique<Impl>(run_config_of(store, run), latest_checkpoint_path(store, run))) {}

Probe::Probe(const RunConfig& config, const std::string& checkpoint_path)
    : m_impl(std::make_unique<Impl>(config, checkpoint_path)) {}

Probe::~Probe() = default;

const RunConfig& Probe::config() const {
  return m_impl->config;
}

int64_t Probe::epoch() const {
  return m_impl->epoch;
}

std::pair<std::vector<int64_t>, std::vector<int64_t>> Probe::generate(int64_t segment, uint64_t seed) const {
  const auto& test = m_impl->config.data.test;
  if (segment < 0 || segment >= static_cast<int64_t>(test.size())) {
    throw std::invalid_argument("probe: test segment " + std::to_string(segment) +
                                " does not exist; the run has " + std::to_string(test.size()) +
                                " test segment(s)");
  }
  auto segment_config = test[static_cast<size_t>(segment)];
  segment_config.num_examples = 1;
  auto data = generate_segment(segment_config, m_impl->config.data.vocab_size, seed);
  return {std::move(data.inputs), std::move(data.labels)};
}

ProbeResult Probe::run(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels,
                       bool mixing_matrix) {
  // Thread-local: the GUI calls this on a worker thread.
  torch::NoGradGuard no_grad;
  auto& model = m_impl->model;
  const int64_t vocab = model->options().vocab_size;
  const int64_t len = static_cast<int64_t>(tokens.size());
  if (tokens.empty()) {
    throw std::invalid_argument("probe: the sequence is empty");
  }
  if (len > m_impl->max_len) {
    throw std::invalid_argument("probe: the sequence has " + std::to_string(len) +
                                " tokens; this model accepts at most " + std::to_string(m_impl->max_len));
  }
  for (int64_t p = 0; p < len; ++p) {
    if (tokens[p] < 0 || tokens[p] >= vocab) {
      throw std::invalid_argument("probe: token " + std::to_string(tokens[p]) + " at position " +
                                  std::to_string(p) + " is outside the vocabulary [0, " +
                                  std::to_string(vocab) + ")");
    }
  }
  if (!labels.empty() && static_cast<int64_t>(labels.size()) != len) {
    throw std::invalid_argument("probe: " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(len) +
                                " tokens; give one per token (-100 where not a query) or none");
  }
  for (size_t p = 0; p < labels.size(); ++p) {
    if (labels[p] != kIgnoreLabel && (labels[p] < 0 || labels[p] >= vocab)) {
      throw std::invalid_argument("probe: label " + std::to_string(labels[p]) + " at position " +
                                  std::to_string(p) + " is neither -100 nor in the vocabulary [0, " +
                                  std::to_string(vocab) + ")");
    }
  }

  ProbeResult result;
  result.tokens = tokens;
  result.labels = labels.empty() ? std::vector<int64_t>(tokens.size(), kIgnoreLabel) : labels;

  model->eval();
  const auto input =
      torch::tensor(tokens, torch::TensorOptions().dtype(torch::kLong)).view({1, len});            // (1, L)
  const auto probs = torch::softmax(model->forward(input)[0].to(torch::kFloat), -1).contiguous();  // (L, V)
  const auto best = probs.max(-1);
  const auto predictions = std::get<1>(best).contiguous();  // (L)
  const auto p_best = std::get<0>(best).contiguous();       // (L)
  result.predictions.assign(predictions.data_ptr<int64_t>(), predictions.data_ptr<int64_t>() + len);
  result.p_prediction.assign(p_best.data_ptr<float>(), p_best.data_ptr<float>() + len);

  // For MQAR the context's shape comes from the run's test segments: MQAR queries every key once, so the
  // number of labels is num_kv_pairs; num_passes is that of the first test segment of this length with
  // that many pairs (else of this length, else 1). A sequence typed by hand thus gets kv = its labels.
  const int64_t kv = std::count_if(result.labels.begin(), result.labels.end(),
                                   [](int64_t label) { return label != kIgnoreLabel; });
  int64_t passes = 1;
  const auto& test = m_impl->config.data.test;
  auto same_len =
      std::find_if(test.begin(), test.end(), [&](const SegmentConfig& s) { return s.input_seq_len == len; });
  auto same_shape = std::find_if(test.begin(), test.end(), [&](const SegmentConfig& s) {
    return s.task == "mqar" && s.input_seq_len == len && s.integer("num_kv_pairs") == kv;
  });
  if (same_shape != test.end()) {
    passes = same_shape->integer("num_passes");
  } else if (same_len != test.end()) {
    passes = same_len->task == "mqar" ? same_len->integer("num_passes") : 1;
  }
  // Other tasks find their sources by their own rule (engine/data/query_facts.h): the task of the first
  // test segment of this length, else of the first test segment.
  const std::string task = same_len != test.end() ? same_len->task
                           : test.empty()         ? "mqar"
                                                  : test.front().task;
  result.queries = task == "mqar"
                       ? mqar_query_facts(result.tokens.data(), result.labels.data(), len, kv, passes)
                       : task_query_facts(task, result.tokens.data(), result.labels.data(), len, {});
  const auto* p = probs.data_ptr<float>();
  for (const auto& query : result.queries) {
    result.p_target.push_back(p[static_cast<int64_t>(query.position) * vocab + query.target]);
  }

  result.patterns = capture_patterns(model, tokens, 0, PatternOptions{mixing_matrix});
  return result;
}

}  // namespace zoolab
