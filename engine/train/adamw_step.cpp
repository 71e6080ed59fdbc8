#include "engine/train/adamw_step.h"

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace zoolab {
namespace {

// Elements per parallel task.
constexpr int64_t kGrain = 1 << 15;

// The optimizer's state key of a parameter: a string of the TensorImpl address in LibTorch 1.x,
// the address itself in 2.x.
template <typename StateMap>
typename StateMap::key_type state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename StateMap::key_type, std::string>) {
    return c10::guts::to_string(p.unsafeGetTensorImpl());
  } else {
    return static_cast<typename StateMap::key_type>(p.unsafeGetTensorImpl());
  }
}

struct Coefficients {
  double decay, beta1, beta2, step_size, sqrt_correction2, eps;
};

template <typename T>
void fused_update(T* p, const T* g, T* m, T* v, int64_t numel, const Coefficients& c) {
  const T decay = static_cast<T>(c.decay), beta1 = static_cast<T>(c.beta1), beta2 = static_cast<T>(c.beta2);
  const T one_minus_beta1 = static_cast<T>(1.0 - c.beta1), one_minus_beta2 = static_cast<T>(1.0 - c.beta2);
  const T step_size = static_cast<T>(c.step_size), eps = static_cast<T>(c.eps);
  const T sqrt_correction2 = static_cast<T>(c.sqrt_correction2);
  at::parallel_for(0, numel, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T grad = g[i];
      const T mi = m[i] * beta1 + one_minus_beta1 * grad;
      const T vi = v[i] * beta2 + one_minus_beta2 * grad * grad;
      m[i] = mi;
      v[i] = vi;
      const T denom = std::sqrt(vi) / sqrt_correction2 + eps;
      p[i] = p[i] * decay - step_size * mi / denom;
    }
  });
}

bool fusable(const torch::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.is_contiguous() &&
         (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble);
}

}  // namespace

void adamw_step(torch::optim::AdamW& optimizer) {
  using StateMap = std::decay_t<decltype(optimizer.state())>;
  auto& state = optimizer.state();
  struct Work {
    torch::Tensor param, grad;
    torch::optim::AdamWParamState* state;
    const torch::optim::AdamWOptions* options;
  };
  std::vector<Work> work;
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) {
        continue;
      }
      const auto found = state.find(state_key<StateMap>(p));
      if (options.amsgrad() || found == state.end() || !fusable(p) || !fusable(p.grad()) ||
          p.grad().scalar_type() != p.scalar_type()) {
        adamw_step_reference(optimizer);  // first step (state), or a case the loop does not cover
        return;
      }
      auto* param_state = static_cast<torch::optim::AdamWParamState*>(found->second.get());
      if (!fusable(param_state->exp_avg()) || !fusable(param_state->exp_avg_sq()) ||
          param_state->exp_avg().scalar_type() != p.scalar_type() ||
          param_state->exp_avg_sq().scalar_type() != p.scalar_type()) {
        adamw_step_reference(optimizer);
        return;
      }
      work.push_back({p, p.grad(), param_state, &options});
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& item : work) {
    const auto& options = *item.options;
    auto& s = *item.state;
    s.step(s.step() + 1);
    const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
    const double correction1 = 1.0 - std::pow(beta1, static_cast<double>(s.step()));
    const double correction2 = 1.0 - std::pow(beta2, static_cast<double>(s.step()));
    const Coefficients c{1.0 - options.lr() * options.weight_decay(),
                         beta1,
                         beta2,
                         options.lr() / correction1,
                         std::sqrt(correction2),
                         options.eps()};
    AT_DISPATCH_FLOATING_TYPES(item.param.scalar_type(), "adamw_step", [&] {
      fused_update<scalar_t>(item.param.data_ptr<scalar_t>(), item.grad.data_ptr<scalar_t>(),
                             s.exp_avg().data_ptr<scalar_t>(), s.exp_avg_sq().data_ptr<scalar_t>(),
                             item.param.numel(), c);
    });
  }
}

void adamw_step_reference(torch::optim::AdamW& optimizer) {
  optimizer.step();
}

}  // namespace zoolab
