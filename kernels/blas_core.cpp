#include "kernels/blas_core.h"

#include <dlfcn.h>

namespace zoolab::kernels {

std::string blas_core() {
  // The process's global scope: libopenblas is loaded there as a dependency of LibTorch's BLAS.
  auto* corename = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  const char* name = corename != nullptr ? corename() : nullptr;
  return name != nullptr ? std::string(name) : std::string();
}

}  // namespace zoolab::kernels
