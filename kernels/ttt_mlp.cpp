#include "kernels/ttt_mlp.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

// Zoology's gelu_bwd: d/dx of the tanh-approximated GELU, with its rounded constants.
torch::Tensor ttt_mlp_gelu_grad(const torch::Tensor& x) {
  const auto tanh_out = torch::tanh(0.79788456 * x * (1 + 0.044715 * x * x));
  return 0.5 * x * ((1 - tanh_out * tanh_out) * (0.79788456 + 0.1070322243 * x * x)) + 0.5 * (1 + tanh_out);
}

// gelu_tanh(x) (torch::gelu) and ttt_mlp_gelu_grad(x), both of the first layer's pre-activation, as one
// autograd node (the dual form needs both once per mini-batch; gelu_grad spelled out is some fifteen
// recorded element-wise ops, each with its own backward node). Forward: the same two functions, the
// gelu by torch::gelu itself; backward: torch::gelu_backward for the first, and for the second its
// derivative in closed form: with t = tanh(u), u = c0 x (1 + c1 x²) (so u' = c0 (1 + 3 c1 x²)) and
// p = c0 + c2 x², gelu_grad = ½(1 + t) + ½ x (1 - t²) p, whose derivative is
//   (1 - t²) (½ u' + ½ p - x t u' p + c2 x²).
// First-order only (its backward is not itself differentiable). torch::gelu and ttt_mlp_gelu_grad are
// its references (ttt_mlp_reference uses them; the kernel tests compare every gradient).
class TttMlpGelu : public torch::autograd::Function<TttMlpGelu> {
 public:
  static constexpr double kC0 = 0.79788456, kC1 = 0.044715, kC2 = 0.1070322243;

  static torch::autograd::tensor_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    const auto x_sq = x * x;
    auto t = (x_sq * kC1).add_(1).mul_(x).mul_(kC0).tanh_();  // tanh(c0 x (1 + c1 x²))
    // ½ x (1 - t²) (c0 + c2 x²) + ½ (1 + t)
    auto grad =
        (t * t).neg_().add_(1).mul_(x).mul_((x_sq * (0.5 * kC2)).add_(0.5 * kC0)).add_(t, 0.5).add_(0.5);
    ctx->save_for_backward({x, t});
    return {torch::gelu(x, "tanh"), grad};
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &t = saved[1];
    torch::Tensor d_x;
    if (grads[0].defined()) {
      d_x = torch::gelu_backward(grads[0], x, "tanh");
    }
    if (grads[1].defined()) {
      const auto x_sq = x * x;
      const auto du = (x_sq * (3 * kC0 * kC1)).add_(kC0), p = (x_sq * kC2).add_(kC0);
      // ½ u' + ½ p - x t u' p + c2 x²
      auto inner = (du * p).mul_(t).mul_(x).neg_().add_(du, 0.5).add_(p, 0.5).add_(x_sq, kC2);
      auto d_grad = (t * t).neg_().add_(1).mul_(inner).mul_(grads[1]);
      d_x = d_x.defined() ? d_x.add_(d_grad) : d_grad;
    }
    return {d_x};
  }
};

// ∂/∂z of ½ ‖LN(z) - target‖² (Zoology's ln_fused_l2_bwd), as in kernels/ttt_linear.cpp.
torch::Tensor ttt_mlp_ln_l2_grad(const torch::Tensor& z, const torch::Tensor& target,
                                 const torch::Tensor& gamma, const torch::Tensor& beta, double eps) {
  const auto centred = z - z.mean(-1, /*keepdim=*/true);
  const auto rstd = torch::rsqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps);
  const auto x_hat = centred * rstd;
  const auto d = (gamma * x_hat + beta - target) * gamma;
  return (d - d.mean(-1, /*keepdim=*/true) - x_hat * (d * x_hat).mean(-1, /*keepdim=*/true)) * rstd;
}

