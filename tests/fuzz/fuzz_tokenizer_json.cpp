// A Hugging Face tokenizer.json (engine/text/byte_level_bpe.h). A tokenizer that loads encodes and decodes
// a short text, which uses every table it built.
#include <stdexcept>

#include "engine/text/byte_level_bpe.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = zoolab::fuzz::write_scratch_file(zoolab::fuzz::as_text(data, size), ".json");
  try {
    const auto tokenizer = zoolab::BpeTokenizer::from_tokenizer_json(path);
    (void)tokenizer.decode(tokenizer.encode("Hello, world! 123 <|endoftext|> \xe2\x82\xac\xff"));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
