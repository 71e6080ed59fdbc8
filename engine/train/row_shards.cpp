#include "engine/train/row_shards.h"

#include <algorithm>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>
#include <torch/torch.h>

#include "kernels/counter_dropout.h"

namespace zoolab {

int64_t row_shards(const LanguageModel& model, const Batch& batch) {
  const auto& weight = model->head_weight();
  const bool cpu_float = weight.device().is_cpu() &&
                         (weight.scalar_type() == torch::kFloat || weight.scalar_type() == torch::kDouble);
  if (!cpu_float || batch.positions.numel() == 0 || at::in_parallel_region() || !model->row_shardable()) {
    return 1;
  }
  // Fewer shards than threads would leave threads idle that the whole batch's operations use.
  const int64_t threads = at::get_num_threads();
  return threads > 1 && batch.inputs.size(0) / kMinShardRows >= threads ? threads : 1;
}

void for_each_row_shard(const Batch& batch, int64_t shards, const ShardRun& run) {
  TORCH_CHECK(shards >= 1, "for_each_row_shard: shards must be positive, got ", shards);
  const int64_t rows = batch.inputs.size(0);
  std::vector<Batch> parts;
  std::vector<int64_t> first_rows;
  for (int64_t k = 0; k < shards; ++k) {
    const auto block = row_block(rows, static_cast<int>(k), static_cast<int>(shards));
    parts.push_back(batch_rows(batch, block));
    first_rows.push_back(block.first);
  }
  kernels::StepDropoutSeeds seeds;
  const at::ThreadLocalState caller;  // grad mode and dispatch state of this thread, for the workers
  // One shard per task (grain 1); parallel_for rethrows the first exception after the region.
  at::parallel_for(0, shards, 1, [&](int64_t begin, int64_t end) {
    const at::ThreadLocalStateGuard state(caller);
    for (int64_t k = begin; k < end; ++k) {
      const kernels::ScopedDropoutShard dropout(seeds, first_rows[static_cast<size_t>(k)]);
      run(parts[static_cast<size_t>(k)], k);
    }
  });
}

torch::Tensor sharded_backward(LanguageModel& model, const Batch& batch, int64_t shards,
                               const RowsLoss& loss_of, double loss_scale) {
  std::vector<torch::Tensor> parameters;
  for (const auto& parameter : model->parameters()) {
    if (parameter.requires_grad()) {
      parameters.push_back(parameter);
    }
  }
  const auto positions = static_cast<double>(batch.positions.numel());
  std::vector<torch::autograd::variable_list> gradients(static_cast<size_t>(shards));
  std::vector<torch::Tensor> losses(static_cast<size_t>(shards));
  for_each_row_shard(batch, shards, [&](const Batch& rows, int64_t shard) {
    const int64_t labelled = rows.positions.numel();
    if (labelled == 0) {
      return;  // no loss, no gradient; the shared seeds do not depend on who draws them
    }
    const auto loss = loss_of(rows) * (loss_scale * static_cast<double>(labelled) / positions);
    gradients[static_cast<size_t>(shard)] =
        torch::autograd::grad({loss}, parameters, /*grad_outputs=*/{}, /*retain_graph=*/false,
                              /*create_graph=*/false, /*allow_unused=*/true);
    losses[static_cast<size_t>(shard)] = loss.detach();
  });

  // In shard order, so the sums do not depend on which thread finished first.
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters.size(); ++i) {
    torch::Tensor sum;
    for (const auto& shard : gradients) {
      if (!shard.empty() && shard[i].defined()) {
        sum = sum.defined() ? sum + shard[i] : shard[i];
      }
    }
    if (sum.defined()) {
      parameters[i].mutable_grad() = sum;
    }
  }
  torch::Tensor total;
  for (const auto& loss : losses) {
    if (loss.defined()) {
      total = total.defined() ? total + loss : loss;
    }
  }
  return total;
}

}  // namespace zoolab
