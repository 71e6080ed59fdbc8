// The inspector's storage: the query-record blob format, MQAR query facts, and the schema-4 tables.

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "engine/formats/crc32c.h"
#include "engine/inspect/query_records.h"
#include "engine/store/database_merge.h"
#include "engine/util/input_error.h"
#include "store_test_support.h"

namespace zoolab::store_test {
namespace {

QueryRecordSet sample_set() {
  QueryRecordSet set;
  set.step = 40;
  set.epoch = 4;
  set.subset = "tracked";
  set.segments = {{16, 3, 0, {{"num_kv_pairs", 2}, {"input_seq_len", 16}}},
                  {32, 2, 3, {{"num_kv_pairs", 4}, {"input_seq_len", 32}}}};
  QueryRecord a{0, 6, 3, 9, 9, 0.125f, 0.75f, 4, 1, 0, true};
  QueryRecord b{4, 30, 7, 40, -5, 3.5f, 0.03125f, 30, -1, 1, false};
  set.records = {a, b};
  return set;
}

TEST(QueryRecords, RoundTripKeepsEveryField) {
  const auto set = sample_set();
  const std::string blob = encode_query_records(set);
  EXPECT_EQ(blob.substr(0, 4), "ZQRS");
  const auto back = decode_query_records(blob);
  EXPECT_EQ(back.step, 40);
  EXPECT_EQ(back.epoch, 4);
  EXPECT_EQ(back.subset, "tracked");
  ASSERT_EQ(back.segments.size(), 2u);
  EXPECT_EQ(back.segments[1].first_example, 3);
  EXPECT_EQ(back.segments[1].slices.at("num_kv_pairs"), 4);
  ASSERT_EQ(back.records.size(), 2u);
  const auto& r = back.records[1];
  EXPECT_EQ(r.example, 4);
  EXPECT_EQ(r.position, 30);
  EXPECT_EQ(r.key, 7);
  EXPECT_EQ(r.target, 40);
  EXPECT_EQ(r.prediction, -5);
  EXPECT_FLOAT_EQ(r.loss, 3.5f);
  EXPECT_FLOAT_EQ(r.p_target, 0.03125f);
  EXPECT_EQ(r.gap, 30);
  EXPECT_EQ(r.kv_index, -1);
  EXPECT_EQ(r.segment, 1);
  EXPECT_FALSE(r.correct);
  EXPECT_TRUE(back.records[0].correct);
  // Fixed-width records: the size per record is what the format says.
  EXPECT_EQ(encode_query_records(set).size() -
                encode_query_records(QueryRecordSet{40, 4, "tracked", set.segments, {}}).size(),
            2 * kRecordBytes);
}

// The blob with its trailing CRC-32C recomputed: what a writer with a bug produces.
std::string resealed(std::string blob) {
  blob.resize(blob.size() - 4);
  const uint32_t crc = crc32c(blob);
  for (int i = 0; i < 4; ++i) {
    blob.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  }
  return blob;
}

std::string decode_message(const std::string& bytes) {
  try {
    decode_query_records(bytes);
  } catch (const InputError& error) {
    return std::string(error.what());
  }
  return std::string("no error");
}

TEST(QueryRecords, DamagedBlobsAreRefusedWithTheReason) {
  std::string blob = encode_query_records(sample_set());
  const auto message = decode_message;
  EXPECT_NE(message("XXXX" + blob.substr(4)).find("magic"), std::string::npos);
  std::string future = blob;
  future[4] = 9;
  EXPECT_NE(message(future).find("version 9"), std::string::npos);
  EXPECT_NE(message(blob.substr(0, blob.size() - 3)).find("checksum mismatch"), std::string::npos);
  EXPECT_NE(message(resealed(blob.substr(0, blob.size() - 7) + "0123")).find("records need"),
            std::string::npos);
  EXPECT_NE(message(blob.substr(0, 10)).find("truncated"), std::string::npos);
}

TEST(QueryRecords, EveryFlippedBitIsRefused) {
  const std::string blob = encode_query_records(sample_set());
  for (size_t bit = 0; bit < 8 * blob.size(); ++bit) {
    std::string damaged = blob;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_THROW(decode_query_records(damaged), InputError) << "bit " << bit;
  }
}

// A record count of 2^64 - 1 under a valid checksum: its byte size is computed with overflow checks and
// refused before anything is allocated for it.
TEST(QueryRecords, ARecordCountPastTheBlobIsRefusedBeforeAllocating) {
  const std::string blob = encode_query_records(sample_set());
  const size_t count_at = blob.size() - 4 - 2 * kRecordBytes - 8;
  std::string damaged = blob;
  for (int i = 0; i < 8; ++i) {
    damaged[count_at + i] = static_cast<char>(0xff);
  }
  const std::string text = decode_message(resealed(damaged));
  EXPECT_NE(text.find("18446744073709551615 records need more than 2^64 bytes"), std::string::npos) << text;
}

TEST(QueryRecords, HeaderFieldsAreCheckedByName) {
  const std::string blob = encode_query_records(sample_set());
  std::string damaged = blob;
  damaged.replace(damaged.find("\"step\":40"), 9, "\"step\":-4");
  EXPECT_NE(decode_message(resealed(damaged)).find("header field \"step\" is -4"), std::string::npos);
  damaged = blob;
  damaged.replace(damaged.find("\"seq_len\":16"), 12, "\"seq_len\":\"x\"");
  // One byte longer: the header length is off by one, so the JSON no longer parses or the count is off.
  EXPECT_THROW(decode_query_records(resealed(damaged)), InputError);
}

// Blobs stored before version 2 (no trailing checksum) are still read.
TEST(QueryRecords, VersionOneBlobsAreStillRead) {
  std::string blob = encode_query_records(sample_set());
  blob.resize(blob.size() - 4);
  blob[4] = 1;
  const auto set = decode_query_records(blob);
  EXPECT_EQ(set.step, 40);
  ASSERT_EQ(set.records.size(), 2u);
  EXPECT_EQ(set.records[1].prediction, -5);
}

TEST(MqarQueryFacts, FindTheKeyInTheContextAndTheGap) {
  // Context k v k v (2 pairs, 1 pass), then queries at 5 and 7; position 6 is filler.
  const std::vector<int64_t> inputs = {3, 10, 5, 11, 0, 5, 0, 3};
  const std::vector<int64_t> labels = {-100, -100, -100, -100, -100, 11, -100, 10};
  const auto facts = mqar_query_facts(inputs.data(), labels.data(), 8, 2, 1);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].position, 5);
  EXPECT_EQ(facts[0].key, 5);
  EXPECT_EQ(facts[0].target, 11);
  EXPECT_EQ(facts[0].key_position, 2);
  EXPECT_EQ(facts[0].gap, 3);
  EXPECT_EQ(facts[0].kv_index, 1);
  EXPECT_EQ(facts[1].key_position, 0);
  EXPECT_EQ(facts[1].gap, 7);
  EXPECT_EQ(facts[1].kv_index, 0);
}

