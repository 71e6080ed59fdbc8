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

// Zoology's gelu_bwd again, from t = tanh(c0 x (1 + c1 x²)) (the mini-batch step needs it with the
// same t as its own derivative below): ½ x (1 - t²) (c0 + c2 x²) + ½ (1 + t).
constexpr double kGeluC0 = 0.79788456, kGeluC1 = 0.044715, kGeluC2 = 0.1070322243;

torch::Tensor ttt_mlp_gelu_tanh(const torch::Tensor& x) {
  return (x * x * kGeluC1).add_(1).mul_(x).mul_(kGeluC0).tanh_();
}

torch::Tensor ttt_mlp_gelu_slope(const torch::Tensor& x, const torch::Tensor& t) {
  return (t * t)
      .neg_()
      .add_(1)
      .mul_(x)
      .mul_((x * x * (0.5 * kGeluC2)).add_(0.5 * kGeluC0))
      .add_(t, 0.5)
      .add_(0.5);
}

// d/dx of ttt_mlp_gelu_slope in closed form: with u = c0 x (1 + c1 x²) (so u' = c0 (1 + 3 c1 x²)) and
// p = c0 + c2 x², gelu_grad = ½(1 + t) + ½ x (1 - t²) p, whose derivative is
//   (1 - t²) (½ u' + ½ p - x t u' p + c2 x²).
torch::Tensor ttt_mlp_gelu_curvature(const torch::Tensor& x, const torch::Tensor& t) {
  const auto x_sq = x * x;
  const auto du = (x_sq * (3 * kGeluC0 * kGeluC1)).add_(kGeluC0), p = (x_sq * kGeluC2).add_(kGeluC0);
  auto inner = (du * p).mul_(t).mul_(x).neg_().add_(du, 0.5).add_(p, 0.5).add_(x_sq, kGeluC2);
  return (t * t).neg_().add_(1).mul_(inner);
}

// ∂/∂z of ½ ‖LN(z) - target‖² (Zoology's ln_fused_l2_bwd), as in kernels/ttt_linear.cpp.
torch::Tensor ttt_mlp_ln_l2_grad(const torch::Tensor& z, const torch::Tensor& target,
                                 const torch::Tensor& gamma, const torch::Tensor& beta, double eps) {
  const auto centred = z - z.mean(-1, /*keepdim=*/true);
  const auto rstd = torch::rsqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps);
  const auto x_hat = centred * rstd;
  const auto d = (gamma * x_hat + beta - target) * gamma;
  return (d - d.mean(-1, /*keepdim=*/true) - x_hat * (d * x_hat).mean(-1, /*keepdim=*/true)) * rstd;
}