void ttt_mlp_check(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                   const torch::Tensor& eta_row, const torch::Tensor& eta_col, const torch::Tensor& w1,
                   const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2,
                   const torch::Tensor& ln_weight, const torch::Tensor& ln_bias, int64_t mini_batch_size) {
  TORCH_CHECK(q.dim() == 4 && q.size(2) >= 1, "ttt_mlp: q must be (B, H, L, F) with L >= 1, got ", q.sizes());
  TORCH_CHECK(k.sizes() == q.sizes() && v.sizes() == q.sizes(), "ttt_mlp: q, k, v must have one shape, got ",
              q.sizes(), ", ", k.sizes(), ", ", v.sizes());
  const int64_t heads = q.size(1), f = q.size(3);
  TORCH_CHECK(eta_row.sizes() == q.sizes().slice(0, 3) && eta_col.sizes() == q.sizes().slice(0, 3),
              "ttt_mlp: eta_row and eta_col must be (B, H, L), got ", eta_row.sizes(), ", ", eta_col.sizes());
  TORCH_CHECK(w1.dim() == 3 && w1.size(0) == heads && w1.size(1) == f, "ttt_mlp: w1 must be (H, F, E), got ",
              w1.sizes());
  const int64_t e = w1.size(2);
  TORCH_CHECK(b1.sizes() == torch::IntArrayRef({heads, e}), "ttt_mlp: b1 must be (H, E), got ", b1.sizes());
  TORCH_CHECK(w2.sizes() == torch::IntArrayRef({heads, e, f}), "ttt_mlp: w2 must be (H, E, F), got ",
              w2.sizes());
  TORCH_CHECK(b2.sizes() == torch::IntArrayRef({heads, f}) && ln_weight.sizes() == b2.sizes() &&
                  ln_bias.sizes() == b2.sizes(),
              "ttt_mlp: b2, ln_weight and ln_bias must be (H, F), got ", b2.sizes(), ", ", ln_weight.sizes(),
              ", ", ln_bias.sizes());
  TORCH_CHECK(mini_batch_size >= 1, "ttt_mlp: mini_batch_size must be at least 1, got ", mini_batch_size);
  for (const auto* t : {&k, &v, &eta_row, &eta_col, &w1, &b1, &w2, &b2, &ln_weight, &ln_bias}) {
    TORCH_CHECK(t->scalar_type() == q.scalar_type(), "ttt_mlp: every tensor must have q's dtype ",
                q.scalar_type(), ", got ", t->scalar_type());
  }
  TORCH_CHECK(torch::isFloatingType(q.scalar_type()), "ttt_mlp: needs a floating dtype, got ",
              q.scalar_type());
}

}  // namespace