TEST(MqarQueryFacts, TwoPassesUseTheLatestOccurrenceAndMissingKeysAreMarked) {
  // 1 pair, 2 passes: context 4 tokens "4 9 4 9"; a query of 4 at 5 and of an unseen key 6 at 7.
  const std::vector<int64_t> inputs = {4, 9, 4, 9, 0, 4, 0, 6};
  const std::vector<int64_t> labels = {-100, -100, -100, -100, -100, 9, -100, 12};
  const auto facts = mqar_query_facts(inputs.data(), labels.data(), 8, 1, 2);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].key_position, 2);
  EXPECT_EQ(facts[0].gap, 3);
  EXPECT_EQ(facts[0].kv_index, 0);
  EXPECT_EQ(facts[1].key_position, -1);
  EXPECT_EQ(facts[1].kv_index, -1);
  EXPECT_EQ(facts[1].gap, 0);
}

PatternRecord pattern(int64_t run, int64_t step, int64_t example, int64_t layer, const std::string& kind,
                      int64_t head, int64_t rows, int64_t cols) {
  PatternRecord p{run, step, step / 10, example, layer, head, kind, rows, cols, {}};
  for (int64_t i = 0; i < rows * cols; ++i) {
    p.values.push_back(static_cast<float>(i) * 0.5f + static_cast<float>(layer));
  }
  return p;
}

