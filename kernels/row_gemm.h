#pragma once

// A row-major matrix product straight on BLAS's Fortran interface, for the kernels that run many small
// products on strided views inside their own parallel loops (one product per task, BLAS single-threaded
// inside the region). Only where the build found a BLAS (ZOOLAB_HAS_BLAS, kernels/CMakeLists.txt).

#ifdef ZOOLAB_HAS_BLAS

#include <cstdint>

// The Fortran BLAS interface, present in every BLAS (reference, OpenBLAS, MKL).
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);
extern "C" void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
                       const double* beta, double* c, const int* ldc);

namespace zoolab::kernels {

inline void fortran_gemm(const char* ta, const char* tb, const int* m, const int* n, const int* k,
                         const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                         const float* beta, float* c, const int* ldc) {
  sgemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

inline void fortran_gemm(const char* ta, const char* tb, const int* m, const int* n, const int* k,
                         const double* alpha, const double* a, const int* lda, const double* b,
                         const int* ldb, const double* beta, double* c, const int* ldc) {
  dgemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Row-major C (m × n, leading dimension ldc) = alpha · op(A) · op(B) + beta · C, op(A) m × k, op(B) k × n.
// Row-major C is column-major Cᵀ = op(B)ᵀ · op(A)ᵀ, and a row-major matrix read column-major is its
// transpose: so B goes first, and an operand used as stored gets 'N'. Sizes fit int (callers' matrices
// are one (batch, head) slice of a tensor).
template <typename T>
void row_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
              const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const char op_a = trans_a ? 'T' : 'N', op_b = trans_b ? 'T' : 'N';
  const int im = static_cast<int>(n), in = static_cast<int>(m), ik = static_cast<int>(k);
  const int ia = static_cast<int>(lda), ib = static_cast<int>(ldb), ic = static_cast<int>(ldc);
  fortran_gemm(&op_b, &op_a, &im, &in, &ik, &alpha, b, &ib, a, &ia, &beta, c, &ic);
}

}  // namespace zoolab::kernels

#endif  // ZOOLAB_HAS_BLAS
