#include "kernels/linear_cross_entropy.h"

#include <optional>
#include <tuple>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/dual_product.h"
#include "kernels/packed_product.h"
#include "kernels/softmax_rows.h"

namespace zoolab::kernels {
namespace {

// CPU rows per block of the stored path. Blocks run in sequence, each product and row pass on every
// thread: 32-row blocks spread over the threads with at::parallel_for (BLAS single-threaded inside)
// cost more CPU in bench_kernels (388-648 ms against 342 ms a step at N = 2048, loaded machine).
constexpr int64_t kCpuBlockRows = 128;

// Rows per block: 128 × 8192 floats = 4 MiB of logits, small enough to stay in cache between the
// matrix product that writes them and the reductions that read them.
constexpr int64_t kBlockRows = 128;

class LinearCrossEntropy : public torch::autograd::Function<LinearCrossEntropy> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h,
                               const torch::Tensor& weight, const torch::Tensor& targets,
                               int64_t max_stored) {
    const int64_t rows = h.size(0);
    auto lse = torch::empty({rows}, h.options());           // (N,) logsumexp of each row
    auto target_logit = torch::empty({rows}, h.options());  // (N,)
    const auto weight_t = weight.t();
    ctx->saved_data["stored"] = false;
    if (h.device().is_cpu() && rows * weight.size(0) <= max_stored) {
      // Stored path: exp(logits − row max) kept for the backward, which then needs no recomputed
      // product and no exp.
      auto exps = torch::empty({rows, weight.size(0)}, h.options());  // (N, V)
      auto sums = torch::empty({rows}, h.options());                  // (N,) Σ exp(logit − max)
      const int64_t blocks = (rows + kCpuBlockRows - 1) / kCpuBlockRows;
      auto max = torch::empty({rows}, h.options());  // (N,) each row's maximum logit
      // The head packed once for all blocks (kernels/packed_product.h): 2 MiB at MQAR's V = 8192.
      const auto packed = h.scalar_type() == torch::kFloat ? pack_weight(weight) : std::nullopt;
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t start = b * kCpuBlockRows, size = std::min(kCpuBlockRows, rows - start);
        auto block = exps.narrow(0, start, size);  // (b, V)
        if (packed) {
          packed_product(h[start].data_ptr<float>(), size, *packed, nullptr, block.data_ptr<float>());
        } else {
          torch::mm_out(block, h.narrow(0, start, size), weight_t);
        }
        target_logit.narrow(0, start, size)
            .copy_(block.gather(1, targets.narrow(0, start, size).unsqueeze(1)).squeeze(1));
        if (h.scalar_type() == torch::kFloat) {
          // One pass a row (kernels/softmax_rows.h) instead of amax, sub, exp and sum; rows split over
          // threads.
          at::parallel_for(0, size, 1, [&](int64_t first, int64_t last) {
            exp_rows_in_place(
                block[first].data_ptr<float>(), last - first, block.size(1),
                {max.data_ptr<float>() + start + first, sums.data_ptr<float>() + start + first});
          });
        } else {
          auto block_max = max.narrow(0, start, size).unsqueeze(1);  // (b, 1)
          torch::amax_out(block_max, block, 1, /*keepdim=*/true);
          block.sub_(block_max).exp_();
          auto sum = sums.narrow(0, start, size);
          torch::sum_out(sum, block, 1);
        }
      }
      lse.copy_(sums.log().add_(max));
      ctx->saved_data["stored"] = true;
      ctx->save_for_backward({h, weight, targets, exps, sums});
      return (lse - target_logit).sum() / static_cast<double>(rows);
    }
    for (int64_t start = 0; start < rows; start += kBlockRows) {
      const int64_t size = std::min(kBlockRows, rows - start);
      auto logits = torch::mm(h.narrow(0, start, size), weight_t);  // (b, V)
      lse.narrow(0, start, size).copy_(torch::logsumexp(logits, 1));
      target_logit.narrow(0, start, size)
          .copy_(logits.gather(1, targets.narrow(0, start, size).unsqueeze(1)).squeeze(1));
    }
    ctx->save_for_backward({h, weight, targets, lse});  // the logits are recomputed in the backward
    return (lse - target_logit).sum() / static_cast<double>(rows);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& h = saved[0];
    const auto& weight = saved[1];
    const auto& targets = saved[2];
    const int64_t rows = h.size(0);
    // d loss / d logits = (softmax - onehot(target)) · g / N.
    const auto scale = grad_outputs[0] / static_cast<double>(rows);  // 0-dim
    if (ctx->saved_data["stored"].toBool()) {
      // d loss / d logits = E · diag(g / (N · sums)) − onehot · g / N, with E the stored exps. The row
      // factors are applied to the (N, D) side of each product instead of E, so the (N, V) buffer is read
      // by the two products and nothing else: grad_h = diag(f) (E W) − (g / N) W[targets] and
      // grad_W = Eᵀ (diag(f) h) − Σ over rows of (g / N) h at each target's row.
      const auto& exps = saved[3];                           // (N, V) exp(logit − max)
      const auto factors = (scale / saved[4]).unsqueeze(1);  // (N, 1) g / (N · sums)
      torch::Tensor grad_h, grad_weight;                     // (N, D), (V, D)
      if (exps.scalar_type() == torch::kFloat && dual_product_available()) {
        // Both products from one pass over the exps (kernels/dual_product.h).
        const auto weight_c = weight.contiguous();
        const auto h_scaled = (h * factors).contiguous();  // (N, D) diag(f) h
        std::tie(grad_h, grad_weight) = dual_product(exps, weight_c, h_scaled);
        grad_h.mul_(factors);
      } else {
        grad_h = torch::mm(exps, weight).mul_(factors);
        grad_weight = torch::mm(exps.t(), h * factors);
      }
      grad_h.sub_(weight.index_select(0, targets) * scale);  // − onehot · W · g / N
      grad_weight.index_add_(0, targets, h * (-scale));      // − onehotᵀ · h · g / N
      return {grad_h, grad_weight, torch::Tensor(), torch::Tensor()};
    }
    const auto& lse = saved[3];
    // Row block by row block, recomputing the logits.
    auto grad_h = torch::empty_like(h);
    auto grad_weight = torch::zeros_like(weight);
    const auto weight_t = weight.t();
    for (int64_t start = 0; start < rows; start += kBlockRows) {
      const int64_t size = std::min(kBlockRows, rows - start);
      const auto h_block = h.narrow(0, start, size);
      auto probs = torch::mm(h_block, weight_t);                          // (b, V) logits
      probs.sub_(lse.narrow(0, start, size).unsqueeze(1)).exp_();         // softmax
      probs.scatter_add_(1, targets.narrow(0, start, size).unsqueeze(1),  // - onehot
                         torch::full({size, 1}, -1.0, probs.options()));
      probs.mul_(scale);
      auto grad_h_block = grad_h.narrow(0, start, size);
      torch::mm_out(grad_h_block, probs, weight);  // (b, D)
      grad_weight.addmm_(probs.t(), h_block);      // (V, D)
    }
    return {grad_h, grad_weight, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor linear_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight,
                                   const torch::Tensor& targets, int64_t max_stored_logits) {
  TORCH_CHECK(h.dim() == 2 && weight.dim() == 2 && h.size(1) == weight.size(1),
              "linear_cross_entropy: h (N, D) and weight (V, D) expected, got ", h.sizes(), " and ",
              weight.sizes());
  TORCH_CHECK(targets.dim() == 1 && targets.size(0) == h.size(0) && targets.scalar_type() == torch::kLong,
              "linear_cross_entropy: targets must be (N,) int64, got ", targets.sizes());
  TORCH_CHECK(h.size(0) > 0, "linear_cross_entropy: no rows (a batch without labelled positions)");
  return LinearCrossEntropy::apply(h.contiguous(), weight, targets.contiguous(), max_stored_logits);
}

torch::Tensor linear_cross_entropy_reference(const torch::Tensor& h, const torch::Tensor& weight,
                                             const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(torch::mm(h, weight.t()), targets);
}

}  // namespace zoolab::kernels
