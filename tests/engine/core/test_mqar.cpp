// Tests for engine/data/mqar.h and engine/data/dataset_cache.h: the structural invariants of Zoology's
// MQAR generator, the query-gap distribution, seeding and the on-disk cache (its checksum included).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "engine/data/dataset_cache.h"
#include "engine/data/tasks/mqar.h"
#include "engine/formats/crc32c.h"
#include "engine/util/input_error.h"
#include "tests/support/temp_dir.h"

namespace zoolab {
namespace {

namespace fs = std::filesystem;

SegmentConfig segment(int64_t L, int64_t kv, int64_t n, bool random_fill, int64_t passes = 1) {
  SegmentConfig s;
  s.input_seq_len = L;
  s.with("num_kv_pairs", kv);
  s.num_examples = n;
  s.with("power_a", 0.01);
  s.with("random_non_queries", random_fill);
  s.with("num_passes", passes);
  return s;
}

// Checks every invariant of docs/reference.md#mqar-generator on every row of a segment generated without
// random fill.
void expect_mqar_structure(const TokenSegment& seg, const SegmentConfig& c, int64_t V) {
  const int64_t L = c.input_seq_len, kv = c.integer("num_kv_pairs"), C = 2 * kv * c.integer("num_passes");
  ASSERT_EQ(seg.num_examples, c.num_examples);
  ASSERT_EQ(seg.seq_len, L);
  ASSERT_EQ(seg.inputs.size(), static_cast<size_t>(c.num_examples * L));
  ASSERT_EQ(seg.labels.size(), seg.inputs.size());
  for (int64_t n = 0; n < seg.num_examples; ++n) {
    const int64_t* x = seg.inputs.data() + n * L;
    const int64_t* y = seg.labels.data() + n * L;
    std::set<int64_t> keys, values;
    std::map<int64_t, int64_t> value_of;
    for (int64_t j = 0; j < kv; ++j) {
      const int64_t k = x[2 * j], v = x[2 * j + 1];
      ASSERT_GE(k, 1) << "row " << n;
      ASSERT_LT(k, V / 2) << "row " << n;
      ASSERT_GE(v, V / 2) << "row " << n;
      ASSERT_LT(v, V) << "row " << n;
      keys.insert(k);
      values.insert(v);
      value_of[k] = v;
    }
    ASSERT_EQ(keys.size(), static_cast<size_t>(kv)) << "keys not distinct in row " << n;
    ASSERT_EQ(values.size(), static_cast<size_t>(kv)) << "values not distinct in row " << n;
    for (int64_t p = 2 * kv; p < C; ++p)
      ASSERT_EQ(x[p], x[p % (2 * kv)]) << "context pass, row " << n;
    for (int64_t p = 0; p < C; ++p)
      ASSERT_EQ(y[p], kIgnoreLabel);
    std::set<int64_t> queried;
    for (int64_t p = C; p < L; ++p) {
      if (y[p] == kIgnoreLabel) {
        ASSERT_EQ(x[p], 0) << "query-region filler must be 0 without random fill (row " << n << ", pos " << p
                           << ")";
        continue;
      }
      ASSERT_EQ((p - C) % 2, 0) << "queries sit at even offsets";
      ASSERT_TRUE(value_of.count(x[p])) << "a labelled position holds a key";
      ASSERT_EQ(y[p], value_of[x[p]]) << "label is the value paired with the queried key";
      queried.insert(x[p]);
    }
    ASSERT_EQ(queried, keys) << "each key is queried exactly once, row " << n;
  }
}

TEST(Mqar, StructureMatchesZoologyOverManyExamples) {
  const auto c = segment(64, 8, 2000, false);
  const auto seg = generate_mqar(c, 256, 1);
  expect_mqar_structure(seg, c, 256);
  EXPECT_EQ(seg.slices,
            (std::map<std::string, int64_t>{{"num_kv_pairs", 8}, {"input_seq_len", 64}, {"num_passes", 1}}));
}

TEST(Mqar, StructureWithOddVocabAndTwoPasses) {
  const auto c = segment(32, 4, 500, false, 2);
  expect_mqar_structure(generate_mqar(c, 129, 5), c, 129);
}

TEST(Mqar, TightShapeUsesEveryQuerySlot) {
  // 4·kv == L: space == kv, so every even query offset holds a key.
  const auto c = segment(16, 4, 200, false);
  const auto seg = generate_mqar(c, 8192, 2);
  expect_mqar_structure(seg, c, 8192);
  for (int64_t n = 0; n < 200; ++n) {
    for (int64_t p = 8; p < 16; p += 2)
      EXPECT_NE(seg.labels[n * 16 + p], kIgnoreLabel);
  }
}

TEST(Mqar, RandomFillReplacesOnlyZeros) {
  const auto plain_cfg = segment(64, 4, 500, false);
  const auto fill_cfg = segment(64, 4, 500, true);
  const auto plain = generate_mqar(plain_cfg, 512, 42);
  const auto filled = generate_mqar(fill_cfg, 512, 42);
  EXPECT_EQ(plain.labels, filled.labels);
  int64_t zeros = 0, changed = 0;
  for (size_t i = 0; i < plain.inputs.size(); ++i) {
    if (plain.inputs[i] != 0) {
      ASSERT_EQ(filled.inputs[i], plain.inputs[i]) << "a non-zero token was overwritten at " << i;
    } else {
      ++zeros;
      ASSERT_GE(filled.inputs[i], 0);
      ASSERT_LT(filled.inputs[i], 512);
      changed += filled.inputs[i] != 0;
    }
  }
  // Fillers are uniform in [0, 512): about 1/512 of them stay 0.
  EXPECT_GT(changed, zeros * 99 / 100);
}

TEST(Mqar, SameSeedSameDataDifferentSeedDifferentData) {
  const auto c = segment(64, 4, 300, true);
  const auto a = generate_mqar(c, 8192, 7);
  const auto b = generate_mqar(c, 8192, 7);
  const auto d = generate_mqar(c, 8192, 8);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.inputs, d.inputs);
  EXPECT_NE(a.labels, d.labels);
}

TEST(Mqar, FirstQueryGapFollowsThePowerLaw) {
  // The first key of the context gets the first gap drawn; P(gap = g) = p_{g+1} / sum_i p_i with
  // p_i = a·i^(a-1) (docs/reference.md#mqar-generator; about 0.251 for L=64, kv=4, a=0.01).
  const int64_t L = 64, kv = 4, C = 2 * kv, space = (L - C) / 2;
  const int N = 20000;
  const double a = 0.01;
  double total = 0;
  for (int64_t i = 1; i <= space; ++i)
    total += a * std::pow(double(i), a - 1);
  const double p0 = a / total, p1 = a * std::pow(2.0, a - 1) / total;
  ASSERT_NEAR(p0, 0.251, 0.001);  // the port's worked example, as a check on the formula above

  const auto seg = generate_mqar(segment(L, kv, N, false), 8192, 123);
  int64_t gap0 = 0, gap1 = 0;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t* x = seg.inputs.data() + n * L;
    for (int64_t p = C; p < L; p += 2) {
      if (x[p] == x[0]) {
        gap0 += (p - C) / 2 == 0;
        gap1 += (p - C) / 2 == 1;
      }
    }
  }
  // Standard error sqrt(0.25·0.75/20000) ~ 0.003.
  EXPECT_NEAR(gap0 / double(N), p0, 0.015);
  EXPECT_NEAR(gap1 / double(N), p1, 0.012);
}

