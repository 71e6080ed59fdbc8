#include "kernels/batched_matmul.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/row_gemm.h"

namespace zoolab::kernels {
namespace {

// How a (rows × cols) matrix of a batch sits in memory, in BLAS terms.
struct MatrixLayout {
  bool row_major = true;  // stride(2) == 1; otherwise stride(1) == 1 (a transposed view)
  int64_t ld = 0;         // the other stride
};

bool blas_layout(const torch::Tensor& t, MatrixLayout* layout) {
  if (t.stride(2) == 1 && t.stride(1) >= std::max<int64_t>(1, t.size(2))) {
    *layout = {true, t.stride(1)};
    return true;
  }
  if (t.stride(1) == 1 && t.stride(2) >= std::max<int64_t>(1, t.size(1))) {
    *layout = {false, t.stride(2)};
    return true;
  }
  return false;
}

bool can_use_blas(const torch::Tensor& a, const torch::Tensor& b) {
#ifdef ZOOLAB_HAS_BLAS
  if (!a.device().is_cpu() || a.scalar_type() != torch::kFloat || b.scalar_type() != torch::kFloat) {
    return false;
  }
  // Large matrices or short batches are better served by BLAS's own threading inside torch::bmm.
  const int64_t work = a.size(1) * a.size(2) * b.size(2);
  return a.size(0) >= at::get_num_threads() && work <= 256 * 256 * 256;
#else
  (void)a;
  (void)b;
  return false;
#endif
}

torch::Tensor matmul_forward(const torch::Tensor& a_in, const torch::Tensor& b_in, double alpha) {
  if (!can_use_blas(a_in, b_in)) {
    return alpha == 1.0 ? torch::bmm(a_in, b_in) : torch::bmm(a_in, b_in).mul_(alpha);
  }
#ifdef ZOOLAB_HAS_BLAS
  MatrixLayout la, lb;
  const auto a = blas_layout(a_in, &la) ? a_in : a_in.contiguous();
  const auto b = blas_layout(b_in, &lb) ? b_in : b_in.contiguous();
  blas_layout(a, &la);
  blas_layout(b, &lb);
  const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), p = b.size(2);
  auto c = torch::empty({batch, m, p}, a.options());  // (N, M, P), row-major
  if (m == 0 || p == 0) {
    return c;
  }
  // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: pass B first. A row-major operand read as
  // column-major is already its transpose ('N'); a transposed view needs 'T'.
  const char op_b = lb.row_major ? 'N' : 'T';
  const char op_a = la.row_major ? 'N' : 'T';
  const int im = static_cast<int>(p), in = static_cast<int>(m), ik = static_cast<int>(k);
  const int ldb = static_cast<int>(lb.ld), lda = static_cast<int>(la.ld), ldc = static_cast<int>(p);
  const float falpha = static_cast<float>(alpha), beta = 0.0f;
  const float* a_data = a.data_ptr<float>();
  const float* b_data = b.data_ptr<float>();
  float* c_data = c.data_ptr<float>();
  const int64_t a_batch = a.stride(0), b_batch = b.stride(0), c_batch = m * p;
  // One matrix per task; the BLAS call runs single-threaded inside the parallel region.
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (ik == 0) {
        std::fill(c_data + i * c_batch, c_data + (i + 1) * c_batch, 0.0f);
        continue;
      }
      sgemm_(&op_b, &op_a, &im, &in, &ik, &falpha, b_data + i * b_batch, &ldb, a_data + i * a_batch, &lda,
             &beta, c_data + i * c_batch, &ldc);
    }
  });
  return c;
#endif
}

class BatchedMatmul : public torch::autograd::Function<BatchedMatmul> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& b, double alpha) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["alpha"] = alpha;
    return matmul_forward(a, b, alpha);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const double alpha = ctx->saved_data["alpha"].toDouble();
    const auto& grad = grad_outputs[0];  // (N, M, P)
    torch::Tensor grad_a, grad_b;
    if (ctx->needs_input_grad(0)) {
      grad_a = matmul_forward(grad, saved[1].transpose(1, 2), alpha);  // (N, M, K)
    }
    if (ctx->needs_input_grad(1)) {
      grad_b = matmul_forward(saved[0].transpose(1, 2), grad, alpha);  // (N, K, P)
    }
    return {grad_a, grad_b, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b, double alpha) {
  TORCH_CHECK(a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0) && a.size(2) == b.size(1),
              "batched_matmul: expected (N, M, K) and (N, K, P), got ", a.sizes(), " and ", b.sizes());
  return BatchedMatmul::apply(a, b, alpha);
}

torch::Tensor batched_matmul_reference(const torch::Tensor& a, const torch::Tensor& b, double alpha) {
  return torch::bmm(a, b) * alpha;
}

bool batched_matmul_uses_blas() {
#ifdef ZOOLAB_HAS_BLAS
  return true;
#else
  return false;
#endif
}

}  // namespace zoolab::kernels
