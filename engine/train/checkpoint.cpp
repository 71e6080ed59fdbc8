#include "engine/train/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <torch/torch.h>
#include <torch/version.h>

#include "engine/text/utf8.h"

namespace zoolab {

void save_checkpoint(const std::string& path, const CheckpointPosition& position, LanguageModel& model,
                     torch::optim::AdamW& optimizer) {
  validate_checkpoint_position(position, path);  // a writer bug must not produce a file no reader takes
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());
  // Serialised in memory first: the checksum covers the payload, and the file is written in one go.
  std::ostringstream payload_stream;
  archive.save_to(payload_stream);
  const std::string payload = payload_stream.str();
  const std::string head = encode_checkpoint_head({position, TORCH_VERSION});
  const std::string trailer = encode_checkpoint_trailer(head, payload);

  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw std::runtime_error("cannot write checkpoint " + temp);
    }
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    out.write(trailer.data(), static_cast<std::streamsize>(trailer.size()));
    out.flush();
    if (!out) {
      throw std::runtime_error("cannot write checkpoint " + temp + " (disk full?)");
    }
  }
  std::filesystem::rename(temp, path);
}

CheckpointPosition read_checkpoint_position(const std::string& path) {
  return read_checkpoint_file(path).position();
}

void restore_checkpoint(const CheckpointFile& file, const std::string& path, LanguageModel& model,
                        torch::optim::AdamW& optimizer) {
  // torch reads the archive from a stream; a copy of the payload (checkpoints are megabytes).
  std::istringstream payload(std::string(file.payload()));
  try {
    torch::serialize::InputArchive archive;
    // Tensors land where the model lives (a CUDA run resumes on the GPU).
    archive.load_from(payload, model->parameters().front().device());
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
    throw CheckpointError(path, std::string("cannot be loaded into this model: ") +
                                    escape_for_terminal(error.what_without_backtrace()));
  } catch (const std::exception& error) {
    throw CheckpointError(
        path, std::string("cannot be loaded into this model: ") + escape_for_terminal(error.what()));
  }
}

CheckpointPosition load_checkpoint(const std::string& path, LanguageModel& model,
                                   torch::optim::AdamW& optimizer) {
  const auto file = read_checkpoint_file(path);
  restore_checkpoint(file, path, model, optimizer);
  return file.position();
}

}  // namespace zoolab
