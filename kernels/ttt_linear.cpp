#include "kernels/ttt_linear.h"

#include <string>
#include <vector>

#include <torch/torch.h>

namespace zoolab::kernels {
namespace {

// ∂ℓ/∂z of ℓ = ½ ‖LN(z) - target‖² over the last axis, in closed form (Zoology's ln_fused_l2_bwd):
// with x̂ = (z - μ)/σ and d = (LN(z) - target) ⊙ γ, ∂ℓ/∂z = (F d - Σ d - x̂ Σ(d ⊙ x̂)) / (F σ).
// gamma, beta broadcast against z.
torch::Tensor ttt_ln_l2_grad(const torch::Tensor& z, const torch::Tensor& target, const torch::Tensor& gamma,
                             const torch::Tensor& beta, double eps) {
  const auto features = static_cast<double>(z.size(-1));
  const auto mu = z.mean(-1, /*keepdim=*/true);
  const auto centred = z - mu;
  const auto std = torch::sqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps);
  const auto x_hat = centred / std;
  const auto d = (gamma * x_hat + beta - target) * gamma;
  return (features * d - d.sum(-1, /*keepdim=*/true) - x_hat * (d * x_hat).sum(-1, /*keepdim=*/true)) /
         (features * std);
}

// ½ ‖LN(z) - target‖² per token: (..., F) -> (...).
torch::Tensor ttt_ln_l2_loss(const torch::Tensor& z, const torch::Tensor& target, const torch::Tensor& gamma,
                             const torch::Tensor& beta, double eps) {
  const auto centred = z - z.mean(-1, /*keepdim=*/true);
  const auto x_hat = centred / torch::sqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return 0.5 * (gamma * x_hat + beta - target).pow(2).sum(-1);
}

std::string ttt_shape_of(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) {
    s += (i ? ", " : "") + std::to_string(t.size(i));
  }
  return s + ")";
}

// Shapes as ttt_linear.h documents them; returns (w0, b0) as (B or 1, H, F, F) and (B or 1, H, 1, F).
std::pair<torch::Tensor, torch::Tensor> ttt_check(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v, const torch::Tensor& eta_row,
                                                  const torch::Tensor& eta_col, const torch::Tensor& w0,
                                                  const torch::Tensor& b0, const torch::Tensor& ln_weight,
                                                  const torch::Tensor& ln_bias, int64_t mini_batch_size) {
  TORCH_CHECK(q.dim() == 4, "ttt_linear: q must be (B, H, L, F), got ", ttt_shape_of(q));
  TORCH_CHECK(k.sizes() == q.sizes() && v.sizes() == q.sizes(),
              "ttt_linear: q, k, v must have the same shape (B, H, L, F), got ", ttt_shape_of(q), ", ",
              ttt_shape_of(k), ", ", ttt_shape_of(v));
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), f = q.size(3);
  TORCH_CHECK(eta_row.sizes() == q.sizes().slice(0, 3) && eta_col.sizes() == q.sizes().slice(0, 3),
              "ttt_linear: eta_row and eta_col must be (B, H, L) = (", batch, ", ", heads, ", ", len,
              "), got ", ttt_shape_of(eta_row), ", ", ttt_shape_of(eta_col));
  const bool w_ok = (w0.dim() == 3 && w0.sizes() == torch::IntArrayRef({heads, f, f})) ||
                    (w0.dim() == 4 && w0.sizes() == torch::IntArrayRef({batch, heads, f, f}));
  TORCH_CHECK(w_ok, "ttt_linear: w0 must be (H, F, F) or (B, H, F, F) with H ", heads, ", F ", f, ", got ",
              ttt_shape_of(w0));
  const bool b_ok = (b0.dim() == 2 && b0.sizes() == torch::IntArrayRef({heads, f})) ||
                    (b0.dim() == 3 && b0.sizes() == torch::IntArrayRef({batch, heads, f}));
  TORCH_CHECK(b_ok, "ttt_linear: b0 must be (H, F) or (B, H, F), got ", ttt_shape_of(b0));
  TORCH_CHECK(ln_weight.sizes() == torch::IntArrayRef({heads, f}) &&
                  ln_bias.sizes() == torch::IntArrayRef({heads, f}),
              "ttt_linear: ln_weight and ln_bias must be (H, F) = (", heads, ", ", f, "), got ",
              ttt_shape_of(ln_weight), ", ", ttt_shape_of(ln_bias));
  TORCH_CHECK(len >= 1, "ttt_linear: needs at least one position, got L = 0");
  TORCH_CHECK(mini_batch_size >= 1, "ttt_linear: mini_batch_size must be at least 1, got ", mini_batch_size);
  for (const auto* t : {&k, &v, &eta_row, &eta_col, &w0, &b0, &ln_weight, &ln_bias}) {
    TORCH_CHECK(t->scalar_type() == q.scalar_type(), "ttt_linear: every tensor must have q's dtype ",
                q.scalar_type(), ", got ", t->scalar_type());
  }
  TORCH_CHECK(torch::isFloatingType(q.scalar_type()), "ttt_linear: needs a floating dtype, got ",
              q.scalar_type());
  return {w0.dim() == 3 ? w0.unsqueeze(0) : w0, (b0.dim() == 2 ? b0.unsqueeze(0) : b0).unsqueeze(2)};
}

}  // namespace

