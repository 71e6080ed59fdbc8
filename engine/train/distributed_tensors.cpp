#include "engine/train/distributed_tensors.h"

#include <chrono>
#include <cstring>
#include <sstream>

#include <torch/torch.h>

#include "engine/train/distributed_backend.h"

namespace zoolab {

#ifdef ZOOLAB_HAVE_C10D

namespace {

// The archive of model (and optimizer) as bytes, torch's own serialisation (what checkpoints hold).
torch::Tensor serialize_state(LanguageModel& model, torch::optim::AdamW& optimizer, bool with_optimizer) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model->save(model_archive);
  archive.write("model", model_archive);
  if (with_optimizer) {
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  std::ostringstream stream;
  archive.save_to(stream);
  const std::string bytes = stream.str();
  auto tensor = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);  // (n,)
  std::memcpy(tensor.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return tensor;
}

}  // namespace

void DataParallel::broadcast_state(LanguageModel& model, torch::optim::AdamW& optimizer,
                                   bool with_optimizer) {
  auto& impl = m_group.impl();
  impl.check_open("broadcast of the model from rank 0");
  torch::NoGradGuard no_grad;
  // The archive travels as bytes on the CPU (Gloo), whatever the model's device: it happens once per run.
  torch::Tensor bytes;
  if (rank() == 0) {
    bytes = serialize_state(model, optimizer, with_optimizer);
  }
  auto size = torch::tensor({rank() == 0 ? bytes.numel() : int64_t{0}}, torch::kLong);  // (1,)
  impl.wait(impl.start_broadcast(size), "broadcast of the model's size from rank 0");
  if (rank() != 0) {
    bytes = torch::empty({size.item<int64_t>()}, torch::kUInt8);
  }
  impl.wait(impl.start_broadcast(bytes), "broadcast of the model from rank 0");
  if (rank() != 0) {
    std::istringstream stream(std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                                          static_cast<size_t>(bytes.numel())));
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(stream, model->parameters().front().device());
    archive.read("model", model_archive);
    model->load(model_archive);
    if (with_optimizer) {
      archive.read("optimizer", optimizer_archive);
      optimizer.load(optimizer_archive);
    }
  }
}

void DataParallel::reduce_gradients(LanguageModel& model) {
  const auto start = std::chrono::steady_clock::now();
  auto& impl = m_group.impl();
  impl.check_open("all-reduce of the gradients");
  torch::NoGradGuard no_grad;
  auto parameters = model->parameters();
  // One flag per parameter, summed with the first bucket: how many ranks have a gradient for it.
  const auto device = parameters.front().device();
  auto defined = torch::zeros({static_cast<int64_t>(parameters.size())},
                              torch::TensorOptions().dtype(parameters.front().dtype()).device(device));
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].grad().defined()) {
      defined[static_cast<int64_t>(i)] = 1;
    }
  }
  // Buckets of consecutive parameters of one dtype up to kBucketBytes; the flags go in the first.
  struct Bucket {
    std::vector<size_t> members;
    torch::Tensor flat;
  };
  std::vector<Bucket> buckets(1);
  int64_t bytes = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const auto& parameter = parameters[i];
    const int64_t size = parameter.numel() * static_cast<int64_t>(parameter.element_size());
    auto& last = buckets.back();
    if (!last.members.empty() &&
        (bytes + size > kBucketBytes ||
         parameters[last.members.front()].scalar_type() != parameter.scalar_type())) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().members.push_back(i);
    bytes += size;
  }
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (size_t b = 0; b < buckets.size(); ++b) {
    auto& bucket = buckets[b];
    std::vector<torch::Tensor> pieces;
    for (const size_t i : bucket.members) {
      const auto& parameter = parameters[i];
      const auto& grad = parameter.grad();
      pieces.push_back(grad.defined() ? grad.reshape({-1})
                                      : torch::zeros({parameter.numel()}, parameter.options()));
    }
    if (b == 0) {
      pieces.push_back(defined.to(pieces.front().dtype()));
    }
    bucket.flat = torch::cat(pieces);  // (sum of numel,)
    works.push_back(impl.start_all_reduce(bucket.flat));
  }
  for (size_t b = 0; b < buckets.size(); ++b) {
    impl.wait(works[b], "all-reduce of the gradients (bucket " + std::to_string(b + 1) + " of " +
                            std::to_string(buckets.size()) + ")");
  }
  const auto& first = buckets.front();
  int64_t flag_offset = 0;
  for (const size_t i : first.members) {
    flag_offset += parameters[i].numel();
  }
  const auto counts =
      first.flat.narrow(0, flag_offset, static_cast<int64_t>(parameters.size())).to(torch::kCPU);
  for (auto& bucket : buckets) {
    int64_t offset = 0;
    for (const size_t i : bucket.members) {
      auto& parameter = parameters[i];
      const int64_t numel = parameter.numel();
      if (counts[static_cast<int64_t>(i)].item<double>() > 0) {
        auto summed = bucket.flat.narrow(0, offset, numel).view(parameter.sizes());
        if (parameter.grad().defined()) {
          parameter.mutable_grad().copy_(summed);
        } else {
          parameter.mutable_grad() = summed.clone();
        }
      }
      offset += numel;
    }
  }
  m_reduce_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

#else  // built without Gloo's headers: ProcessGroup's constructor already refused

void DataParallel::broadcast_state(LanguageModel&, torch::optim::AdamW&, bool) {}
void DataParallel::reduce_gradients(LanguageModel&) {}

#endif  // ZOOLAB_HAVE_C10D

}  // namespace zoolab
