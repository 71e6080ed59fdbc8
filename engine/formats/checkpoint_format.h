#pragma once

// The framing of a training checkpoint file (.zlck), without the torch payload it carries, so that a
// damaged or hostile file is refused by code that needs no torch (and can be fuzzed). Version 2,
// little-endian:
//   char[8]  magic "ZLCKPT\0\0"
//   uint32   format version (2)
//   uint64   byte length H of the header JSON: 2 <= H <= 1 MiB, and within the file
//   H bytes  header JSON {"run_id", "run_uid", "epoch", "batch", "step", "config_hash", "torch_version"}
//   payload  a torch::serialize archive ("model/…", "optimizer/…", "rng"), engine/train/checkpoint.h
//   uint32   CRC-32C (engine/formats/crc32c.h) of every byte before it
// The checksum is verified before the header is parsed or the payload handed to torch. Version 1 was
// the same without the checksum; it is still read, so databases written before version 2 stay
// resumable, but nothing vouches for its payload (its header is checked as strictly).

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/util/input_error.h"

namespace zoolab {

inline constexpr uint32_t kCheckpointVersion = 2;
inline constexpr uint64_t kMaxCheckpointHeaderBytes = uint64_t{1} << 20;

// A checkpoint file that cannot be used: missing, damaged, foreign, or not of this run. The trainers
// leave the run resumable (interrupted, with this message) so that restoring the file and resuming works.
class CheckpointError : public InputError {
 public:
  CheckpointError(const std::string& path, const std::string& problem)
      : InputError("checkpoint " + path + ": " + problem) {}
};

struct CheckpointPosition {
  int64_t run_id = 0;
  int64_t epoch = 0;        // the epoch to continue in (text runs: validations done)
  int64_t batch = 0;        // the next batch of that epoch to train on (text runs: the step)
  int64_t step = 0;         // optimizer steps done
  std::string config_hash;  // 16 lowercase hex digits
  // The run's uid (RunRecord::uid), which `db merge` keeps while it gives the run a new id; empty in
  // version 1 files and for runs without one.
  std::string run_uid;
};

struct CheckpointHeader {
  CheckpointPosition position;
  std::string torch_version;  // of the writer, for people
};

// A checkpoint file checked down to its payload.
struct ParsedCheckpoint {
  uint32_t version = 0;
  bool checksummed = false;  // false for version 1
  CheckpointHeader header;
  uint64_t payload_offset = 0;  // the torch archive: bytes [payload_offset, payload_offset + payload_size)
  uint64_t payload_size = 0;
};

// Checks a whole checkpoint file held in `bytes`: magic, version, header length, checksum, every header
// field (types and ranges; see validate_checkpoint_position). Throws CheckpointError naming `path` and
// the field; never reads outside `bytes`. The torch-free entry point for fuzzing.
ParsedCheckpoint parse_checkpoint(std::string_view bytes, const std::string& path);

// The bytes before the payload and the 4 after it (the CRC-32C of head and payload).
std::string encode_checkpoint_head(const CheckpointHeader& header);
std::string encode_checkpoint_trailer(std::string_view head, std::string_view payload);

// A checkpoint file read whole (after checking its size against the memory budget) and parsed.
struct CheckpointFile {
  std::string bytes;
  ParsedCheckpoint parsed;
  const CheckpointPosition& position() const { return parsed.header.position; }
  std::string_view payload() const {
    return std::string_view(bytes).substr(parsed.payload_offset, parsed.payload_size);
  }
};
// Throws CheckpointError (missing, unreadable, too large, or anything parse_checkpoint refuses).
CheckpointFile read_checkpoint_file(const std::string& path);

// The header's own consistency: run_id >= 1, epoch, batch and step >= 0, config_hash 16 lowercase hex
// digits, run_uid empty or up to 64 lowercase hex digits. (Whether the position fits the run and its
// configuration is the trainer's check, engine/train/resume_checks.h.)
void validate_checkpoint_position(const CheckpointPosition& position, const std::string& path);

}  // namespace zoolab
