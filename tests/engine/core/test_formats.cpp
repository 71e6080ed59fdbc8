// The torch-free parts of zoolab's binary formats (engine/formats): CRC-32C against published check
// values and its table against the hardware instruction, the checkpoint framing (every flipped bit, a
// header length of 3 GB, header fields out of range, version 1 still read) and safetensors headers
// (shape products that overflow, offsets outside the file, overlaps), and the header field readers.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "engine/formats/checkpoint_format.h"
#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
#include "engine/formats/safetensors_header.h"
#include "engine/util/input_error.h"

namespace zoolab {
namespace {

template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------------------
// CRC-32C

TEST(Crc32c, PublishedCheckValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the catalogue's check value for CRC-32/ISCSI
  EXPECT_EQ(crc32c(""), 0u);
  // RFC 3720 (iSCSI), appendix B.4.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, TableAgreesWithTheDispatchedVersionAtEveryLengthAndAlignment) {
  std::mt19937 random(5);
  std::string data(1 << 16, '\0');
  for (auto& c : data) {
    c = static_cast<char>(random());
  }
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t size = 0; size < 100; ++size) {
      EXPECT_EQ(detail::crc32c_extend_portable(0, data.data() + offset, size),
                crc32c(data.data() + offset, size))
          << offset << " " << size;
    }
  }
  EXPECT_EQ(detail::crc32c_extend_portable(0, data.data(), data.size()), crc32c(data));
  std::cout << "[          ] CRC-32C in hardware: " << (detail::crc32c_hardware() ? "yes" : "no") << "\n";
}

