#include "engine/train/pattern_capture.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "models/block.h"

namespace zoolab {

namespace {

// Floats of replica input per chunk (each replica is one (L, D) copy of x, counted as L·max(D, L) so
// attention's (L, L) scores per head are bounded too; a mixer's activations are a small multiple). On
// the CPU small chunks are several times faster: buffers of a few MiB are reused by malloc, while
// larger ones are mapped and page-faulted afresh on every chunk (measured: 4x slower at 2^22 than at
// 2^18 for attention at L = D = 64). A GPU wants large batches.
constexpr int64_t kCpuChunkFloats = int64_t{1} << 18;
constexpr int64_t kGpuChunkFloats = int64_t{1} << 24;
// Seed of the Gaussian probes: patterns of the same model and sequence are reproducible.
constexpr uint64_t kProbeSeed = 20240229;

// Turns capture (mixer patterns and block mixer inputs) off however capture_patterns leaves.
class CaptureScope {
 public:
  CaptureScope(LanguageModel& model, bool mixer_inputs) : m_model(model) {
    m_model->set_capture(true);
    for (const auto& layer : *m_model->backbone->layers) {
      layer->as<BlockImpl>()->set_capture_mixer_input(mixer_inputs);
    }
  }
  ~CaptureScope() { off(); }
  void off() {
    m_model->set_capture(false);
    for (const auto& layer : *m_model->backbone->layers) {
      layer->as<BlockImpl>()->set_capture_mixer_input(false);
    }
  }
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;

