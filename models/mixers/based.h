#pragma once

// Based's linear attention, Zoology's `Based` (docs/reference.md#based):
//   q = φ(W_q u), k = φ(W_k u) (feature_dim per head), v = W_v u (head_dim = ⌊d / kv_heads⌋),
//   y_i = φ(q_i)·Σ_{j≤i} φ(k_j) v_jᵀ / (φ(q_i)·Σ_{j≤i} φ(k_j) + eps),   out = proj_o(y).
// Two ways to compute the same thing: "linear" (running sums over positions) and "quadratic"
// (the masked L×L score matrix). Parameter names match Zoology's: proj_q, proj_k, proj_v, proj_o
// and feature_map.* (learnable maps only).

#include <string>

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/feature_maps.h"
#include "models/registry.h"

namespace zoolab {

struct BasedOptions {
  explicit BasedOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, l_max) = 2048;  // only used by the reference's rotary path, which is not ported
  TORCH_ARG(int64_t, feature_dim) = 16;
  TORCH_ARG(int64_t, num_key_value_heads) = 12;
  TORCH_ARG(int64_t, num_heads) = 12;
  TORCH_ARG(std::string, feature_name) = "taylor_exp";
  TORCH_ARG(double, eps) = 1e-12;
  TORCH_ARG(bool, causal) = true;
  TORCH_ARG(std::string, train_view) = "linear";
};

class BasedImpl : public MixerImpl {
 public:
  explicit BasedImpl(const BasedOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // The running sums Σ φ(k) vᵀ and Σ φ(k) per kv head, with the map's reported width E:
  // kv_heads·head_dim·E + kv_heads·E (Zoology's Based.state_size; independent of seq_len).
  int64_t state_size(int64_t seq_len) const override;
  bool row_shardable() const override { return true; }

  const BasedOptions& options() const { return m_options; }
  int64_t head_dim() const { return m_head_dim; }

  FeatureMapPtr feature_map;
  torch::nn::Linear proj_q{nullptr};
  torch::nn::Linear proj_k{nullptr};
  torch::nn::Linear proj_v{nullptr};
  torch::nn::Linear proj_o{nullptr};

 private:
  // q, k: (B, H, L, E) after the feature map; v: (B, H, L, hd); returns (B, H, L, hd).
  torch::Tensor linear_view(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;
  torch::Tensor quadratic_view(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;

  BasedOptions m_options;
  int64_t m_head_dim = 0;
};
TORCH_MODULE(Based);

MixerSpec based_spec();

}  // namespace zoolab
