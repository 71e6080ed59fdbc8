#include "engine/train/labelled_outputs.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace zoolab {
namespace {

// argmax of each row of a contiguous (R, V) block into `out`: the first maximal value, or the first NaN,
// as torch's argmax and max(dim) document it. A plain loop over one cached row: ATen's reductions on a few
// rows took longer than the log-softmax of the whole block (they split short outputs across threads).
template <typename T>
void row_argmax(const T* rows, int64_t count, int64_t vocab, int64_t* out) {
  for (int64_t r = 0; r < count; ++r) {
    const T* row = rows + r * vocab;
    T best = row[0];
    int64_t index = 0;
    for (int64_t j = 0; j < vocab; ++j) {
      if (!(row[j] <= best)) {  // larger, or NaN
        best = row[j];
        index = j;
        if (std::isnan(best)) {
          break;
        }
      }
    }
    out[r] = index;
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
  auto compute_rows = [&](int64_t start, int64_t count, const torch::Tensor& buffer) {
    const auto block = block_logits(start, count, buffer);                    // (R, V)
    const auto log_probs = torch::log_softmax(block, 1);                      // (R, V)
    const auto block_targets = targets.narrow(0, start, count).unsqueeze(1);  // (R, 1)
    outputs.target_log_probs.narrow(0, start, count).copy_(log_probs.gather(1, block_targets).squeeze(1));
    auto predictions = outputs.predictions.narrow(0, start, count);  // (R,)
    if (block.is_cpu() && block.scalar_type() == torch::kFloat) {
      row_argmax(block.template data_ptr<float>(), count, vocab, predictions.data_ptr<int64_t>());
    } else if (block.is_cpu() && block.scalar_type() == torch::kDouble) {
      row_argmax(block.template data_ptr<double>(), count, vocab, predictions.data_ptr<int64_t>());
    } else {
      predictions.copy_(block.argmax(-1));
    }
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

LabelledOutputs labelled_outputs_of_hidden(const torch::Tensor& hidden, const torch::Tensor& head_weight,
                                           const torch::Tensor& targets, int64_t block_rows) {
  if (hidden.dim() != 2 || head_weight.dim() != 2 || hidden.size(1) != head_weight.size(1)) {
    throw std::invalid_argument("labelled_outputs: hidden (N, D) and head weight (V, D) expected");
  }
  // Detached: the blocks run on pool threads, whose grad mode is their own, and mm_out refuses a parameter.
  const auto weight_t = head_weight.detach().t();  // (D, V)
  return blocked_outputs(hidden.size(0), head_weight.size(0), hidden.options(), targets, block_rows,
                         /*needs_buffer=*/hidden.is_cpu(),
                         [&](int64_t start, int64_t count, const torch::Tensor& buffer) {
                           const auto rows = hidden.narrow(0, start, count);  // (R, D)
                           if (!buffer.defined()) {
                             return torch::mm(rows, weight_t);  // (R, V)
                           }
                           auto block = buffer.narrow(0, 0, count);  // (R, V), this thread's
                           torch::mm_out(block, rows, weight_t);
                           return block;
                         });
}

torch::Tensor cross_entropy_of(const LabelledOutputs& outputs) {
  // nll_loss over a one-class column: input[i][0] is the target's log-probability of row i.
  const auto column = outputs.target_log_probs.unsqueeze(1);  // (N, 1)
  return torch::nll_loss(column, torch::zeros({column.size(0)}, outputs.predictions.options()));
}

}  // namespace zoolab