torch::Tensor ttt_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             double eps) {
  const int64_t heads = weight.size(0), f = weight.size(1);
  const auto centred = x - x.mean(-1, /*keepdim=*/true);
  const auto x_hat = centred / torch::sqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight.view({1, heads, 1, f}) * x_hat + bias.view({1, heads, 1, f});
}

torch::Tensor ttt_linear(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const torch::Tensor& eta_row, const torch::Tensor& eta_col, const torch::Tensor& w0,
                         const torch::Tensor& b0, const torch::Tensor& ln_weight,
                         const torch::Tensor& ln_bias, int64_t mini_batch_size, double eps,
                         torch::Tensor* inner_loss) {
  auto [w, b] = ttt_check(q, k, v, eta_row, eta_col, w0, b0, ln_weight, ln_bias, mini_batch_size);
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), f = q.size(3);
  const int64_t c = mini_batch_size, chunks = (len + c - 1) / c, pad = chunks * c - len;
  // Inert padding (see ttt_linear.h): zero tokens and zero learning rates after the last token.
  auto padded = [&](const torch::Tensor& t, bool vector) {
    const auto p = pad == 0 ? t
                   : vector ? torch::constant_pad_nd(t, {0, 0, 0, pad})
                            : torch::constant_pad_nd(t, {0, pad});
    return vector ? p.reshape({batch, heads, chunks, c, f}) : p.reshape({batch, heads, chunks, c});
  };
  const auto qc = padded(q, true);           // (B, H, N, C, F)
  const auto kc = padded(k, true);           // (B, H, N, C, F)
  const auto target = padded(v, true) - kc;  // (B, H, N, C, F): the reconstruction target v - k
  const auto rows = padded(eta_row, false);  // (B, H, N, C)
  const auto cols = padded(eta_col, false);  // (B, H, N, C)

  // Everything that does not depend on the state, for all mini-batches at once. The dual form's
  // token-to-token weights η_row[i] η_col[j] (q_i·k_j + 1) for j ≤ i: the +1 is the bias's share.
  const auto causal = torch::ones({c, c}, q.options()).tril();  // (C, C)
  const auto mixing = rows.unsqueeze(-1) * cols.unsqueeze(-2) * causal *
                      (torch::matmul(qc, kc.transpose(-1, -2)) + 1.0);  // (B, H, N, C, C)
  // The state update's weights: the last row of η, η_row[C-1] η_col[j].
  const auto last = (rows.narrow(3, c - 1, 1) * cols).unsqueeze(-1);  // (B, H, N, C, 1)
  const auto gamma = ln_weight.view({1, heads, 1, f});
  const auto beta = ln_bias.view({1, heads, 1, f});

  std::vector<torch::Tensor> outputs;
  std::vector<torch::Tensor> losses;
  outputs.reserve(static_cast<size_t>(chunks));
  for (int64_t n = 0; n < chunks; ++n) {
    const auto kn = kc.select(2, n);          // (B, H, C, F)
    const auto tn = target.select(2, n);      // (B, H, C, F)
    const auto z = torch::matmul(kn, w) + b;  // (B, H, C, F): the state's prediction at the start
    const auto g = ttt_ln_l2_grad(z, tn, gamma, beta, eps);  // (B, H, C, F)
    outputs.push_back(torch::matmul(qc.select(2, n), w) + b - torch::matmul(mixing.select(2, n), g));
    if (inner_loss != nullptr) {
      torch::NoGradGuard no_grad;
      const int64_t real = std::min(c, len - n * c);
      losses.push_back(
          ttt_ln_l2_loss(z.narrow(2, 0, real), tn.narrow(2, 0, real), gamma, beta, eps).mean(-1));
    }
    const auto weighted = last.select(2, n) * g;            // (B, H, C, F)
    w = w - torch::matmul(kn.transpose(-1, -2), weighted);  // (B, H, F, F)
    b = b - weighted.sum(2, /*keepdim=*/true);              // (B, H, 1, F)
  }
  if (inner_loss != nullptr) {
    *inner_loss = torch::stack(losses, -1).detach();  // (B, H, N)
  }
  return torch::stack(outputs, 2).reshape({batch, heads, chunks * c, f}).narrow(2, 0, len);  // (B, H, L, F)
}