 private:
  LanguageModel& m_model;
};

PatternRecord make_record(int64_t example, int64_t layer, int64_t head, const std::string& kind,
                          const torch::Tensor& matrix) {
  const auto values = matrix.detach().to(torch::kCPU, torch::kFloat).contiguous();
  PatternRecord record;
  record.example = example;
  record.layer = layer;
  record.head = head;
  record.kind = kind;
  record.rows = values.dim() >= 2 ? values.size(0) : 1;
  record.cols = values.dim() >= 2 ? values.size(1) : values.numel();
  const float* data = values.data_ptr<float>();
  record.values.assign(data, data + values.numel());
  return record;
}

// One captured tensor as records. Mixers capture per-sequence patterns with a leading batch dimension
// and parameters without one (models/mixer.h), which the rank tells apart for every capture they make:
//   4-D (B, H, R, C), e.g. "attention": batch 0, one (R, C) record per head h;
//   3-D (B, R, C), e.g. "delta" (B, Di, L): batch 0 as (R, C);
//   2-D (R, C), e.g. "filter" (D, K), "shift_filter"; "selector" (B, L) is (1, L) for one sequence;
//   1-D (N), e.g. "decay" (D): (1, N); 0-D: (1, 1);
//   more than 4-D: batch 0 as (size(1), the rest flattened).
void append_records(std::vector<PatternRecord>& out, int64_t example, int64_t layer, const std::string& kind,
                    const torch::Tensor& captured) {
  const auto t = captured.detach();
  switch (t.dim()) {
    case 0:
      out.push_back(make_record(example, layer, -1, kind, t.reshape({1, 1})));
      break;
    case 1:
      out.push_back(make_record(example, layer, -1, kind, t.reshape({1, -1})));
      break;
    case 2:
      out.push_back(make_record(example, layer, -1, kind, t));
      break;
    case 3:
      out.push_back(make_record(example, layer, -1, kind, t[0]));
      break;
    case 4:
      for (int64_t h = 0; h < t.size(1); ++h) {
        out.push_back(make_record(example, layer, h, kind, t[0][h]));
      }
      break;
    default:
      out.push_back(make_record(example, layer, -1, kind, t[0].reshape({t.size(1), -1})));
      break;
  }
}

}  // namespace

torch::Tensor mixing_matrix(MixerImpl& mixer, const torch::Tensor& x, int64_t exact_rows_limit) {
  if (x.dim() != 3 || x.size(0) != 1) {
    throw std::invalid_argument("mixing_matrix: expected one sequence (1, L, D), got " +
                                std::to_string(x.dim()) + "-D input of batch " +
                                std::to_string(x.dim() > 0 ? x.size(0) : 0));
  }
  torch::AutoGradMode grad_mode(true);
  const int64_t len = x.size(1), d = x.size(2);
  const bool exact = len * d <= exact_rows_limit;
  // Exact: replica g = i·D + d probes output (i, d); estimate: replica g = i·K + k probes position i.
  const int64_t replicas = exact ? len * d : len * kMixingProbes;
  const int64_t per_replica = len * std::max(d, len);
  const int64_t chunk = std::max<int64_t>(1, (x.is_cuda() ? kGpuChunkFloats : kCpuChunkFloats) / per_replica);
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  const auto base = x.detach();

  auto generator = at::make_generator<at::CPUGeneratorImpl>(kProbeSeed);
  auto squares = torch::zeros({len, len}, x.options().dtype(torch::kDouble));  // M² (L, L)
  for (int64_t first = 0; first < replicas; first += chunk) {
    const int64_t n = std::min(chunk, replicas - first);
    const auto replica = torch::arange(first, first + n, long_options);  // (n)
    auto input = base.repeat({n, 1, 1}).requires_grad_(true);            // (n, L, D)
    const auto output = mixer.forward(input);                            // (n, L, D)
    torch::Tensor grad_output, position;
    if (exact) {
      // One-hot at flat output index g = i·D + d: row g of the Jacobian.
      grad_output = torch::zeros({n, len * d}, x.options());
      grad_output.scatter_(1, replica.unsqueeze(1), 1.0);
      grad_output = grad_output.view({n, len, d});
      position = replica.div(d, "floor");
    } else {
      position = replica.div(kMixingProbes, "floor");
      const auto noise = at::randn({n, d}, generator, torch::TensorOptions().dtype(torch::kFloat))
                             .to(x.options());  // (n, D)
      grad_output = torch::zeros({n, len, d}, x.options());
      grad_output.index_put_({torch::arange(n, long_options), position}, noise);
    }
    const auto grads = torch::autograd::grad({output}, {input}, {grad_output}, /*retain_graph=*/false,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    if (!grads[0].defined()) {
      continue;  // the output does not depend on the input: M stays zero
    }
    auto norms = grads[0].detach().to(torch::kDouble).pow(2).sum(-1);  // (n, L): ‖∂(probe·y_i)/∂x_j‖²
    if (!exact) {
      norms = norms / static_cast<double>(kMixingProbes);
    }
    squares.index_add_(0, position, norms);
  }
  return squares.sqrt();
}

std::vector<PatternRecord> capture_patterns(LanguageModel& model, const std::vector<int64_t>& tokens,
                                            int64_t example, const PatternOptions& options) {
  if (tokens.empty()) {
    throw std::invalid_argument("capture_patterns: the sequence is empty");
  }
  model->eval();
  const auto device = model->head_weight().device();
  const auto input =
      torch::tensor(tokens, torch::TensorOptions().dtype(torch::kLong)).view({1, -1}).to(device);  // (1, L)

  std::vector<std::map<std::string, torch::Tensor>> captured;
  std::vector<torch::Tensor> mixer_inputs;  // (1, L, D) per layer
  {
    CaptureScope scope(model, options.mixing_matrix);
    torch::NoGradGuard no_grad;
    model->backbone->forward(input);
    captured = model->captured();
    for (const auto& layer : *model->backbone->layers) {
      mixer_inputs.push_back(layer->as<BlockImpl>()->captured_mixer_input());
    }
  }  // capture off from here: the mixing matrices' forwards record nothing

  std::vector<PatternRecord> records;
  for (size_t layer = 0; layer < captured.size(); ++layer) {
    for (const auto& [kind, tensor] : captured[layer]) {
      append_records(records, example, static_cast<int64_t>(layer), kind, tensor);
    }
  }
  if (options.mixing_matrix) {
    const auto& layers = *model->backbone->layers;
    for (size_t layer = 0; layer < layers.size(); ++layer) {
      if (!mixer_inputs[layer].defined()) {
        throw std::logic_error("capture_patterns: block " + std::to_string(layer) +
                               " did not pass its mixer input through BlockImpl::mixer_input");
      }
      auto mixer = layers[layer]->as<BlockImpl>()->sequence_mixer_module();
      records.push_back(make_record(example, static_cast<int64_t>(layer), -1, "mixing",
                                    mixing_matrix(*mixer, mixer_inputs[layer], options.exact_mixing_rows)));
    }
  }
  return records;
}

}  // namespace zoolab
