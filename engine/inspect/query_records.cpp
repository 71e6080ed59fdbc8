#include "engine/inspect/query_records.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
#include "engine/store/little_endian.h"
#include "engine/text/utf8.h"
#include "engine/util/checked_size.h"
#include "engine/util/input_error.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

constexpr char kQueryRecordsMagic[4] = {'Z', 'Q', 'R', 'S'};

using little_endian::put;

class Reader {
 public:
  explicit Reader(std::string_view bytes) : m_bytes(bytes) {}

  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    const T value = little_endian::get<T>(m_bytes, m_offset);
    m_offset += sizeof(T);
    return value;
  }

  std::string_view get_bytes(size_t count, const char* what) {
    need(count, what);
    const std::string_view out = m_bytes.substr(m_offset, count);
    m_offset += count;
    return out;
  }

  size_t remaining() const { return m_bytes.size() - m_offset; }

 private:
  void need(size_t count, const char* what) const {
    if (m_bytes.size() - m_offset < count) {
      throw InputError(std::string("query records: truncated blob (") + what + " needs " +
                       std::to_string(count) + " bytes at offset " + std::to_string(m_offset) + ", " +
                       std::to_string(m_bytes.size() - m_offset) + " left)");
    }
  }
  std::string_view m_bytes;
  size_t m_offset = 0;
};

nlohmann::json header_json(const QueryRecordSet& set) {
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& segment : set.segments) {
    segments.push_back({{"task", segment.task},
                        {"seq_len", segment.seq_len},
                        {"num_examples", segment.num_examples},
                        {"first_example", segment.first_example},
                        {"slices", segment.slices}});
  }
  return {{"step", set.step}, {"epoch", set.epoch}, {"subset", set.subset}, {"segments", segments}};
}

}  // namespace

std::string encode_query_records(const QueryRecordSet& set) {
  const std::string header = header_json(set).dump();
  std::string out;
  out.reserve(16 + header.size() + set.records.size() * kRecordBytes);
  out.append(kQueryRecordsMagic, sizeof(kQueryRecordsMagic));
  put(out, kQueryRecordsVersion);  // 2: with the trailing checksum
  put(out, static_cast<uint32_t>(header.size()));
  out += header;
  put(out, static_cast<uint64_t>(set.records.size()));
  for (const auto& r : set.records) {
    put(out, r.example);
    put(out, r.position);
    put(out, r.key);
    put(out, r.target);
    put(out, r.prediction);
    put(out, r.loss);
    put(out, r.p_target);
    put(out, r.gap);
    put(out, r.kv_index);
    put(out, r.segment);
    put(out, static_cast<uint8_t>(r.correct ? 1 : 0));
  }
  put(out, crc32c(out));
  return out;
}

QueryRecordSet decode_query_records(std::string_view bytes) {
  const std::string prefix = "query records: ";
  Reader magic(bytes);
  if (magic.get_bytes(sizeof(kQueryRecordsMagic), "magic") !=
      std::string_view(kQueryRecordsMagic, sizeof(kQueryRecordsMagic))) {
    throw InputError(prefix + "not a record blob (magic is \"" + escape_for_terminal(bytes.substr(0, 4)) +
                     "\", not \"ZQRS\")");
  }
  const auto version = magic.get<uint32_t>("version");
  if (version != 1 && version != kQueryRecordsVersion) {
    throw InputError(prefix + "format version " + std::to_string(version) +
                     " is not supported (this build reads versions 1 and " +
                     std::to_string(kQueryRecordsVersion) + "; update zoolab)");
  }
  // Version 2 ends with the CRC-32C of every byte before it: verified before any field is believed.
  // Version 1 had none and is read as it is.
  if (version >= 2) {
    if (bytes.size() < 12) {
      throw InputError(prefix + "truncated blob (" + std::to_string(bytes.size()) + " bytes)");
    }
    const auto body = bytes.substr(0, bytes.size() - 4);
    const auto stored = little_endian::get<uint32_t>(bytes, bytes.size() - 4);
    if (crc32c(body) != stored) {
      throw InputError(prefix +
                       "checksum mismatch: the blob is damaged (the next evaluation of the run stores "
                       "a new one)");
    }
    bytes = body;
  }
  Reader in(bytes);
  in.get_bytes(8, "magic and version");
  const auto header_size = in.get<uint32_t>("header size");
  QueryRecordSet set;
  nlohmann::json header;
  try {
    header = parse_strict_json(in.get_bytes(header_size, "header"));
  } catch (const JsonSyntaxError& error) {
    throw InputError(prefix + "unreadable header: " + escape_for_terminal(error.what()));
  }
  if (!header.is_object()) {
    throw InputError(prefix + "the header is not a JSON object");
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  set.step = header_int(header, "step", 0, kMax, prefix);
  set.epoch = header_int(header, "epoch", 0, kMax, prefix);
  set.subset = header_string(header, "subset", 64, prefix);
  const auto segments = header.find("segments");
  if (segments == header.end() || !segments->is_array()) {
    throw InputError(prefix + "header field \"segments\" is missing or not an array");
  }
  for (size_t i = 0; i < segments->size(); ++i) {
    const auto& s = (*segments)[i];
    const std::string where = prefix + "segments[" + std::to_string(i) + "] ";
    if (!s.is_object()) {
      throw InputError(where + "is not an object");
    }
    RecordSegment segment;
    // Sets written before the task registry name no task: they are MQAR's.
    const auto task = s.find("task");
    if (task != s.end()) {
      if (!task->is_string() || task->get<std::string>().empty() || task->get<std::string>().size() > 64) {
        throw InputError(where + "header field \"task\" is not a task name");
      }
      segment.task = task->get<std::string>();
    }
    segment.seq_len = header_int(s, "seq_len", 0, kMax, where);
    segment.num_examples = header_int(s, "num_examples", 0, kMax, where);
    segment.first_example = header_int(s, "first_example", 0, kMax, where);
    const auto slices = s.find("slices");
    if (slices == s.end() || !slices->is_object()) {
      throw InputError(where + "header field \"slices\" is missing or not an object");
    }
    for (const auto& item : slices->items()) {
      segment.slices[item.key()] =
          header_int(*slices, item.key(), std::numeric_limits<int64_t>::min(), kMax, where + "slices: ");
    }
    set.segments.push_back(std::move(segment));
  }
  const auto count = in.get<uint64_t>("record count");
  // Checked: count · 37 can wrap around to the blob's size.
  const CheckedSize needed = CheckedSize(count) * kRecordBytes;
  if (!needed.ok() || *needed.value() != in.remaining()) {
    throw InputError(prefix + std::to_string(count) + " records need " +
                     (needed.ok() ? std::to_string(*needed.value()) : std::string("more than 2^64")) +
                     " bytes, the blob has " + std::to_string(in.remaining()));
  }
  set.records.resize(static_cast<size_t>(count));
  for (auto& r : set.records) {
    r.example = in.get<int32_t>("example");
    r.position = in.get<int32_t>("position");
    r.key = in.get<int32_t>("key");
    r.target = in.get<int32_t>("target");
    r.prediction = in.get<int32_t>("prediction");
    r.loss = in.get<float>("loss");
    r.p_target = in.get<float>("p_target");
    r.gap = in.get<int32_t>("gap");
    r.kv_index = in.get<int16_t>("kv_index");
    r.segment = in.get<int16_t>("segment");
    r.correct = in.get<uint8_t>("correct") != 0;
  }
  return set;
}

}  // namespace zoolab
