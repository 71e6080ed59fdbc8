#pragma once

// The sample corpus (docs/architecture.md#text-pipeline): a few MB of freely licensed English that Debian
// packages ship, so the text pipeline can be tried and tested without downloading the Pile:
//   Bible-KJV  the King James Bible (public domain), one document per book, from the `bible` program of
//              package bible-kjv (its text is package bible-kjv-text's compressed /usr/lib/bible.data);
//   Fortunes   fortune cookies (package fortunes-min, more with package fortunes), N fortunes a document;
//   Licenses   the licence texts of /usr/share/common-licenses (package base-files), one each;
//   Copyrights optionally /usr/share/doc/*/copyright files (they differ from machine to machine).
// Sources are read in that order, each in sorted order, so one machine always writes the same corpus.
// No torch, no Qt.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/text/corpus.h"

namespace zoolab {

struct SampleCorpusOptions {
  std::string bible_program = "bible";  // searched on PATH unless it contains '/'
  std::string fortunes_dir = "/usr/share/games/fortunes";
  std::string licenses_dir = "/usr/share/common-licenses";
  std::string doc_dir = "/usr/share/doc";
  int64_t copyright_bytes = 0;  // take /usr/share/doc/*/copyright files up to this many bytes (0: none)
  int64_t fortunes_per_document = 20;
  int64_t max_bytes_per_source = 0;  // stop each source after about this many bytes (0: all); for tiny slices
  int64_t min_bytes = 1000000;       // fewer bytes of text in all is an error naming the packages to install
};

struct SampleSource {
  std::string name;    // the documents' set name ("Bible-KJV")
  std::string origin;  // where it came from, or why nothing did
  int64_t documents = 0;
  int64_t bytes = 0;
};

struct SampleCorpusReport {
  std::vector<SampleSource> sources;
  int64_t documents = 0;
  int64_t bytes = 0;
  std::vector<std::string> skipped;  // files left out (not UTF-8, unreadable), each with the reason
};

// The packages that provide the sample corpus (what packaging/sample-corpus.sh installs).
const std::vector<std::string>& sample_corpus_packages();

// Adds the sample corpus's documents to `writer` (the caller finishes it). Throws std::runtime_error
// naming the packages to install when less than options.min_bytes of text is found.
SampleCorpusReport write_sample_corpus(CorpusWriter& writer, const SampleCorpusOptions& options = {});

// Splits `bible -f` output (one verse a line, "Ge1:1 In the beginning ...") into one document per book:
// "Genesis\n\n1:1 In the beginning ...\n1:2 ...". Exposed for tests. Throws on a line it cannot read.
std::vector<std::pair<std::string, std::string>> split_bible_books(const std::string& verses);

// Splits a fortune file ("text\n%\ntext\n%\n...") into its fortunes. Exposed for tests.
std::vector<std::string> split_fortunes(const std::string& file_text);

}  // namespace zoolab
