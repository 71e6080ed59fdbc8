#pragma once

// Which of OpenBLAS's kernel sets runs the matrix products, for the record of a timing.
//
// Why: a DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU when it loads, and OPENBLAS_CORETYPE
// overrides that choice (some machines pin an older OpenBLAS to its AVX2 "Haswell" kernels on CPUs it
// does not know). The choice moves the products that zoolab leaves to BLAS by up to 2× (the training head
// on a 2-core AMD Zen 5: 106 GFLOP/s with "Haswell", 173 with "Cooperlake", bench_dual_product), so
// `zoolab-cli bench` prints the set beside its figures.

#include <string>

namespace zoolab::kernels {

// The OpenBLAS kernel set in use ("Haswell", "SkylakeX", ...), or "" when the products do not run on
// OpenBLAS. Looked up at run time, so another BLAS links as well.
std::string blas_core();

}  // namespace zoolab::kernels