torch::Tensor ttt_linear_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const torch::Tensor& eta_row, const torch::Tensor& eta_col,
                                   const torch::Tensor& w0, const torch::Tensor& b0,
                                   const torch::Tensor& ln_weight, const torch::Tensor& ln_bias,
                                   int64_t mini_batch_size, double eps) {
  auto [w, b] = ttt_check(q, k, v, eta_row, eta_col, w0, b0, ln_weight, ln_bias, mini_batch_size);
  const int64_t heads = q.size(1), len = q.size(2), f = q.size(3);
  w = w.expand({q.size(0), heads, f, f});          // (B, H, F, F)
  b = b.squeeze(2).expand({q.size(0), heads, f});  // (B, H, F)
  const auto gamma = ln_weight.unsqueeze(0);       // (1, H, F)
  const auto beta = ln_bias.unsqueeze(0);
  std::vector<torch::Tensor> outputs;
  outputs.reserve(static_cast<size_t>(len));
  for (int64_t start = 0; start < len; start += mini_batch_size) {
    // The state at the mini-batch's start: every token's gradient is taken here.
    const auto w_start = w, b_start = b;
    auto grad_w = torch::zeros_like(w_start);  // Σ_{j ≤ i} η_col[j] ∇_W ℓ_j, (B, H, F, F)
    auto grad_b = torch::zeros_like(b_start);  // (B, H, F)
    for (int64_t t = start; t < std::min(len, start + mini_batch_size); ++t) {
      const auto kt = k.select(2, t), qt = q.select(2, t);                          // (B, H, F)
      const auto z = torch::matmul(kt.unsqueeze(2), w_start).squeeze(2) + b_start;  // (B, H, F)
      const auto g = ttt_ln_l2_grad(z, v.select(2, t) - kt, gamma, beta, eps);  // (B, H, F): ∂ℓ_t/∂z
      const auto lr = eta_col.select(2, t).unsqueeze(-1);                       // (B, H, 1)
      grad_w = grad_w + lr.unsqueeze(-1) * kt.unsqueeze(-1) * g.unsqueeze(-2);  // += η k_tᵀ g_t
      grad_b = grad_b + lr * g;
      const auto step = eta_row.select(2, t).unsqueeze(-1);  // (B, H, 1)
      w = w_start - step.unsqueeze(-1) * grad_w;             // W_t
      b = b_start - step * grad_b;
      outputs.push_back(torch::matmul(qt.unsqueeze(2), w).squeeze(2) + b);  // (B, H, F)
    }
  }
  return torch::stack(outputs, 2);  // (B, H, L, F)
}

}  // namespace zoolab::kernels