TEST(Mqar, ImpossibleShapesAreConfigErrors) {
  try {
    generate_mqar(segment(12, 4, 1, false), 8192, 0);
    FAIL() << "4 kv pairs in 12 tokens must be refused";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "segment.num_kv_pairs");
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(generate_mqar(segment(63, 4, 1, false), 8192, 0), ConfigError);
  EXPECT_THROW(generate_mqar(segment(64, 4, 1, false), 64, 0), ConfigError);       // V must exceed L
  EXPECT_NO_THROW(generate_mqar(segment(64, 4, 1, false, 7), 8192, 0));            // 2·4·7 + 8 == 64
  EXPECT_THROW(generate_mqar(segment(64, 4, 1, false, 8), 8192, 0), ConfigError);  // 2·4·8 + 8 > 64
}

TEST(Mqar, SegmentSeedsAreDisjointAndStable) {
  DataConfig data;
  data.seed = 0;
  data.train.assign(3, segment(64, 4, 10, false));
  data.test.assign(4, segment(64, 4, 10, false));
  const auto seeds = segment_seeds(data);
  ASSERT_EQ(seeds.train.size(), 3u);
  ASSERT_EQ(seeds.test.size(), 4u);
  for (uint64_t s : seeds.train)
    EXPECT_LT(s, uint64_t{1} << 31);
  for (uint64_t s : seeds.test) {
    EXPECT_GE(s, uint64_t{1} << 31);
    EXPECT_LT(s, uint64_t{1} << 32);
  }
  std::set<uint64_t> all(seeds.train.begin(), seeds.train.end());
  all.insert(seeds.test.begin(), seeds.test.end());
  EXPECT_EQ(all.size(), 7u);

  const auto again = segment_seeds(data);
  EXPECT_EQ(again.train, seeds.train);
  EXPECT_EQ(again.test, seeds.test);
  // One more train segment leaves every existing seed in place.
  data.train.push_back(segment(128, 8, 10, false));
  const auto more = segment_seeds(data);
  EXPECT_EQ(std::vector<uint64_t>(more.train.begin(), more.train.begin() + 3), seeds.train);
  EXPECT_EQ(more.test, seeds.test);
  data.seed = 1;
  EXPECT_NE(segment_seeds(data).train[0], seeds.train[0]);
}

