#include "engine/inspect/query_records.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/store/little_endian.h"

namespace zoolab {

namespace {

constexpr char kMagic[4] = {'Z', 'Q', 'R', 'S'};

using little_endian::put;

class Reader {
 public:
  explicit Reader(const std::string& bytes) : m_bytes(bytes) {}

  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    const T value = little_endian::get<T>(m_bytes, m_offset);
    m_offset += sizeof(T);
    return value;
  }

  std::string get_bytes(size_t count, const char* what) {
    need(count, what);
    std::string out = m_bytes.substr(m_offset, count);
    m_offset += count;
    return out;
  }

  size_t remaining() const { return m_bytes.size() - m_offset; }

 private:
  void need(size_t count, const char* what) const {
    if (m_bytes.size() - m_offset < count) {
      throw std::runtime_error(std::string("query records: truncated blob (") + what + " needs " +
                               std::to_string(count) + " bytes at offset " + std::to_string(m_offset) + ", " +
                               std::to_string(m_bytes.size() - m_offset) + " left)");
    }
  }
  const std::string& m_bytes;
  size_t m_offset = 0;
};

nlohmann::json header_json(const QueryRecordSet& set) {
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& segment : set.segments) {
    segments.push_back({{"seq_len", segment.seq_len},
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
  out.append(kMagic, sizeof(kMagic));
  put(out, kQueryRecordsVersion);
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
  return out;
}

QueryRecordSet decode_query_records(const std::string& bytes) {
  Reader in(bytes);
  if (in.get_bytes(sizeof(kMagic), "magic") != std::string(kMagic, sizeof(kMagic))) {
    throw std::runtime_error("query records: not a record blob (magic is not \"ZQRS\")");
  }
  const auto version = in.get<uint32_t>("version");
  if (version != kQueryRecordsVersion) {
    throw std::runtime_error("query records: format version " + std::to_string(version) +
                             " is not supported (this build reads version " +
                             std::to_string(kQueryRecordsVersion) + "; update zoolab)");
  }
  const auto header_size = in.get<uint32_t>("header size");
  QueryRecordSet set;
  try {
    const auto header = nlohmann::json::parse(in.get_bytes(header_size, "header"));
    set.step = header.at("step").get<int64_t>();
    set.epoch = header.at("epoch").get<int64_t>();
    set.subset = header.at("subset").get<std::string>();
    for (const auto& s : header.at("segments")) {
      RecordSegment segment;
      segment.seq_len = s.at("seq_len").get<int64_t>();
      segment.num_examples = s.at("num_examples").get<int64_t>();
      segment.first_example = s.at("first_example").get<int64_t>();
      segment.slices = s.at("slices").get<std::map<std::string, int64_t>>();
      set.segments.push_back(std::move(segment));
    }
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(std::string("query records: unreadable header: ") + error.what());
  }
  const auto count = in.get<uint64_t>("record count");
  if (in.remaining() != count * kRecordBytes) {
    throw std::runtime_error("query records: " + std::to_string(count) + " records need " +
                             std::to_string(count * kRecordBytes) + " bytes, the blob has " +
                             std::to_string(in.remaining()));
  }
  set.records.resize(count);
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

std::vector<QueryFacts> mqar_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                         int64_t num_kv_pairs, int64_t num_passes) {
  constexpr int64_t kIgnore = -100;
  const int64_t context = std::min<int64_t>(2 * num_kv_pairs * num_passes, seq_len);
  std::vector<QueryFacts> facts;
  for (int64_t p = 0; p < seq_len; ++p) {
    if (labels[p] == kIgnore) {
      continue;
    }
    QueryFacts f;
    f.position = static_cast<int32_t>(p);
    f.key = static_cast<int32_t>(inputs[p]);
    f.target = static_cast<int32_t>(labels[p]);
    // Keys sit at even context offsets (port §1.2 step 5); with several passes the latest occurrence
    // before the query is the one a recurrent model saw last.
    const int64_t limit = std::min(context, p);  // context positions before the query
    for (int64_t k = limit > 0 ? ((limit - 1) / 2) * 2 : -2; k >= 0; k -= 2) {
      if (inputs[k] == inputs[p]) {
        f.key_position = static_cast<int32_t>(k);
        f.gap = static_cast<int32_t>(p - k);
        f.kv_index = static_cast<int16_t>((k / 2) % std::max<int64_t>(num_kv_pairs, 1));
        break;
      }
    }
    facts.push_back(f);
  }
  return facts;
}

}  // namespace zoolab
