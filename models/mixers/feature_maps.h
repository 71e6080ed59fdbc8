#pragma once

// Feature maps for linear attention (docs/reference.md#based, Zoology's
// `mixers/feature_maps/`). Each maps queries or keys (..., f) to (..., expanded) so that
// φ(q)·φ(k) stands in for a similarity kernel; `expanded_size()` is the width Zoology's Based
// reports for its state size (for taylor_exp and performer that is not the width forward returns:
// a reference quirk kept on purpose, see each class).

#include <memory>
#include <string>
#include <vector>

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace zoolab {

struct FeatureMapOptions {
  explicit FeatureMapOptions(int64_t input_dim) : input_dim_(input_dim) {}
  TORCH_ARG(int64_t, input_dim);   // f, the width of each head's query/key
  TORCH_ARG(double, temp) = 1.0;   // input scale of pos_elu and relu (Based passes 1)
  TORCH_ARG(double, eps) = 1e-12;  // floor of relu (Based passes 1e-12)
};

// The interface; the base forward is the identity (Zoology's FeatureMap parent class).
class FeatureMapImpl : public torch::nn::Module {
 public:
  explicit FeatureMapImpl(const FeatureMapOptions& options) : m_options(options) {}

  // x: (..., f) -> (..., expanded)
  virtual torch::Tensor forward(const torch::Tensor& x) { return x; }
  // The width Zoology reports (its FeatureMap.expanded_size); f unless overridden.
  virtual int64_t expanded_size() const { return m_options.input_dim(); }

  const FeatureMapOptions& options() const { return m_options; }

 protected:
  FeatureMapOptions m_options;
};

using FeatureMapPtr = std::shared_ptr<FeatureMapImpl>;

// φ(x) = [1, x/f^{1/4}, vec(x xᵀ)/(√2·√f)], width 1 + f + f², so that
// φ(q)·φ(k) = 1 + s + s²/2 with s = q·k/√f: the 2nd-order Taylor expansion of exp(s).
// expanded_size() is f(f+1)/2 + f + 1, the width of the symmetric (deduplicated) form Zoology
// reports for the state size (45/153/325 for f = 8/16/24), not 1 + f + f².
class TaylorExpImpl : public FeatureMapImpl {
 public:
  explicit TaylorExpImpl(const FeatureMapOptions& options) : FeatureMapImpl(options) {}
  torch::Tensor forward(const torch::Tensor& x) override;
  int64_t expanded_size() const override;
};

// elu(temp·x) + 1 (positive, as linear attention needs).
class PosELUImpl : public FeatureMapImpl {
 public:
  using FeatureMapImpl::FeatureMapImpl;
  torch::Tensor forward(const torch::Tensor& x) override;
};

// max(relu(temp·x), eps).
class ReLUFeatureMapImpl : public FeatureMapImpl {
 public:
  using FeatureMapImpl::FeatureMapImpl;
  torch::Tensor forward(const torch::Tensor& x) override;
};

// x².
class SquareFeatureMapImpl : public FeatureMapImpl {
 public:
  using FeatureMapImpl::FeatureMapImpl;
  torch::Tensor forward(const torch::Tensor& x) override;
};

// cosFormer: relu(x) reweighted by position, [x·sin(πi/2L), x·cos(πi/2L)] for i = 1..L (the
// sequence axis is -2; L is the length of the whole input). Width 2f.
class CosFormerImpl : public FeatureMapImpl {
 public:
  using FeatureMapImpl::FeatureMapImpl;
  torch::Tensor forward(const torch::Tensor& x) override;
  int64_t expanded_size() const override { return 2 * m_options.input_dim(); }
};

// Performer FAVOR+: with x' = x/f^{1/4} and W (m × f, m = 256) stacked orthogonal Gaussian blocks,
// φ(x) = exp(-|x'|²/2)/√m · exp(W x'). W is the buffer `random_feats`. Zoology does not override
// expanded_size, so it reports f although forward returns m features.
class PerformerImpl : public FeatureMapImpl {
 public:
  static constexpr int64_t kExpandedDim = 256;
  explicit PerformerImpl(const FeatureMapOptions& options);
  torch::Tensor forward(const torch::Tensor& x) override;

  torch::Tensor random_feats;  // (m, f)
};

// ((P1 x)² + P2(x²))/√2 with learnable P1, P2 (f × f, no bias, init N(0, 1/f)). Width f.
class AllPolyImpl : public FeatureMapImpl {
 public:
  explicit AllPolyImpl(const FeatureMapOptions& options);
  torch::Tensor forward(const torch::Tensor& x) override;

  torch::nn::Linear proj_1{nullptr};
  torch::nn::Linear proj_2{nullptr};
};

TORCH_MODULE(TaylorExp);
TORCH_MODULE(PosELU);
TORCH_MODULE(ReLUFeatureMap);
TORCH_MODULE(SquareFeatureMap);
TORCH_MODULE(CosFormer);
TORCH_MODULE(Performer);
TORCH_MODULE(AllPoly);

// The names Based's `feature_name` accepts, in display order.
const std::vector<std::string>& feature_map_names();

// Builds the map called `name`; throws std::invalid_argument naming it if unknown.
FeatureMapPtr make_feature_map(const std::string& name, const FeatureMapOptions& options);

}  // namespace zoolab