// The dual form's sequential loop over mini-batches as one autograd node with a hand-written
// backward: recorded op by op it is some forty nodes per mini-batch, whose bookkeeping costs more than
// their small products. Forward: per mini-batch n with state W1 = [W1; b1] (F + 1, E), W2 = [W2; b2]
// (E + 1, F) (kernels/ttt_mlp.h's formulas; K1 = [k, 1], Q1 = [q, 1], l the last row of η):
//   [Z1; ZQ] = [K1; Q1] W1,   X2 = [gelu(Z1), 1],   s = gelu'(Z1),   Z2 = X2 W2,
//   x̂ = LN(Z2) (r its 1/σ),   D = offset + γ² x̂,   g2 = LN'(Z2)ᵀ D = r (D - mean D - x̂ mean(D x̂)),
//   P = g2 W2[:E]ᵀ,   g1 = P ⊙ s,   Z̄ = ZQ - M1 g1,   X̄ = [gelu(Z̄), 1],   S = X̄ X2ᵀ,
//   out = X̄ W2 - (η ⊙ S) g2,   W1 ← W1 - (l ⊙ K1)ᵀ g1,   W2 ← W2 - (l ⊙ X2)ᵀ g2,
// saving each mini-batch's state and intermediates. Backward: the loop in reverse, carrying ∂/∂W1 and
// ∂/∂W2 of the later mini-batches, each formula above transposed by hand. The one step with no
// single ATen backward is g2 (the layer norm's backward as a function of Z2 and D): with G = ∂/∂g2,
//   ∂/∂D = LN'(Z2)ᵀ G,   ∂/∂x̂ (at fixed r) = -r (D mean(G x̂) + mean(D x̂) G),   ∂/∂r = Σ G g2 / r,
// and ∂/∂Z2 = LN'(Z2)ᵀ (∂/∂x̂ + γ² ∂/∂D) - (r² / F) x̂ ∂/∂r (r = (var + ε)^-½, ∂r/∂Z2 = -r² x̂ / F).
// Inputs computed outside (whole-sequence tensor ops that autograd records as usual): [K1; Q1] per
// mini-batch (B, H, N, 2C, F + 1), M1 = η ⊙ Q1 K1ᵀ (B, H, N, C, C), η (B, H, N, C, C), (l ⊙ K1)ᵀ
// (B, H, N, F + 1, C), l (B, H, N, C, 1), offset = γ (β - target) (B, H, N, C, F), γ² (1, H, 1, F) and
// the initial states (1, H, F + 1, E), (1, H, E + 1, F). Outputs: out (B, H, N, C, F) and x̂ (B, H, N,
// C, F; for the inner loss, not differentiable). First order (the backward is not recorded).
// ttt_mlp_reference is its reference (the kernel tests compare the output and every gradient).
class TttMlpScan : public torch::autograd::Function<TttMlpScan> {
 public:
  // Per mini-batch saved tensors, in this order.
  enum Saved {
    kW1,
    kW2,
    kZ1,
    kTanh,
    kSlope,
    kX2,
    kZ2,
    kMean,
    kRstd,
    kXHat,
    kD,
    kG2,
    kP,
    kG1,
    kZBar,
    kXBar,
    kS,
    kCount
  };