TEST_F(StoreTest, QueryRecordsAndPatternsAreStoredTruncatedAndDeleted) {
  Store store(db_path());
  const auto run = store.create_run(make_run("r"));
  const std::string blob = encode_query_records(sample_set());
  store.put_query_records({run, 10, 1, "tracked", 2, 0}, blob);
  store.put_query_records({run, 20, 2, "tracked", 2, 0}, blob);
  store.put_query_records({run, 20, 2, "all", 2, 0}, blob);
  store.put_query_records({run, 20, 2, "all", 2, 0}, blob);  // replaces, no duplicate
  const auto sets = store.list_query_records(run);
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[1].subset, "all");
  EXPECT_EQ(sets[1].step, 20);
  EXPECT_EQ(sets[1].bytes, static_cast<int64_t>(blob.size()));
  EXPECT_EQ(*store.query_records(run, 20, "all"), blob);
  EXPECT_FALSE(store.query_records(run, 30, "all").has_value());

  store.put_patterns({pattern(run, 10, 0, 0, "attention", 0, 4, 4),
                      pattern(run, 10, 0, 1, "mixing", -1, 4, 4), pattern(run, 10, 1, 0, "filter", -1, 3, 5),
                      pattern(run, 20, 0, 0, "attention", 0, 4, 4)});
  EXPECT_EQ(store.pattern_steps(run), (std::vector<int64_t>{10, 20}));
  const auto at10 = store.patterns(run, 10);
  ASSERT_EQ(at10.size(), 3u);
  const auto example1 = store.patterns(run, 10, 1);
  ASSERT_EQ(example1.size(), 1u);
  EXPECT_EQ(example1[0].kind, "filter");
  EXPECT_EQ(example1[0].rows, 3);
  EXPECT_EQ(example1[0].values, pattern(run, 10, 1, 0, "filter", -1, 3, 5).values);
  EXPECT_THROW(store.put_patterns({PatternRecord{run, 30, 3, 0, 0, -1, "mixing", 2, 2, {1.0f}}}), StoreError);
  EXPECT_EQ(store.pattern_steps(run), (std::vector<int64_t>{10, 20}));  // the bad batch wrote nothing

  store.truncate_metrics_after(run, 10);  // a resume from step 10 forgets later evaluations
  EXPECT_EQ(store.list_query_records(run).size(), 1u);
  EXPECT_EQ(store.pattern_steps(run), (std::vector<int64_t>{10}));

  store.set_status(run, RunStatus::Finished);
  store.delete_run(run);
  EXPECT_TRUE(store.list_query_records(run).empty());
  EXPECT_TRUE(store.pattern_steps(run).empty());
}

TEST_F(StoreTest, MergeCopiesRecordsAndPatternsWithTheirRun) {
  const std::string source = (m_dir / "a.sqlite").string();
  const std::string blob = encode_query_records(sample_set());
  {
    Store a(source);
    const auto run = a.create_run(make_run("r"));
    a.put_query_records({run, 20, 2, "all", 2, 0}, blob);
    a.put_patterns({pattern(run, 20, 0, 1, "mixing", -1, 4, 4)});
  }
  Store out((m_dir / "out.sqlite").string());
  out.create_run(make_run("other"));  // so the merged run gets another id
  merge_database(out, source);
  const auto merged = out.find_run("r");
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*out.query_records(merged->id, 20, "all"), blob);
  const auto patterns = out.patterns(merged->id, 20);
  ASSERT_EQ(patterns.size(), 1u);
  EXPECT_EQ(patterns[0].run_id, merged->id);
  EXPECT_EQ(patterns[0].values, pattern(0, 20, 0, 1, "mixing", -1, 4, 4).values);
}

}  // namespace
}  // namespace zoolab::store_test