torch::Tensor ttt_mlp(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& eta_row, const torch::Tensor& eta_col, const torch::Tensor& w1,
                      const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2,
                      const torch::Tensor& ln_weight, const torch::Tensor& ln_bias, int64_t mini_batch_size,
                      double eps, torch::Tensor* inner_loss) {
  ttt_mlp_check(q, k, v, eta_row, eta_col, w1, b1, w2, b2, ln_weight, ln_bias, mini_batch_size);
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), f = q.size(3);
  const int64_t c = mini_batch_size, chunks = (len + c - 1) / c;
  // Inert padding after the last token (kernels/ttt_linear.h).
  const auto qc = split_into_chunks(q, c);           // (B, H, N, C, F)
  const auto kc = split_into_chunks(k, c);           // (B, H, N, C, F)
  const auto target = split_into_chunks(v, c) - kc;  // (B, H, N, C, F)
  const auto rows = split_into_chunks(eta_row, c);   // (B, H, N, C)
  const auto cols = split_into_chunks(eta_col, c);   // (B, H, N, C)
  const auto causal = torch::ones({c, c}, q.options()).tril();
  const auto eta = rows.unsqueeze(-1) * cols.unsqueeze(-2) * causal;  // (B, H, N, C, C)
  const auto last = (rows.narrow(3, c - 1, 1) * cols).unsqueeze(-1);  // (B, H, N, C, 1)
  // b1 rides along as an extra row of W1 ([W1; b1], (F + 1, E)) against inputs [x, 1] (as in
  // kernels/ttt_linear.cpp): keys and queries through the first layer in one product, and one product
  // updates both.
  const auto ones = torch::ones({batch, heads, chunks, c, 1}, q.options());
  const auto k1 = torch::cat({kc, ones}, -1);                           // (B, H, N, C, F + 1)
  const auto inputs = torch::cat({k1, torch::cat({qc, ones}, -1)}, 3);  // (B, H, N, 2C, F + 1)
  const auto mixing1 = eta * chunk_matmul(inputs.narrow(3, c, c), k1.transpose(-1, -2));  // (B, H, N, C, C)
  const auto step_k1 = (last * k1).transpose(-1, -2);  // (B, H, N, F + 1, C): the W1 update's keys
  const auto gamma = ln_weight.view({1, heads, 1, f});
  const auto beta = ln_bias.view({1, heads, 1, f});
  // d = (γ x̂ + β - target) γ = γ² x̂ + γ (β - target): the second term for all mini-batches at once.
  const auto gamma_sq = gamma * gamma;                                    // (1, H, 1, F)
  const auto offset = gamma.unsqueeze(2) * (beta.unsqueeze(2) - target);  // (B, H, N, C, F)

  auto w1_state = torch::cat({w1, b1.unsqueeze(1)}, 1).unsqueeze(0);  // (1 then B, H, F + 1, E): [W1; b1]
  // b2 likewise rides along W2: [W2; b2] (E + 1, F) against [X2, 1].
  auto w2_state = torch::cat({w2, b2.unsqueeze(1)}, 1).unsqueeze(0);   // (1 then B, H, E + 1, F)
  const auto ones_c = torch::ones({batch, heads, c, 1}, q.options());  // (B, H, C, 1)
  std::vector<torch::Tensor> outputs, losses;
  outputs.reserve(static_cast<size_t>(chunks));
  // Per mini-batch views by unbind (one stacked gradient, not N whole-size ones as select's).
  const auto inputs_n = inputs.unbind(2), target_n = target.unbind(2), step_k1_n = step_k1.unbind(2);
  const auto mixing1_n = mixing1.unbind(2), eta_n = eta.unbind(2), last_n = last.unbind(2);
  const auto offset_n = offset.unbind(2);
  for (int64_t n = 0; n < chunks; ++n) {
    const auto& tn = target_n[n];  // (B, H, C, F)
    // The model at the mini-batch's start on its keys (and queries), and the loss's gradients there.
    const auto zz = chunk_matmul(inputs_n[n], w1_state);      // (B, H, 2C, E)
    const auto z1 = zz.narrow(2, 0, c);                       // (B, H, C, E): the keys'
    const auto activation = TttMlpGelu::apply(z1);            // gelu(Z1), gelu'(Z1): (B, H, C, E)
    const auto x2 = torch::cat({activation[0], ones_c}, -1);  // (B, H, C, E + 1): [X2, 1]
    const auto z2 = chunk_matmul(x2, w2_state);               // (B, H, C, F)
    // ∂ℓ/∂z2 (ttt_mlp_ln_l2_grad) as the layer norm's own backward (without affine) applied to
    // d = (γ x̂ + β - target) γ: two fused ATen ops with autograd formulas, not a dozen small ones.
    const auto [x_hat, mean, rstd] = torch::native_layer_norm(z2, {f}, {}, {}, eps);  // (B, H, C, F)
    const auto g2 = std::get<0>(torch::native_layer_norm_backward(
        torch::addcmul(offset_n[n], x_hat, gamma_sq), z2, {f}, mean, rstd, {}, {}, {true, false, false}));
    const auto g1 = chunk_matmul(g2, w2_state.narrow(2, 0, w1.size(2)).transpose(-1, -2)) *
                    activation[1];  // (B, H, C, E)
    // Dual form: each query through the model after the steps of keys 0..i.
    const auto x2_bar =
        torch::cat({torch::gelu(zz.narrow(2, c, c) - chunk_matmul(mixing1_n[n], g1), "tanh"), ones_c},
                   -1);  // (B, H, C, E + 1): [X2̄, 1]
    // [X2̄, 1]·[X2, 1] = X2̄ X2ᵀ + 1: the second layer's dual-form weights with its bias.
    const auto mixing2 = eta_n[n] * chunk_matmul(x2_bar, x2.transpose(-1, -2));     // (B, H, C, C)
    outputs.push_back(chunk_matmul(x2_bar, w2_state) - chunk_matmul(mixing2, g2));  // (B, H, C, F)
    if (inner_loss != nullptr) {
      torch::NoGradGuard no_grad;
      const int64_t real = std::min(c, len - n * c);
      const auto zr = z2.narrow(2, 0, real);
      const auto centred = zr - zr.mean(-1, /*keepdim=*/true);
      const auto x_hat = centred / torch::sqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps);
      losses.push_back(0.5 * (gamma * x_hat + beta - tn.narrow(2, 0, real)).pow(2).sum(-1).mean(-1));
    }
    const auto& step = last_n[n];  // (B, H, C, 1)
    w1_state = w1_state - chunk_matmul(step_k1_n[n], g1);
    w2_state = w2_state - chunk_matmul((step * x2).transpose(-1, -2), g2);  // [W2; b2] together
  }
  if (inner_loss != nullptr) {
    *inner_loss = torch::stack(losses, -1).detach();  // (B, H, N)
  }
  return torch::stack(outputs, 2).reshape({batch, heads, chunks * c, f}).narrow(2, 0, len);  // (B, H, L, F)
}

