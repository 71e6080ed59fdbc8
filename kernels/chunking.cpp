#include "kernels/chunking.h"

#include "kernels/batched_matmul.h"

#include <algorithm>
#include <vector>

#include <torch/torch.h>

namespace zoolab::kernels {

torch::Tensor split_into_chunks(const torch::Tensor& x, int64_t chunk) {
  TORCH_CHECK(x.dim() >= 3 && chunk >= 1,
              "split_into_chunks: expected (B, H, L, ...) and a chunk of at least 1, got ", x.sizes(),
              " and ", chunk);
  const int64_t len = x.size(2), chunks = (len + chunk - 1) / chunk, pad = chunks * chunk - len;
  // constant_pad_nd reads (before, after) pairs from the last dimension backwards; L is dimension 2.
  std::vector<int64_t> padding(2 * (x.dim() - 2), 0);
  padding.back() = pad;
  const auto padded = pad > 0 ? torch::constant_pad_nd(x, padding) : x;
  std::vector<int64_t> shape{x.size(0), x.size(1), chunks, chunk};
  for (int64_t d = 3; d < x.dim(); ++d) {
    shape.push_back(x.size(d));
  }
  return padded.reshape(shape);
}

namespace {

// The broadcast leading dimensions of a and b, checked.
std::vector<int64_t> chunk_matmul_lead(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.dim() == b.dim() && a.dim() >= 2 && a.size(-1) == b.size(-2),
              "chunk_matmul: expected (..., M, K) and (..., K, P) of one rank, got ", a.sizes(), " and ",
              b.sizes());
  std::vector<int64_t> lead;
  for (int64_t d = 0; d + 2 < a.dim(); ++d) {
    TORCH_CHECK(a.size(d) == b.size(d) || a.size(d) == 1 || b.size(d) == 1,
                "chunk_matmul: leading dimensions do not broadcast: ", a.sizes(), " and ", b.sizes());
    lead.push_back(std::max(a.size(d), b.size(d)));
  }
  return lead;
}

// t (..., X, Y) broadcast to the leading dimensions `lead` and flattened to (N, X, Y).
torch::Tensor chunk_matmul_flat(const torch::Tensor& t, const std::vector<int64_t>& lead) {
  std::vector<int64_t> shape = lead;
  shape.insert(shape.end(), {t.size(-2), t.size(-1)});
  return t.expand(shape).reshape({-1, t.size(-2), t.size(-1)});
}

// One autograd node per product: the broadcast, the flattening and the reshaping back happen inside
// (recorded one by one they are four more nodes per product, which at the TTT kernels' sizes cost
// about as much as the product). Backward: the two transposed products, summed back over broadcast
// dimensions. First order (its backward is not recorded).
class ChunkMatmul : public torch::autograd::Function<ChunkMatmul> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& b) {
    const auto lead = chunk_matmul_lead(a, b);
    auto shape = lead;
    shape.insert(shape.end(), {a.size(-2), b.size(-1)});
    ctx->save_for_backward({a, b});
    return batched_matmul(chunk_matmul_flat(a, lead), chunk_matmul_flat(b, lead)).view(shape);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &a = saved[0], &b = saved[1];
    const auto lead = chunk_matmul_lead(a, b);
    const auto grad = grads[0].reshape({-1, grads[0].size(-2), grads[0].size(-1)});  // (N, M, P)
    auto back = [&lead](const torch::Tensor& flat, const torch::Tensor& like) {
      auto shape = lead;
      shape.insert(shape.end(), {like.size(-2), like.size(-1)});
      return flat.view(shape).sum_to_size(like.sizes());
    };
    torch::Tensor grad_a, grad_b;
    if (ctx->needs_input_grad(0)) {
      grad_a = back(batched_matmul(grad, chunk_matmul_flat(b, lead).transpose(1, 2)), a);  // (..., M, K)
    }
    if (ctx->needs_input_grad(1)) {
      grad_b = back(batched_matmul(chunk_matmul_flat(a, lead).transpose(1, 2), grad), b);  // (..., K, P)
    }
    return {grad_a, grad_b};
  }
};

}  // namespace

torch::Tensor chunk_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  return ChunkMatmul::apply(a, b);
}

}  // namespace zoolab::kernels
