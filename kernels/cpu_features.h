#pragma once

// Whether this CPU runs AVX-512F, asked once: the kernels with AVX-512 loops (kernels/softmax_rows.h,
// kernels/packed_product.h) choose them at run time, as ATen does its own, and fall back elsewhere.

namespace zoolab::kernels {

inline bool cpu_has_avx512f() {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

}  // namespace zoolab::kernels
