#include "engine/util/memory_budget.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace zoolab {
namespace {

// Parses "8G", "512M", "1000000"; nullopt when malformed.
std::optional<uint64_t> parse_byte_count(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) {
    return std::nullopt;
  }
  size_t end = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(text, &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  CheckedSize size(value);
  const std::string suffix = text.substr(end);
  if (suffix == "K" || suffix == "k") {
    size *= uint64_t{1} << 10;
  } else if (suffix == "M" || suffix == "m") {
    size *= uint64_t{1} << 20;
  } else if (suffix == "G" || suffix == "g") {
    size *= uint64_t{1} << 30;
  } else if (suffix == "T" || suffix == "t") {
    size *= uint64_t{1} << 40;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  return size.value();
}

uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) {
    return uint64_t{8} << 30;  // unknown: a conservative 8 GiB
  }
  return (CheckedSize(pages) * page_size).value().value_or(uint64_t{8} << 30);
}

}  // namespace

uint64_t memory_limit_bytes() {
  if (const char* env = std::getenv("ZOOLAB_MEMORY_LIMIT")) {
    if (const auto parsed = parse_byte_count(env)) {
      return *parsed;
    }
  }
  return physical_memory_bytes() / 10 * 8;
}

std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) {
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  }
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 5) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  return text;
}

std::optional<std::string> memory_shortfall(CheckedSize bytes) {
  const uint64_t limit = memory_limit_bytes();
  if (bytes.within(limit)) {
    return std::nullopt;
  }
  const std::string limit_text = "the limit of " + format_bytes(limit) +
                                 (std::getenv("ZOOLAB_MEMORY_LIMIT")
                                      ? " (ZOOLAB_MEMORY_LIMIT)"
                                      : " (80% of this machine's memory; ZOOLAB_MEMORY_LIMIT changes it)");
  if (!bytes.ok()) {
    return "needs more than 2^64 bytes, more than " + limit_text;
  }
  return "needs about " + format_bytes(*bytes.value()) + ", more than " + limit_text;
}

}  // namespace zoolab
