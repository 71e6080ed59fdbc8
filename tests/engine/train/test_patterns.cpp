// Pattern capture (docs/architecture.md#what-evaluation-records): records of what each mixer captures, the
// mixing matrix M[i, j] = ‖∂y_i/∂x_j‖ (causal for every registered mixer, exact against finite differences,
// the Gaussian estimate close to it), and attention of a trained recall model looking at the right token.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <ATen/CPUGeneratorImpl.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_setup.h"
#include "engine/train/pattern_capture.h"
#include "models/registry.h"
#include "train_test_support.h"
#include "trained_attention_run.h"

namespace zoolab {
namespace {

using train_test::sequence_mixers;

LanguageModelOptions tiny_options(const std::string& mixer, int64_t seq_len, int64_t d_model = 32) {
  LanguageModelOptions options;
  options.vocab_size = 64;
  options.d_model = d_model;
  options.n_layers = 2;  // layer 1 sees a layer's output; hybrids alternate their mixers
  options.max_position_embeddings = 0;
  options.l_max = seq_len;
  options.embed_dropout = 0.1;  // capture runs in eval mode: no effect
  options.sequence_mixer = mixer;
  options.state_mixer = "identity";
  return options;
}

std::vector<int64_t> random_tokens(int64_t len, int64_t vocab, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto t = at::randint(vocab, {len}, generator, torch::kLong);
  return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + len};
}

const PatternRecord* find_record(const std::vector<PatternRecord>& records, const std::string& kind,
                                 int64_t layer, int64_t head = -1) {
  for (const auto& r : records) {
    if (r.kind == kind && r.layer == layer && r.head == head) {
      return &r;
    }
  }
  return nullptr;
}

class MixingMatrixOfEveryMixer : public ::testing::TestWithParam<std::string> {};

TEST_P(MixingMatrixOfEveryMixer, IsCausalAndNotZero) {
  constexpr int64_t kLen = 16;
  torch::manual_seed(3);
  // d_model 16: the exact matrix takes L·D = 256 backward rows per layer (Based's default feature map
  // makes its mixer the slowest by far).
  LanguageModel model(tiny_options(GetParam(), kLen, 16));
  model->train();
  const auto records = capture_patterns(model, random_tokens(kLen, 64, 5), 7, PatternOptions{});

  EXPECT_FALSE(model->is_training());
  for (const auto& layer : model->captured()) {
    EXPECT_TRUE(layer.empty()) << "capture left on";
  }
  for (const auto& layer : *model->backbone->layers) {
    EXPECT_FALSE(layer->as<BlockImpl>()->captured_mixer_input().defined());
  }
  for (const auto& p : model->parameters()) {
    EXPECT_FALSE(p.grad().defined()) << "the mixing matrix must not accumulate parameter gradients";
  }
  for (const auto& r : records) {
    EXPECT_EQ(r.example, 7);
    EXPECT_EQ(static_cast<int64_t>(r.values.size()), r.rows * r.cols) << r.kind;
  }

  for (int64_t layer = 0; layer < 2; ++layer) {
    const auto* m = find_record(records, "mixing", layer);
    ASSERT_NE(m, nullptr) << "layer " << layer;
    ASSERT_EQ(m->rows, kLen);
    ASSERT_EQ(m->cols, kLen);
    const float max = *std::max_element(m->values.begin(), m->values.end());
    ASSERT_GT(max, 0.0f) << "layer " << layer << ": M is all zero";
    float upper = 0.0f;
    int64_t rows_with_input = 0;
    for (int64_t i = 0; i < kLen; ++i) {
      float row_max = 0.0f;
      for (int64_t j = 0; j < kLen; ++j) {
        const float v = m->values[static_cast<size_t>(i * kLen + j)];
        EXPECT_GE(v, 0.0f);
        if (j > i) {
          upper = std::max(upper, v);
        } else {
          row_max = std::max(row_max, v);
        }
      }
      rows_with_input += row_max > 1e-6f * max ? 1 : 0;
    }
    EXPECT_LE(upper, 1e-5f * max) << GetParam() << " layer " << layer << ": output depends on a later input";
    // Every output but possibly the first (a pure shift) depends on some input.
    EXPECT_GE(rows_with_input, kLen - 1) << GetParam() << " layer " << layer;
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, MixingMatrixOfEveryMixer, ::testing::ValuesIn(sequence_mixers()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// M from central differences of y = mixer(x) in float64: independent of autograd.
torch::Tensor finite_difference_mixing(MixerImpl& mixer, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const int64_t len = x.size(1), d = x.size(2);
  constexpr double kEps = 1e-6;
  auto squares = torch::zeros({len, len}, torch::kDouble);
  for (int64_t j = 0; j < len; ++j) {
    for (int64_t c = 0; c < d; ++c) {
      auto plus = x.clone(), minus = x.clone();
      plus[0][j][c] += kEps;
      minus[0][j][c] -= kEps;
      const auto column =
          (mixer.forward(plus) - mixer.forward(minus))[0] / (2 * kEps);  // (L, D): ∂y/∂x_{j,c}
      squares.select(1, j) += column.pow(2).sum(-1);
    }
  }
  return squares.sqrt();
}

class MixingMatrixExactness : public ::testing::TestWithParam<std::string> {};

TEST_P(MixingMatrixExactness, EqualsFiniteDifferences) {
  constexpr int64_t kLen = 8, kDim = 16;
  torch::manual_seed(4);
  auto mixer = build_mixer(MixerKind::Sequence, GetParam(), nlohmann::json::object(), {kDim, 0, 1, kLen});
  mixer->to(torch::kDouble);
  mixer->eval();
  const auto x = torch::randn({1, kLen, kDim}, torch::kDouble);
  const auto exact = mixing_matrix(*mixer, x);
  const auto reference = finite_difference_mixing(*mixer, x);
  ASSERT_EQ(exact.sizes(), reference.sizes());
  const double scale = reference.max().item<double>();
  ASSERT_GT(scale, 0.0);
  EXPECT_LT((exact - reference).abs().max().item<double>(), 1e-6 * scale) << exact << reference;
}

INSTANTIATE_TEST_SUITE_P(Mixers, MixingMatrixExactness, ::testing::Values("attention", "base_conv", "hyena"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(MixingMatrixEstimate, IsCloseToExactAndKeepsCausalZeros) {
  constexpr int64_t kLen = 16, kDim = 32;
  torch::manual_seed(6);
  auto mixer = build_mixer(MixerKind::Sequence, "attention", nlohmann::json::object(), {kDim, 0, 1, kLen});
  mixer->eval();
  const auto x = torch::randn({1, kLen, kDim});
  const auto before = at::detail::getDefaultCPUGenerator().get_state();
  const auto exact = mixing_matrix(*mixer, x);
  const auto estimate = mixing_matrix(*mixer, x, /*exact_rows_limit=*/0);
  EXPECT_TRUE(torch::equal(before, at::detail::getDefaultCPUGenerator().get_state()))
      << "the probes must not draw from the global generator";
  EXPECT_EQ(estimate.triu(1).abs().max().item<double>(), 0.0);
  // M² is estimated without bias from 16 probes per row: per entry within tens of percent, over the
  // matrix much closer.
  const double error = ((estimate.pow(2) - exact.pow(2)).norm() / exact.pow(2).norm()).item<double>();
  std::printf("[ measure ] mixing-matrix estimate: relative error of M^2 %.3f\n", error);
  EXPECT_LT(error, 0.3);
  EXPECT_GT(error, 0.0);  // it is an estimate
  // Deterministic: the same probes every time.
  EXPECT_TRUE(torch::equal(estimate, mixing_matrix(*mixer, x, 0)));
}

TEST(PatternRecords, AttentionRowsAreDistributionsPerHead) {
  constexpr int64_t kLen = 12;
  auto options = tiny_options("attention", kLen);
  options.sequence_mixer_kwargs = {{"num_heads", 2}};
  torch::manual_seed(8);
  LanguageModel model(options);
  const auto records = capture_patterns(model, random_tokens(kLen, 64, 9), 0, PatternOptions{false});
  EXPECT_EQ(find_record(records, "mixing", 0), nullptr);
  int64_t count = 0;
  for (const auto& r : records) {
    ASSERT_EQ(r.kind, "attention");
    ASSERT_EQ(r.rows, kLen);
    ASSERT_EQ(r.cols, kLen);
    ++count;
    for (int64_t i = 0; i < kLen; ++i) {
      double sum = 0.0;
      for (int64_t j = 0; j < kLen; ++j) {
        sum += r.values[static_cast<size_t>(i * kLen + j)];
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
  EXPECT_EQ(count, 2 * 2);  // 2 layers x 2 heads
  EXPECT_NE(find_record(records, "attention", 1, 1), nullptr);
}

TEST(PatternRecords, FiltersAreChannelsByTaps) {
  constexpr int64_t kLen = 16;
  auto options = tiny_options("base_conv", kLen);
  torch::manual_seed(8);
  LanguageModel model(options);
  const auto records = capture_patterns(model, random_tokens(kLen, 64, 9), 0, PatternOptions{false});
  const auto* filter = find_record(records, "filter", 0);
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(filter->rows, 32);  // d_model channels
  EXPECT_GE(filter->cols, 1);
  EXPECT_LE(filter->cols, kLen);
}

TEST(PatternRecords, EmptySequenceIsRefused) {
  LanguageModel model(tiny_options("attention", 8));
  EXPECT_THROW(capture_patterns(model, {}, 0, PatternOptions{}), std::invalid_argument);
}

// The mixing matrix's cost at the inspector's usual size: one attention mixer at L=64, D=64.
TEST(MixingMatrixCost, AttentionAt64By64) {
  constexpr int64_t kLen = 64, kDim = 64;
  torch::manual_seed(1);
  auto mixer = build_mixer(MixerKind::Sequence, "attention", nlohmann::json::object(), {kDim, 0, 1, kLen});
  mixer->eval();
  const auto x = torch::randn({1, kLen, kDim});
  mixing_matrix(*mixer, x, 0);  // warm-up: the allocator's first large buffers
  const auto start = std::chrono::steady_clock::now();
  const auto m = mixing_matrix(*mixer, x);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto start_estimate = std::chrono::steady_clock::now();
  mixing_matrix(*mixer, x, 0);
  const double estimate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_estimate).count();
  std::printf("[ measure ] mixing matrix L=64 D=64 attention: exact %.3f s, estimate %.3f s (%d threads)\n",
              seconds, estimate_seconds, at::get_num_threads());
  EXPECT_EQ(m.size(0), kLen);
  EXPECT_GT(m.max().item<double>(), 0.0);
}

// A trained recall model's last layer looks, from each query, at the value after the queried key in
// the context (the position that earlier layers tagged with that key): induction.
TEST(TrainedAttention, QueriesAttendToTheTokenAfterTheirKey) {
  const auto& trained = train_test::trained_attention_run();
  ASSERT_EQ(trained.result.status, RunStatus::Finished) << trained.result.message;
  const double accuracy = trained.result.metrics.at("valid/accuracy");
  std::printf("[ measure ] tiny attention run: %lld epochs, valid/accuracy %.4f\n",
              static_cast<long long>(trained.result.epochs), accuracy);
  ASSERT_GE(accuracy, 0.95) << "the tiny attention run did not learn recall";

  Store store(trained.database);
  const auto checkpoint = store.latest_checkpoint(trained.run);
  ASSERT_TRUE(checkpoint);
  LanguageModel model(language_model_options(trained.config));
  torch::optim::AdamW optimizer(model->parameters());
  load_checkpoint(checkpoint->path, model, optimizer);

  const auto& segment = trained.config.data.test[0];
  const auto data =
      generate_mqar(segment, trained.config.data.vocab_size, segment_seeds(trained.config.data).test[0]);
  const int64_t len = data.seq_len;
  const int64_t last = trained.config.model.n_layers - 1;
  int64_t queries = 0, hits = 0;
  double mass = 0.0;
  for (int64_t n = 0; n < data.num_examples; ++n) {
    const std::vector<int64_t> tokens(data.inputs.begin() + n * len, data.inputs.begin() + (n + 1) * len);
    const auto facts = mqar_query_facts(tokens.data(), data.labels.data() + n * len, len,
                                        segment.integer("num_kv_pairs"), segment.integer("num_passes"));
    const auto records = capture_patterns(model, tokens, n, PatternOptions{false});
    std::vector<double> mean(static_cast<size_t>(len * len), 0.0);  // mean over the last layer's heads
    int64_t heads = 0;
    for (const auto& r : records) {
      if (r.kind == "attention" && r.layer == last) {
        ++heads;
        for (size_t k = 0; k < mean.size(); ++k) {
          mean[k] += r.values[k];
        }
      }
    }
    ASSERT_EQ(heads, 2);
    for (const auto& f : facts) {
      ASSERT_GE(f.key_position, 0);
      const double* row = mean.data() + static_cast<int64_t>(f.position) * len;
      const int64_t argmax = std::max_element(row, row + len) - row;
      ++queries;
      hits += argmax == f.key_position + 1 ? 1 : 0;
      mass += row[f.key_position + 1] / static_cast<double>(heads);
    }
  }
  const double fraction = static_cast<double>(hits) / static_cast<double>(queries);
  std::printf("[ measure ] %lld queries: %.3f attend most to key+1; mean mass there %.3f\n",
              static_cast<long long>(queries), fraction, mass / static_cast<double>(queries));
  EXPECT_GE(fraction, 0.9);
}

}  // namespace
}  // namespace zoolab