  static torch::autograd::tensor_list forward(torch::autograd::AutogradContext* ctx,
                                              const torch::Tensor& inputs, const torch::Tensor& mixing1,
                                              const torch::Tensor& eta, const torch::Tensor& step_k1,
                                              const torch::Tensor& last, const torch::Tensor& offset,
                                              const torch::Tensor& gamma_sq, const torch::Tensor& w1_start,
                                              const torch::Tensor& w2_start, double eps, bool save) {
    const int64_t batch = inputs.size(0), heads = inputs.size(1), chunks = inputs.size(2);
    const int64_t c = mixing1.size(-1), e = w1_start.size(-1), f = w2_start.size(-1);
    auto w1 = w1_start.expand({batch, heads, w1_start.size(2), e});  // (B, H, F + 1, E)
    auto w2 = w2_start.expand({batch, heads, e + 1, f});             // (B, H, E + 1, F)
    const auto ones_c = torch::ones({batch, heads, c, 1}, inputs.options());
    const auto inputs_n = inputs.unbind(2), mixing1_n = mixing1.unbind(2), eta_n = eta.unbind(2);
    const auto step_k1_n = step_k1.unbind(2), last_n = last.unbind(2), offset_n = offset.unbind(2);
    std::vector<torch::Tensor> outputs, x_hats, saved;
    outputs.reserve(static_cast<size_t>(chunks));
    x_hats.reserve(static_cast<size_t>(chunks));
    saved.reserve(static_cast<size_t>(chunks * kCount) + 9);
    for (int64_t n = 0; n < chunks; ++n) {
      const auto zz = chunk_matmul(inputs_n[n], w1);  // (B, H, 2C, E): [Z1; ZQ]
      const auto z1 = zz.narrow(2, 0, c);             // (B, H, C, E)
      const auto tanh = ttt_mlp_gelu_tanh(z1);
      const auto slope = ttt_mlp_gelu_slope(z1, tanh);                    // gelu'(Z1)
      const auto x2 = torch::cat({torch::gelu(z1, "tanh"), ones_c}, -1);  // (B, H, C, E + 1)
      const auto z2 = chunk_matmul(x2, w2);                               // (B, H, C, F)
      const auto [x_hat, mean, rstd] = torch::native_layer_norm(z2, {f}, {}, {}, eps);
      const auto d = torch::addcmul(offset_n[n], x_hat, gamma_sq);  // (B, H, C, F)
      const auto g2 = std::get<0>(
          torch::native_layer_norm_backward(d, z2, {f}, mean, rstd, {}, {}, {true, false, false}));
      const auto p = chunk_matmul(g2, w2.narrow(2, 0, e).transpose(-1, -2));        // (B, H, C, E)
      const auto g1 = p * slope;                                                    // (B, H, C, E)
      const auto z_bar = zz.narrow(2, c, c) - chunk_matmul(mixing1_n[n], g1);       // (B, H, C, E)
      const auto x_bar = torch::cat({torch::gelu(z_bar, "tanh"), ones_c}, -1);      // (B, H, C, E + 1)
      const auto s = chunk_matmul(x_bar, x2.transpose(-1, -2));                     // (B, H, C, C)
      outputs.push_back(chunk_matmul(x_bar, w2) - chunk_matmul(eta_n[n] * s, g2));  // (B, H, C, F)
      x_hats.push_back(x_hat);
      if (save) {
        saved.insert(saved.end(),
                     {w1, w2, z1, tanh, slope, x2, z2, mean, rstd, x_hat, d, g2, p, g1, z_bar, x_bar, s});
      }
      w1 = w1 - chunk_matmul(step_k1_n[n], g1);
      w2 = w2 - chunk_matmul((last_n[n] * x2).transpose(-1, -2), g2);
    }
    auto x_hat_all = torch::stack(x_hats, 2);  // (B, H, N, C, F)
    if (save) {
      saved.insert(saved.end(), {inputs, mixing1, eta, step_k1, last, gamma_sq, w1_start, w2_start});
      ctx->save_for_backward(saved);
      ctx->saved_data["eps"] = eps;
    }
    ctx->mark_non_differentiable({x_hat_all});
    return {torch::stack(outputs, 2), x_hat_all};
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto tail = saved.end() - 8;
    const auto &inputs = tail[0], &mixing1 = tail[1], &eta = tail[2], &step_k1 = tail[3];
    const auto &last = tail[4], &gamma_sq = tail[5], &w1_start = tail[6], &w2_start = tail[7];
    const int64_t batch = inputs.size(0), heads = inputs.size(1), chunks = inputs.size(2);
    const int64_t c = mixing1.size(-1), e = w1_start.size(-1), f = w2_start.size(-1);
    const bool need_inputs = ctx->needs_input_grad(0);
    auto d_out_all =
        grads[0].defined() ? grads[0] : torch::zeros({batch, heads, chunks, c, f}, inputs.options());
    const auto d_out_n = d_out_all.unbind(2);
    const auto inputs_n = inputs.unbind(2), mixing1_n = mixing1.unbind(2), eta_n = eta.unbind(2);
    const auto step_k1_n = step_k1.unbind(2), last_n = last.unbind(2);
    // ∂/∂(state after mini-batch n): nothing reads the final state.
    auto d_w1 = torch::zeros({batch, heads, w1_start.size(2), e}, inputs.options());
    auto d_w2 = torch::zeros({batch, heads, e + 1, f}, inputs.options());
    auto d_gamma_sq = torch::zeros_like(gamma_sq);
    std::vector<torch::Tensor> d_inputs(chunks), d_mixing1(chunks), d_eta(chunks), d_step_k1(chunks);
    std::vector<torch::Tensor> d_last(chunks), d_offset(chunks);
    for (int64_t n = chunks - 1; n >= 0; --n) {
      const auto* sv = &saved[static_cast<size_t>(n * kCount)];
      const auto &w1 = sv[kW1], &w2 = sv[kW2], &z1 = sv[kZ1], &x2 = sv[kX2], &z2 = sv[kZ2];
      const auto &mean = sv[kMean], &rstd = sv[kRstd], &x_hat = sv[kXHat], &d = sv[kD], &g2 = sv[kG2];
      const auto &g1 = sv[kG1], &x_bar = sv[kXBar], &s = sv[kS];
      const auto& d_out = d_out_n[n];  // (B, H, C, F)
      // The state updates W1 ← W1 - (l ⊙ K1)ᵀ g1 and W2 ← W2 - (l ⊙ X2)ᵀ g2.
      auto d_g1 = -chunk_matmul(step_k1_n[n].transpose(-1, -2), d_w1);  // (B, H, C, E)
      d_step_k1[n] = -chunk_matmul(d_w1, g1.transpose(-1, -2));         // (B, H, F + 1, C)
      auto d_g2 = -chunk_matmul(last_n[n] * x2, d_w2);                  // (B, H, C, F)
      const auto d_lx2 = -chunk_matmul(g2, d_w2.transpose(-1, -2));     // (B, H, C, E + 1)
      d_last[n] = (d_lx2 * x2).sum(-1, /*keepdim=*/true);               // (B, H, C, 1)
      auto d_x2 = last_n[n] * d_lx2;                                    // (B, H, C, E + 1)
      // out = X̄ W2 - (η ⊙ S) g2, S = X̄ X2ᵀ.
      auto d_w2_now = d_w2 + chunk_matmul(x_bar.transpose(-1, -2), d_out);  // (B, H, E + 1, F)
      auto d_x_bar = chunk_matmul(d_out, w2.transpose(-1, -2));             // (B, H, C, E + 1)
      const auto d_m2 = -chunk_matmul(d_out, g2.transpose(-1, -2));         // (B, H, C, C)
      d_g2 -= chunk_matmul((eta_n[n] * s).transpose(-1, -2), d_out);
      d_eta[n] = d_m2 * s;
      const auto d_s = d_m2 * eta_n[n];  // (B, H, C, C)
      d_x_bar += chunk_matmul(d_s, x2);
      d_x2 += chunk_matmul(d_s.transpose(-1, -2), x_bar);
      // X̄ = [gelu(Z̄), 1], Z̄ = ZQ - M1 g1.
      const auto d_z_bar = torch::gelu_backward(d_x_bar.narrow(-1, 0, e), sv[kZBar], "tanh");  // (B, H, C, E)
      d_mixing1[n] = -chunk_matmul(d_z_bar, g1.transpose(-1, -2));                             // (B, H, C, C)
      d_g1 -= chunk_matmul(mixing1_n[n].transpose(-1, -2), d_z_bar);
      // g1 = P ⊙ s, P = g2 W2[:E]ᵀ.
      const auto d_p = d_g1 * sv[kSlope];  // (B, H, C, E)
      const auto d_slope = d_g1 * sv[kP];  // (B, H, C, E)
      d_g2 += chunk_matmul(d_p, w2.narrow(2, 0, e));
      d_w2_now.narrow(2, 0, e).add_(chunk_matmul(d_p.transpose(-1, -2), g2));
      // g2 = LN'(Z2)ᵀ D, D = offset + γ² x̂ (see above).
      auto ln_back = [&](const torch::Tensor& grad) {
        return std::get<0>(
            torch::native_layer_norm_backward(grad, z2, {f}, mean, rstd, {}, {}, {true, false, false}));
      };
      const auto d_d = ln_back(d_g2);  // (B, H, C, F)
      d_offset[n] = d_d;
      d_gamma_sq += (d_d * x_hat).sum(torch::IntArrayRef{0, 2}, /*keepdim=*/true);  // (1, H, 1, F)
      const auto d_x_hat = torch::addcmul(-rstd * (d * (d_g2 * x_hat).mean(-1, /*keepdim=*/true) +
                                                   (d * x_hat).mean(-1, /*keepdim=*/true) * d_g2),
                                          gamma_sq, d_d);
      const auto d_rstd = (d_g2 * g2).sum(-1, /*keepdim=*/true) / rstd;  // (B, H, C, 1)
      const auto d_z2 = ln_back(d_x_hat) - (d_rstd * rstd * rstd / static_cast<double>(f)) * x_hat;
      // Z2 = X2 W2, X2 = [gelu(Z1), 1], s = gelu'(Z1).
      d_x2 += chunk_matmul(d_z2, w2.transpose(-1, -2));
      d_w2_now += chunk_matmul(x2.transpose(-1, -2), d_z2);
      const auto d_z1 = torch::gelu_backward(d_x2.narrow(-1, 0, e), z1, "tanh")
                            .add_(d_slope * ttt_mlp_gelu_curvature(z1, sv[kTanh]));  // (B, H, C, E)
      // [Z1; ZQ] = [K1; Q1] W1.
      const auto d_zz = torch::cat({d_z1, d_z_bar}, 2);  // (B, H, 2C, E)
      if (need_inputs) {
        d_inputs[n] = chunk_matmul(d_zz, w1.transpose(-1, -2));  // (B, H, 2C, F + 1)
      }
      d_w1 = d_w1 + chunk_matmul(inputs_n[n].transpose(-1, -2), d_zz);
      d_w2 = d_w2_now;
    }
    return {need_inputs ? torch::stack(d_inputs, 2) : torch::Tensor(),
            torch::stack(d_mixing1, 2),
            torch::stack(d_eta, 2),
            torch::stack(d_step_k1, 2),
            torch::stack(d_last, 2),
            torch::stack(d_offset, 2),
            d_gamma_sq,
            d_w1.sum(0, /*keepdim=*/true),
            d_w2.sum(0, /*keepdim=*/true),
            torch::Tensor(),
            torch::Tensor()};
  }
};

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

  const auto w1_state = torch::cat({w1, b1.unsqueeze(1)}, 1).unsqueeze(0);  // (1, H, F + 1, E): [W1; b1]
  // b2 likewise rides along W2: [W2; b2] (E + 1, F) against [X2, 1].
  const auto w2_state = torch::cat({w2, b2.unsqueeze(1)}, 1).unsqueeze(0);  // (1, H, E + 1, F)
  bool save = false;
  if (torch::GradMode::is_enabled()) {
    for (const auto* t : {&q, &k, &v, &eta_row, &eta_col, &w1, &b1, &w2, &b2, &ln_weight, &ln_bias}) {
      save = save || t->requires_grad();
    }
  }
  const auto scan =
      TttMlpScan::apply(inputs, mixing1, eta, step_k1, last, offset, gamma_sq, w1_state, w2_state, eps, save);
  const auto& outputs = scan[0];  // (B, H, N, C, F)
  if (inner_loss != nullptr) {
    torch::NoGradGuard no_grad;
    // ℓ per token from the x̂ the step used, averaged over each mini-batch's real tokens.
    const auto per_token = 0.5 * (gamma.unsqueeze(2) * scan[1] + beta.unsqueeze(2) - target).pow(2).sum(-1);
    std::vector<torch::Tensor> losses;
    for (int64_t n = 0; n < chunks; ++n) {
      losses.push_back(per_token.select(2, n).narrow(2, 0, std::min(c, len - n * c)).mean(-1));
    }
    *inner_loss = torch::stack(losses, -1);  // (B, H, N)
  }
  return outputs.reshape({batch, heads, chunks * c, f}).narrow(2, 0, len);  // (B, H, L, F)  // (B, H, L, F)
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