class DatasetCacheTest : public ::testing::Test {
 protected:
  test_support::TempDir m_temp{"zoolab-cache-test"};
  // Not made yet: load_or_generate makes the cache folder itself.
  const fs::path m_dir = m_temp.path() / "cache";
};

TEST_F(DatasetCacheTest, KeyIsCanonicalAndCoversEveryField) {
  const auto c = segment(64, 4, 100, false);
  EXPECT_EQ(dataset_cache_key(c, 8192, 3),
            "{\"generator\":\"mqar\",\"generator_version\":1,\"input_seq_len\":64,\"num_examples\":100,"
            "\"num_kv_pairs\":4,\"num_passes\":1,\"power_a\":0.01,\"random_non_queries\":false,\"seed\":3,"
            "\"vocab_size\":8192}");
  const std::string base = dataset_cache_path("d", c, 8192, 3);
  EXPECT_NE(base, dataset_cache_path("d", c, 8192, 4));
  EXPECT_NE(base, dataset_cache_path("d", c, 8190, 3));
  EXPECT_NE(base, dataset_cache_path("d", segment(64, 4, 100, true), 8192, 3));
  EXPECT_NE(base, dataset_cache_path("d", segment(64, 4, 101, false), 8192, 3));
  EXPECT_EQ(fs::path(base).filename().string().size(), std::string("mqar-0123456789abcdef.zlds").size());
  // FNV-1a 64 published values: "" -> offset basis, "a" -> 0xaf63dc4c8601ec8c.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST_F(DatasetCacheTest, RoundTripsAndReadsFromTheCache) {
  const auto c = segment(64, 4, 300, true);
  const auto fresh = generate_mqar(c, 8192, 9);
  const auto first = load_or_generate(c, 8192, 9, m_dir.string());
  const std::string path = dataset_cache_path(m_dir.string(), c, 8192, 9);
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(first.inputs, fresh.inputs);
  EXPECT_EQ(first.labels, fresh.labels);
  TokenSegment read;
  ASSERT_TRUE(read_dataset_file(path, &read));
  EXPECT_EQ(read.inputs, fresh.inputs);
  EXPECT_EQ(read.labels, fresh.labels);
  EXPECT_EQ(read.slices, fresh.slices);
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()), 1);

  // A valid file is used as is: plant a recognisable segment under the same name.
  TokenSegment planted = fresh;
  planted.inputs[0] = 4321;
  write_dataset_file(path, planted);
  EXPECT_EQ(load_or_generate(c, 8192, 9, m_dir.string()).inputs[0], 4321);
}