torch::Tensor ttt_mlp_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& eta_row, const torch::Tensor& eta_col,
                                const torch::Tensor& w1, const torch::Tensor& b1, const torch::Tensor& w2,
                                const torch::Tensor& b2, const torch::Tensor& ln_weight,
                                const torch::Tensor& ln_bias, int64_t mini_batch_size, double eps) {
  ttt_mlp_check(q, k, v, eta_row, eta_col, w1, b1, w2, b2, ln_weight, ln_bias, mini_batch_size);
  const int64_t batch = q.size(0), len = q.size(2);
  auto tile = [batch](const torch::Tensor& t) {
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), t.sizes().begin(), t.sizes().end());
    return t.unsqueeze(0).expand(shape);
  };
  auto w1_now = tile(w1), b1_now = tile(b1), w2_now = tile(w2), b2_now = tile(b2);  // (B, H, ...)
  const auto gamma = ln_weight.unsqueeze(0), beta = ln_bias.unsqueeze(0);           // (1, H, F)
  // x (B, H, A) times m (B, H, A, C) -> (B, H, C); the outer product a (B, H, A), b (B, H, C) -> (B, H, A,
  // C).
  auto times = [](const torch::Tensor& x, const torch::Tensor& m) {
    return torch::matmul(x.unsqueeze(2), m).squeeze(2);
  };
  auto outer = [](const torch::Tensor& a, const torch::Tensor& b) {
    return a.unsqueeze(-1) * b.unsqueeze(-2);
  };
  std::vector<torch::Tensor> outputs;
  // Per token (B, H, F) and (B, H) by unbind (one stacked gradient; select's would be O(L) each).
  const auto q_t = q.unbind(2), k_t = k.unbind(2), v_t = v.unbind(2);
  const auto row_t = eta_row.unbind(2), col_t = eta_col.unbind(2);
  for (int64_t start = 0; start < len; start += mini_batch_size) {
    const auto w1_start = w1_now, b1_start = b1_now, w2_start = w2_now, b2_start = b2_now;
    auto gw1 = torch::zeros_like(w1_start), gb1 = torch::zeros_like(b1_start);
    auto gw2 = torch::zeros_like(w2_start), gb2 = torch::zeros_like(b2_start);
    for (int64_t t = start; t < std::min(len, start + mini_batch_size); ++t) {
      const auto& kt = k_t[t];  // (B, H, F)
      // Token t's gradient, at the mini-batch's starting model.
      const auto z1 = times(kt, w1_start) + b1_start;  // (B, H, E)
      const auto x2 = torch::gelu(z1, "tanh");
      const auto z2 = times(x2, w2_start) + b2_start;  // (B, H, F)
      const auto g2 = ttt_mlp_ln_l2_grad(z2, v_t[t] - kt, gamma, beta, eps);
      const auto g1 = times(g2, w2_start.transpose(-1, -2)) * ttt_mlp_gelu_grad(z1);  // (B, H, E)
      const auto lr = col_t[t].unsqueeze(-1);                                         // (B, H, 1)
      gw1 = gw1 + lr.unsqueeze(-1) * outer(kt, g1);
      gb1 = gb1 + lr * g1;
      gw2 = gw2 + lr.unsqueeze(-1) * outer(x2, g2);
      gb2 = gb2 + lr * g2;
      const auto rate = row_t[t].unsqueeze(-1);  // (B, H, 1)
      w1_now = w1_start - rate.unsqueeze(-1) * gw1;
      b1_now = b1_start - rate * gb1;
      w2_now = w2_start - rate.unsqueeze(-1) * gw2;
      b2_now = b2_start - rate * gb2;
      const auto hidden = torch::gelu(times(q_t[t], w1_now) + b1_now, "tanh");
      outputs.push_back(times(hidden, w2_now) + b2_now);  // (B, H, F)
    }
  }
  return torch::stack(outputs, 2);  // (B, H, L, F)
}

}  // namespace zoolab::kernels
