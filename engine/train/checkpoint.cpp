#include "engine/train/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

namespace zoolab {
namespace {

constexpr char kMagic[8] = {'Z', 'L', 'C', 'K', 'P', 'T', '\0', '\0'};

template <typename T>
void write_le(std::ostream& out, T value) {
  // x86-64 and aarch64 are little-endian; the format says so explicitly for other readers.
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T read_le(std::istream& in, const std::string& path) {
  T value{};
  if (!in.read(reinterpret_cast<char*>(&value), sizeof(T))) {
    throw std::runtime_error("checkpoint " + path + " is truncated");
  }
  return value;
}

// Opens the file and checks magic and version; leaves the stream after the header JSON.
CheckpointPosition read_header(std::istream& in, const std::string& path) {
  if (!in) {
    throw std::runtime_error("cannot open checkpoint " + path);
  }
  char magic[8];
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(magic)) != 0) {
    throw std::runtime_error(path + " is not a zoolab checkpoint (bad magic number)");
  }
  const auto version = read_le<uint32_t>(in, path);
  if (version > kCheckpointVersion) {
    throw std::runtime_error("checkpoint " + path + " has format version " + std::to_string(version) +
                             "; this zoolab reads up to " + std::to_string(kCheckpointVersion));
  }
  const auto header_size = read_le<uint64_t>(in, path);
  std::string header(header_size, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_size))) {
    throw std::runtime_error("checkpoint " + path + " is truncated");
  }
  const auto json = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    throw std::runtime_error("checkpoint " + path + " has a corrupt header");
  }
  CheckpointPosition position;
  position.run_id = json.value("run_id", int64_t{0});
  position.epoch = json.value("epoch", int64_t{0});
  position.batch = json.value("batch", int64_t{0});
  position.step = json.value("step", int64_t{0});
  position.config_hash = json.value("config_hash", std::string());
  return position;
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointPosition& position, LanguageModel& model,
                     torch::optim::AdamW& optimizer) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());

  const nlohmann::json header = {{"run_id", position.run_id},      {"epoch", position.epoch},
                                 {"batch", position.batch},        {"step", position.step},
                                 {"config_hash", position.config_hash}, {"torch_version", TORCH_VERSION}};
  const std::string header_text = header.dump();

  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw std::runtime_error("cannot write checkpoint " + temp);
    }
    out.write(kMagic, sizeof(kMagic));
    write_le<uint32_t>(out, kCheckpointVersion);
    write_le<uint64_t>(out, header_text.size());
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    archive.save_to(out);
    out.flush();
    if (!out) {
      throw std::runtime_error("cannot write checkpoint " + temp + " (disk full?)");
    }
  }
  std::filesystem::rename(temp, path);
}

CheckpointPosition read_checkpoint_position(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return read_header(in, path);
}

CheckpointPosition load_checkpoint(const std::string& path, LanguageModel& model, torch::optim::AdamW& optimizer) {
  std::ifstream in(path, std::ios::binary);
  const auto position = read_header(in, path);
  std::stringstream rest;
  rest << in.rdbuf();
  try {
    torch::serialize::InputArchive archive;
    // Tensors land where the model lives (a CUDA run resumes on the GPU).
    archive.load_from(rest, model->parameters().front().device());
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model->load(model_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor rng_state;
    archive.read("rng", rng_state);
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle onto the global one
    generator.set_state(rng_state.cpu());
  } catch (const c10::Error& error) {
    throw std::runtime_error("checkpoint " + path + " cannot be loaded into this model: " +
                             error.what_without_backtrace());
  }
  return position;
}

}  // namespace zoolab
