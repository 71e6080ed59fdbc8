// GPT-2's tokenizer files (engine/text/byte_level_bpe.h): the input is encoder.json, a NUL byte, then
// vocab.bpe. A tokenizer that loads encodes and decodes a short text, which uses every table it built.
#include <stdexcept>

#include "engine/text/byte_level_bpe.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = zoolab::fuzz::as_text(data, size);
  const size_t nul = text.find('\0');
  const std::string encoder = zoolab::fuzz::write_scratch_file(text.substr(0, nul), "-encoder.json");
  const std::string merges =
      zoolab::fuzz::write_scratch_file(nul == text.npos ? "" : text.substr(nul + 1), "-vocab.bpe");
  try {
    const auto tokenizer = zoolab::BpeTokenizer::from_gpt2_files(encoder, merges);
    (void)tokenizer.decode(tokenizer.encode("Hello, world! 123 <|endoftext|> \xe2\x82\xac\xff"));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