TEST(Crc32c, ExtendContinuesACrc) {
  const std::string a = "the first part, ", b = "and the second part of the text";
  EXPECT_EQ(crc32c_extend(crc32c(a), b.data(), b.size()), crc32c(a + b));
  EXPECT_EQ(crc32c_extend(0, b.data(), b.size()), crc32c(b));
  EXPECT_EQ(detail::crc32c_extend_portable(crc32c(a), b.data(), b.size()), crc32c(a + b));
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoint framing

CheckpointHeader sample_header() {
  CheckpointHeader header;
  header.position = {7, 1, 3, 11, "0123456789abcdef", "00112233445566778899aabbccddeeff"};
  header.torch_version = "2.5.1";
  return header;
}

std::string checkpoint_bytes(const CheckpointHeader& header, const std::string& payload) {
  const std::string head = encode_checkpoint_head(header);
  return head + payload + encode_checkpoint_trailer(head, payload);
}

void put_u64(std::string& bytes, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

// The file with its trailing CRC-32C recomputed over the rest.
std::string resealed(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  const uint32_t crc = crc32c(bytes);
  for (int i = 0; i < 4; ++i) {
    bytes.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  }
  return bytes;
}

// The file with `json` as its header (and the checksum recomputed): a writer with a bug, or a person.
std::string with_header(const std::string& bytes, const std::string& json) {
  const std::string good_head = encode_checkpoint_head(sample_header());
  std::string out = bytes.substr(0, 20) + json + bytes.substr(good_head.size());
  put_u64(out, 12, json.size());
  return resealed(out);
}

const std::string kPayload = "a torch archive would be here; the framing does not look inside it";

TEST(CheckpointFormat, RoundTripsTheHeaderAndFindsThePayload) {
  const std::string bytes = checkpoint_bytes(sample_header(), kPayload);
  EXPECT_EQ(bytes.substr(0, 8), std::string("ZLCKPT\0\0", 8));
  const auto parsed = parse_checkpoint(bytes, "c.zlck");
  EXPECT_EQ(parsed.version, 2u);
  EXPECT_TRUE(parsed.checksummed);
  const auto& p = parsed.header.position;
  EXPECT_EQ(p.run_id, 7);
  EXPECT_EQ(p.epoch, 1);
  EXPECT_EQ(p.batch, 3);
  EXPECT_EQ(p.step, 11);
  EXPECT_EQ(p.config_hash, "0123456789abcdef");
  EXPECT_EQ(p.run_uid, "00112233445566778899aabbccddeeff");
  EXPECT_EQ(parsed.header.torch_version, "2.5.1");
  EXPECT_EQ(bytes.substr(parsed.payload_offset, parsed.payload_size), kPayload);
  EXPECT_EQ(parsed.payload_offset + parsed.payload_size + 4, bytes.size());
}

TEST(CheckpointFormat, EveryFlippedBitIsRefused) {
  const std::string bytes = checkpoint_bytes(sample_header(), kPayload);
  for (size_t bit = 0; bit < 8 * bytes.size(); ++bit) {
    std::string damaged = bytes;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_THROW(parse_checkpoint(damaged, "c.zlck"), CheckpointError) << "bit " << bit;
  }
  const std::string message = error_of([&] {
    std::string damaged = bytes;
    damaged[bytes.size() - 10] ^= 4;  // in the payload
    parse_checkpoint(damaged, "runs/3/c.zlck");
  });
  EXPECT_TRUE(contains(message, "checkpoint runs/3/c.zlck: checksum mismatch")) << message;
}

TEST(CheckpointFormat, AHugeHeaderLengthIsRefusedBeforeAnythingIsAllocated) {
  std::string bytes = checkpoint_bytes(sample_header(), kPayload);
  put_u64(bytes, 12, 3'000'000'000);
  const std::string message = error_of([&] { parse_checkpoint(resealed(bytes), "c.zlck"); });
  EXPECT_TRUE(contains(message, "header length 3000000000 is past the limit of 1048576 bytes")) << message;
  // Within the file but past the 1 MiB bound: a 3 MiB payload under a header length of 2 MiB.
  std::string large = checkpoint_bytes(sample_header(), std::string(3 << 20, 'p'));
  put_u64(large, 12, 2 << 20);
  EXPECT_TRUE(contains(error_of([&] { parse_checkpoint(resealed(large), "c.zlck"); }),
                       "header length 2097152 is past the limit of 1048576 bytes"));
  // Within the limit but past the end of the file.
  put_u64(bytes, 12, 5000);
  EXPECT_TRUE(
      contains(error_of([&] { parse_checkpoint(resealed(bytes), "c.zlck"); }), "past the end of the file"));
}

TEST(CheckpointFormat, HeaderFieldsAreCheckedByName) {
  const std::string bytes = checkpoint_bytes(sample_header(), kPayload);
  const auto refused = [&](const std::string& json, const std::string& expected) {
    const std::string message = error_of([&] { parse_checkpoint(with_header(bytes, json), "c.zlck"); });
    EXPECT_TRUE(contains(message, "checkpoint c.zlck: ")) << message;
    EXPECT_TRUE(contains(message, expected)) << message;
  };
  refused(R"({"run_id":7,"epoch":1,"batch":-3,"step":11,"config_hash":"0123456789abcdef"})",
          "header field \"batch\" is -3, outside the allowed range 0 to");
  refused(R"({"run_id":0,"epoch":1,"batch":3,"step":11,"config_hash":"0123456789abcdef"})",
          "header field \"run_id\" is 0");
  refused(R"({"run_id":7,"epoch":1,"batch":3,"config_hash":"0123456789abcdef"})",
          "header field \"step\" is missing");
  refused(R"({"run_id":7,"epoch":"1","batch":3,"step":11,"config_hash":"0123456789abcdef"})",
          "header field \"epoch\" is \"1\", not an integer");
  refused(R"({"run_id":7,"epoch":1,"batch":3,"step":11,"config_hash":"\u001b[2J"})",
          "header field \"config_hash\" is \"\\x1b[2J\"");
  refused(R"({"run_id":7,"epoch":1,"batch":3,"step":11,"config_hash":"0123456789abcdef","run_uid":"XYZ"})",
          "header field \"run_uid\" is \"XYZ\"");
  refused(R"({"run_id":7,"run_id":8,"epoch":1,"batch":3,"step":11,"config_hash":"0123456789abcdef"})",
          "duplicate key \"run_id\"");
  refused(R"([1,2])", "the header is not a JSON object");
  refused(std::string(70, '['), "nested deeper than 64 levels");
}

TEST(CheckpointFormat, VersionOneIsReadWithoutAChecksumAndOthersAreRefused) {
  const std::string v2 = checkpoint_bytes(sample_header(), kPayload);
  std::string v1 = v2.substr(0, v2.size() - 4);
  v1[8] = 1;
  const auto parsed = parse_checkpoint(v1, "old.zlck");
  EXPECT_EQ(parsed.version, 1u);
  EXPECT_FALSE(parsed.checksummed);
  EXPECT_EQ(parsed.header.position.step, 11);
  EXPECT_EQ(v1.substr(parsed.payload_offset, parsed.payload_size), kPayload);
  // Its header is checked as strictly: a length of 3 GB in a small file allocates nothing.
  put_u64(v1, 12, 3'000'000'000);
  EXPECT_TRUE(contains(error_of([&] { parse_checkpoint(v1, "old.zlck"); }), "past the limit"));

  std::string v3 = v2;
  v3[8] = 3;
  EXPECT_TRUE(contains(error_of([&] { parse_checkpoint(v3, "c.zlck"); }), "format version 3 is not one"));
  EXPECT_TRUE(
      contains(error_of([&] { parse_checkpoint("not a checkpoint at all", "c.zlck"); }), "bad magic"));
  EXPECT_TRUE(contains(error_of([&] { parse_checkpoint(v2.substr(0, 10), "c.zlck"); }), "truncated"));
  EXPECT_TRUE(contains(error_of([&] { parse_checkpoint("", "c.zlck"); }), "truncated"));
}

TEST(CheckpointFormat, ReadingAMissingFileNamesIt) {
  const std::string message = error_of([] { read_checkpoint_file("/nonexistent/zoolab/c.zlck"); });
  EXPECT_TRUE(contains(message, "checkpoint /nonexistent/zoolab/c.zlck: cannot open")) << message;
}

// ---------------------------------------------------------------------------------------------------------
// safetensors headers

std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  put_u64(out, 0, header.size());
  return out + header + data;
}

TEST(SafetensorsHeader, AGoodHeaderListsEntriesInFileOrder) {
  const std::string header =
      R"({"b":{"dtype":"I64","shape":[2,1],"data_offsets":[8,24]},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}})";
  const auto layout = parse_safetensors(safetensors_bytes(header, std::string(24, '\0')), "w.safetensors");
  ASSERT_EQ(layout.entries.size(), 2u);
  EXPECT_EQ(layout.entries[0].name, "a");
  EXPECT_EQ(layout.entries[0].numel, 2);
  EXPECT_EQ(layout.entries[1].name, "b");
  EXPECT_EQ(layout.entries[1].shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(layout.entries[1].element_size, 8);
  EXPECT_EQ(layout.metadata.at("k"), "v");
  EXPECT_EQ(layout.data_offset, 8 + header.size());
}

// Shapes whose element count or byte size wraps around in 64-bit arithmetic onto the span of their
// offsets (0 or 16 bytes): each used to pass the size check and reach torch::empty.
TEST(SafetensorsHeader, ShapeProductsThatOverflowAreRefused) {
  const struct {
    const char* dtype;
    const char* shape;
    uint64_t span;
  } cases[] = {
      {"F32", "[4294967296,4294967296]", 0},   // 2^64 elements
      {"F32", "[4611686018427387904,4]", 0},   // 2^64 elements
      {"U8", "[2305843009213693952,8]", 0},    // 2^64 elements of 1 byte
      {"I8", "[4611686018427387904,2,2]", 0},  // 2^64 elements, five-way products included below
      {"F64", "[3,6148914691236517206]", 16},  // 8 · 3 · (2^64 + 2) / 3 bytes: 16 mod 2^64
      {"F32", "[2,2,2,2,1152921504606846976]", 0},
  };
  for (const auto& c : cases) {
    const std::string header = std::string(R"({"w":{"dtype":")") + c.dtype + R"(","shape":)" + c.shape +
                               R"(,"data_offsets":[0,)" + std::to_string(c.span) + "]}}";
    const std::string message =
        error_of([&] { parse_safetensors(safetensors_bytes(header, std::string(c.span, '\0')), "w.st"); });
    EXPECT_TRUE(contains(message, "safetensors file w.st: shape ")) << c.shape << ": " << message;
    EXPECT_TRUE(contains(message, "has more elements than 2^63 bytes can hold"))
        << c.shape << ": " << message;
  }
}

TEST(SafetensorsHeader, OffsetsOutsideTheFileOrOverlappingAreRefused) {
  const std::string eight(8, '\0');
  EXPECT_TRUE(contains(
      error_of([&] {
        parse_safetensors(
            safetensors_bytes(R"({"w":{"dtype":"U8","shape":[8],"data_offsets":[18446744073709551608,0]}})",
                              eight),
            "w.st");
      }),
      "end before they begin"));
  EXPECT_TRUE(contains(
      error_of([&] {
        parse_safetensors(safetensors_bytes(R"({"w":{"dtype":"U8","shape":[8],)"
                                            R"("data_offsets":[18446744073709551600,18446744073709551608]}})",
                                            eight),
                          "w.st");
      }),
      "out of range of the 8-byte data buffer"));
  EXPECT_TRUE(contains(error_of([&] {
                         parse_safetensors(
                             safetensors_bytes(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                                               R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                                               eight),
                             "w.st");
                       }),
                       "overlaps"));
  EXPECT_TRUE(contains(error_of([&] {
                         parse_safetensors(
                             safetensors_bytes(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                               R"("a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
                                               eight),
                             "w.st");
                       }),
                       "duplicate key \"a\""));
  std::string past(8, '\0');
  put_u64(past, 0, uint64_t{1} << 62);
  EXPECT_TRUE(
      contains(error_of([&] { parse_safetensors(past + "{}", "w.st"); }), "runs past the end of the file"));
}

TEST(SafetensorsHeader, NamesAndDtypesAreEscapedInMessages) {
  const std::string message = error_of([] {
    parse_safetensors(
        safetensors_bytes(R"({"\u001b[31mw":{"dtype":"Q\u0007","shape":[1],"data_offsets":[0,1]}})", "x"),
        "w.st");
  });
  EXPECT_TRUE(contains(message, "unknown dtype \"Q\\x07\" of tensor \"\\x1b[31mw\"")) << message;
  EXPECT_FALSE(contains(message, "\x1b")) << message;
}

// ---------------------------------------------------------------------------------------------------------
// Header fields

TEST(HeaderFields, IntegersInRangeAndStringsOfBoundedLength) {
  const auto header =
      nlohmann::json::parse(R"({"n":5,"big":18446744073709551615,"neg":-1,"f":1.5,"s":"abc","o":{}})");
  EXPECT_EQ(header_int(header, "n", 0, 10, "p: "), 5);
  EXPECT_EQ(header_int(header, "neg", -1, 10, "p: "), -1);
  EXPECT_TRUE(contains(error_of([&] { header_int(header, "n", 6, 10, "p: "); }),
                       "p: header field \"n\" is 5, outside the allowed range 6 to 10"));
  EXPECT_TRUE(contains(error_of([&] { header_int(header, "big", 0, INT64_MAX, "p: "); }),
                       "\"big\" is 18446744073709551615, outside the allowed range"));
  EXPECT_TRUE(
      contains(error_of([&] { header_int(header, "f", 0, 10, "p: "); }), "\"f\" is 1.5, not an integer"));
  EXPECT_TRUE(contains(error_of([&] { header_int(header, "x", 0, 10, "p: "); }), "\"x\" is missing"));
  EXPECT_EQ(header_string(header, "s", 3, "p: "), "abc");
  EXPECT_TRUE(contains(error_of([&] { header_string(header, "s", 2, "p: "); }), "3 bytes long, more than 2"));
  EXPECT_TRUE(contains(error_of([&] { header_string(header, "o", 2, "p: "); }), "\"o\" is {}, not a string"));
}

}  // namespace
}  // namespace zoolab
