#pragma once

// The c10d objects behind a ProcessGroup (engine/train/distributed.h), shared by its two implementation
// files (distributed.cpp: rendezvous and scalars; distributed_tensors.cpp: model and gradients). Only
// those include this header: it pulls in c10d and Gloo.
//
// Gloo serves CPU tensors (Debian's LibTorch 1.13 builds it in); NCCL serves CUDA tensors where LibTorch
// was built with it (USE_C10D_NCCL, a CUDA LibTorch 2.x), else Gloo does.

#ifdef ZOOLAB_HAVE_C10D

#include <chrono>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "engine/train/distributed.h"

namespace zoolab {

struct ProcessGroup::Impl {
  DistributedEnv env;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::Store> store;  // rank 0's TCPStore (every rank's client)
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  ProcessGroup* owner = nullptr;

  // Starts a SUM all-reduce of `tensor` (in place) on the backend for its device.
  c10::intrusive_ptr<c10d::Work> start_all_reduce(at::Tensor& tensor);
  // Starts a broadcast of rank 0's `tensor` (in place).
  c10::intrusive_ptr<c10d::Work> start_broadcast(at::Tensor& tensor);
  // Waits for `work` up to the timeout; a failure throws CollectiveError (describe_failure).
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what);
  void check_open(const std::string& what) const;
};

}  // namespace zoolab

#endif  // ZOOLAB_HAVE_C10D