TEST_F(DatasetCacheTest, CorruptOrForeignFilesAreRegenerated) {
  const auto c = segment(64, 4, 200, false);
  const auto fresh = generate_mqar(c, 8192, 4);
  const std::string path = dataset_cache_path(m_dir.string(), c, 8192, 4);
  load_or_generate(c, 8192, 4, m_dir.string());
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(good.substr(0, 4), "ZLDS");

  auto corrupt_and_reload = [&](const std::string& bytes, const char* what) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << bytes;
    }
    TokenSegment ignored;
    EXPECT_FALSE(read_dataset_file(path, &ignored)) << what;
    const auto seg = load_or_generate(c, 8192, 4, m_dir.string());
    EXPECT_EQ(seg.inputs, fresh.inputs) << what;
    EXPECT_EQ(seg.labels, fresh.labels) << what;
    TokenSegment reread;
    EXPECT_TRUE(read_dataset_file(path, &reread)) << what << ": the file was not rewritten";
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  corrupt_and_reload(flipped, "a flipped data bit");
  corrupt_and_reload(good.substr(0, good.size() - 100), "a truncated file");
  std::string version = good;
  version[4] = 3;
  corrupt_and_reload(version, "another format version");
  version[4] = 1;
  corrupt_and_reload(version, "version 1 (FNV-1a 64 checksum): regenerated silently");
  std::string magic = good;
  magic[0] = 'X';
  corrupt_and_reload(magic, "a wrong magic");
  corrupt_and_reload("", "an empty file");
  std::string huge = good;
  for (int i = 8; i < 24; ++i)
    huge[i] = '\xff';  // absurd N and L must not overflow or allocate
  corrupt_and_reload(huge, "an absurd header");
}

TEST_F(DatasetCacheTest, EveryFlippedBitIsRefused) {
  TokenSegment segment;
  segment.num_examples = 2;
  segment.seq_len = 3;
  segment.inputs = {1, 2, 3, 4, 5, 6};
  segment.labels = {-100, 2, -100, 7, -100, 9};
  segment.slices = {{"num_kv_pairs", 1}};
  const std::string path = (m_dir / "tiny.zlds").string();
  write_dataset_file(path, segment);
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto back = decode_dataset_file(good, path);
  EXPECT_EQ(back.labels, segment.labels);
  EXPECT_EQ(back.slices, segment.slices);
  for (size_t bit = 0; bit < 8 * good.size(); ++bit) {
    std::string damaged = good;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_THROW(decode_dataset_file(damaged, path), InputError) << "bit " << bit;
  }
  // N = L = 2^32 under a valid checksum: N · L · 8 overflows; refused by the checked product.
  std::string huge = good;
  for (int i = 8; i < 24; ++i)
    huge[i] = (i == 12 || i == 20) ? 1 : 0;
  huge.resize(huge.size() - 4);
  const uint32_t crc = crc32c(huge);
  for (int i = 0; i < 4; ++i)
    huge.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  try {
    decode_dataset_file(huge, path);
    ADD_FAILURE() << "accepted 2^32 examples of 2^32 tokens";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("4294967296 examples of 4294967296 tokens do not fit"),
              std::string::npos)
        << error.what();
  }
}

TEST_F(DatasetCacheTest, EmptyCacheDirDisablesCaching) {
  const auto c = segment(64, 4, 50, false);
  const auto seg = load_or_generate(c, 8192, 1, "");
  EXPECT_EQ(seg.inputs, generate_mqar(c, 8192, 1).inputs);
  EXPECT_FALSE(fs::exists(m_dir));
}

}  // namespace
}  // namespace zoolab
