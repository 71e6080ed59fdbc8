// The torch-free parts of zoolab's binary formats (engine/formats): CRC-32C against published check
// values and its table against the hardware instruction, and the header field readers.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
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
