#pragma once

// Text training: a language model on token shards by token budget. Each step
// trains on train_batch_size windows of context_length + 1 tokens (engine/train/text_batches.h) with
// cross-entropy at every position, AdamW as MQAR runs use it (engine/train/model_setup.h), a per-step
// learning rate (linear warm-up, then cosine to 10% of the peak at the last step) and gradient clipping by
// global norm. Every train.eval_interval steps and at the end it validates on data.text.valid_sequences fixed
// windows of valid.ztok (valid/loss, valid/perplexity), stores their per-token losses
// (engine/text/token_losses.h) and checkpoints; a stop request checkpoints after the step (or after the
// validation due there). The "epoch" of progress, metrics and checkpoints counts validations.
// No torch in this header.

#include <cstdint>
#include <memory>

#include "engine/config/run_config.h"

namespace zoolab {

class TrainingTask;
struct TaskContext;

// The floor of the cosine, as a fraction of train.learning_rate: GPT-NeoX's and Chinchilla's 10%
// (min_lr = 0.1 · lr), so the last steps still learn instead of spending compute at a rate near 0.
inline constexpr double kTextFinalLearningRateRatio = 0.1;

// The learning rate of step `step` (1-based: the step about to be taken, 1..total_steps): peak · step /
// warmup_steps during warm-up (step <= warmup_steps), then peak at step = warmup_steps decaying along a
// cosine to kTextFinalLearningRateRatio · peak at step = total_steps.
double text_learning_rate(double peak, int64_t step, int64_t warmup_steps, int64_t total_steps);

// The validations of a text run: one every eval_interval steps, plus one at the end (just one when
// eval_interval is 0 or divides the step count there).
int64_t text_validation_count(const RunConfig& config);

// The text task of the training loop (engine/train/training_session.h). Opens and checks the shards and
// the validation windows; throws on what stops the run from starting (no shards, a vocabulary mismatch,
// too few tokens).
std::unique_ptr<TrainingTask> make_text_task(const TaskContext& context);

}  // namespace zoolab
