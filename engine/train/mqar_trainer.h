#pragma once

// The MQAR task of the training loop (engine/train/training_session.h), with Zoology's semantics (its
// Trainer at commit 0bb9665): AdamW on every parameter, cosine stepped once per epoch, cross-entropy on
// labelled positions, evaluation each epoch, early stop when the metric exceeds the threshold. Each
// evaluation also stores what train.inspect asks for: query records and the patterns of the first test
// examples. No torch in this header.

#include <memory>

namespace zoolab {

class TrainingTask;
struct TaskContext;

// Loads (or generates and caches) the run's train and test segments; throws on what stops that.
std::unique_ptr<TrainingTask> make_mqar_task(const TaskContext& context);

}  // namespace zoolab
