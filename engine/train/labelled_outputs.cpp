#include "engine/train/labelled_outputs.h"

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/packed_product.h"
#include "kernels/softmax_rows.h"

namespace zoolab {
namespace {

// Each row's target log-probability, (x_t − max) − log Σ exp(x − max) in the order ATen's log_softmax
// takes it, and its argmax, from one pass of kernels/softmax_rows.h over a contiguous float (R, V) block.
void float_block_outputs(const torch::Tensor& block, const torch::Tensor& targets, float* target_log_probs,
                         int64_t* predictions) {
  const int64_t count = block.size(0), vocab = block.size(1);
  std::vector<float> max(static_cast<size_t>(count)), sum_exp(static_cast<size_t>(count));
  const float* rows = block.data_ptr<float>();
  kernels::softmax_row_stats(rows, count, vocab, {max.data(), sum_exp.data(), predictions});
  const int64_t* target = targets.data_ptr<int64_t>();
  for (int64_t r = 0; r < count; ++r) {
    if (target[r] < 0 || target[r] >= vocab) {
      throw std::invalid_argument("labelled_outputs: target " + std::to_string(target[r]) +
                                  " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    }
    const float x = rows[r * vocab + target[r]];
    target_log_probs[r] = (x - max[r]) - std::log(sum_exp[r]);
  }
}

// The outputs of `rows` rows whose logits, block by block, `block_logits(start, count, buffer)` gives as a
// (count, V) tensor (buffer: this thread's (block_rows, V) scratch, or undefined where none is needed).
template <typename BlockLogits>
LabelledOutputs blocked_outputs(int64_t rows, int64_t vocab, const torch::TensorOptions& options,
                                const torch::Tensor& targets, int64_t block_rows, bool needs_buffer,
                                const BlockLogits& block_logits) {
  if (targets.dim() != 1 || targets.size(0) != rows) {
    throw std::invalid_argument("labelled_outputs: logits (N, V) and targets (N,) expected");
  }
  if (block_rows <= 0) {
    throw std::invalid_argument("labelled_outputs: block_rows must be > 0, got " +
                                std::to_string(block_rows));
  }
  LabelledOutputs outputs;
  outputs.target_log_probs = torch::empty({rows}, options);                           // (N,)
  outputs.predictions = torch::empty({rows}, targets.options().dtype(torch::kLong));  // (N,)
  const bool own_kernel = options.device().is_cpu() && options.dtype() == torch::kFloat;
  auto compute_rows = [&](int64_t start, int64_t count, const torch::Tensor& buffer) {
    const auto block = block_logits(start, count, buffer);  // (R, V)
    auto log_probs = outputs.target_log_probs.narrow(0, start, count);
    auto predictions = outputs.predictions.narrow(0, start, count);  // (R,)
    const auto block_targets = targets.narrow(0, start, count);      // (R,)
    if (own_kernel) {
      float_block_outputs(block.contiguous(), block_targets.contiguous(), log_probs.data_ptr<float>(),
                          predictions.data_ptr<int64_t>());
      return;
    }
    log_probs.copy_(torch::log_softmax(block, 1).gather(1, block_targets.unsqueeze(1)).squeeze(1));
    predictions.copy_(block.argmax(-1));
  };
  if (!options.device().is_cpu()) {
    compute_rows(0, rows, torch::Tensor());  // a GPU kernel normalises each row on its own already
    return outputs;
  }
  // One thread per block: inside a parallel region ATen runs each op on the calling thread, on a block that
  // stays in cache.
  const int64_t blocks = (rows + block_rows - 1) / block_rows;
  at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    const auto buffer =
        needs_buffer ? torch::empty({std::min(block_rows, rows), vocab}, options) : torch::Tensor();
    for (int64_t b = first; b < last; ++b) {
      const int64_t start = b * block_rows;
      compute_rows(start, std::min(block_rows, rows - start), buffer);
    }
  });
  return outputs;
}

}  // namespace

LabelledOutputs labelled_outputs(const torch::Tensor& logits_in, const torch::Tensor& targets,
                                 int64_t block_rows) {
  if (logits_in.dim() != 2) {
    throw std::invalid_argument("labelled_outputs: logits (N, V) and targets (N,) expected");
  }
  const auto logits = logits_in.contiguous();  // (N, V)
  return blocked_outputs(logits.size(0), logits.size(1), logits.options(), targets, block_rows,
                         /*needs_buffer=*/false, [&](int64_t start, int64_t count, const torch::Tensor&) {
                           return logits.narrow(0, start, count);  // (R, V)
                         });
}

LabelledOutputs labelled_outputs_of_hidden(const torch::Tensor& hidden_in, const torch::Tensor& head_weight,
                                           const torch::Tensor& targets, int64_t block_rows,
                                           const kernels::PackedWeight* packed) {
  if (hidden_in.dim() != 2 || head_weight.dim() != 2 || hidden_in.size(1) != head_weight.size(1)) {
    throw std::invalid_argument("labelled_outputs: hidden (N, D) and head weight (V, D) expected");
  }
  std::optional<kernels::PackedWeight> own;
  if (!hidden_in.is_cpu() || hidden_in.scalar_type() != torch::kFloat) {
    packed = nullptr;  // the packed product is for float32 on the CPU; BLAS or the device does the rest
  } else if (!packed) {
    own = kernels::pack_weight(head_weight);
    packed = own ? &*own : nullptr;
  }
  if (packed && (packed->out() != head_weight.size(0) || packed->k() != head_weight.size(1))) {
    throw std::invalid_argument("labelled_outputs: the packed head weight is not this head's");
  }
  const auto hidden = packed ? hidden_in.contiguous() : hidden_in;  // (N, D)
  // Detached: the blocks run on pool threads, whose grad mode is their own, and mm_out refuses a parameter.
  const auto weight_t = head_weight.detach().t();  // (D, V)
  return blocked_outputs(
      hidden.size(0), head_weight.size(0), hidden.options(), targets, block_rows,
      /*needs_buffer=*/hidden.is_cpu(), [&](int64_t start, int64_t count, const torch::Tensor& buffer) {
        const auto rows = hidden.narrow(0, start, count);  // (R, D)
        if (!buffer.defined()) {
          return torch::mm(rows, weight_t);  // (R, V)
        }
        auto block = buffer.narrow(0, 0, count);  // (R, V), this thread's
        if (packed) {
          kernels::packed_product(rows.data_ptr<float>(), count, *packed, nullptr, block.data_ptr<float>());
        } else {
          torch::mm_out(block, rows, weight_t);
        }
        return block;
      });
}

torch::Tensor cross_entropy_of(const LabelledOutputs& outputs) {
  // nll_loss over a one-class column: input[i][0] is the target's log-probability of row i.
  const auto column = outputs.target_log_probs.unsqueeze(1);  // (N, 1)
  return torch::nll_loss(column, torch::zeros({column.size(0)}, outputs.predictions.options()));
}

}  // namespace zoolab
