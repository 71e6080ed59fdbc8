// Corpus lines (engine/text/corpus.h): the input is a Pile-format .jsonl file, or a .jsonl.zst one when
// it starts with zstd's magic number; every document is read, bad lines skipped.
#include <cstring>
#include <stdexcept>

#include "engine/text/corpus.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool zstd = size >= 4 && std::memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0;
  const std::string path =
      zoolab::fuzz::write_scratch_file(zoolab::fuzz::as_text(data, size), zstd ? ".jsonl.zst" : ".jsonl");
  try {
    zoolab::CorpusReader reader({{path, ""}}, zoolab::OnBadInput::Skip);
    zoolab::CorpusDocument document;
    while (reader.next(document)) {
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
