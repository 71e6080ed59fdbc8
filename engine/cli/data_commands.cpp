// zoolab-cli data mqar: the generated data as JSON lines, so anyone can check it from outside.

#include <fstream>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/data/mqar.h"

namespace zoolab {

void add_data_commands(CLI::App& app, CliState& state) {
  struct DataArgs {
    std::string config_file;
    std::string preset;
    std::string split = "train";
    std::string out;
  };
  auto args = std::make_shared<DataArgs>();
  auto* data = app.add_subcommand("data", "Generate and export task data");
  data->require_subcommand(1);
  auto* mqar = data->add_subcommand("mqar", "Write the MQAR examples of a configuration as JSON lines");
  mqar->add_option("--config", args->config_file, "Run configuration (strict JSON)");
  mqar->add_option("--preset", args->preset, "Built-in preset (see `zoolab-cli presets`)");
  mqar->add_option("--split", args->split, "train or test")->check(CLI::IsMember({"train", "test"}));
  mqar->add_option("--out", args->out, "Output file (.jsonl); '-' for standard output")->required();
  mqar->callback([args, &state]() {
    const auto config = load_config_option(args->config_file, args->preset);
    const auto seeds = segment_seeds(config.data);
    const bool train = args->split == "train";
    const auto& segments = train ? config.data.train : config.data.test;
    const auto& segment_seeds_used = train ? seeds.train : seeds.test;

    std::ofstream file;
    if (args->out != "-") {
      file.open(args->out, std::ios::trunc);
      if (!file) {
        throw std::runtime_error("cannot write " + args->out);
      }
    }
    std::ostream& out = args->out == "-" ? std::cout : file;
    int64_t written = 0;
    for (size_t s = 0; s < segments.size(); ++s) {
      const auto segment = generate_mqar(segments[s], config.data.vocab_size, segment_seeds_used[s]);
      for (int64_t i = 0; i < segment.num_examples; ++i) {
        const auto begin = segment.inputs.begin() + i * segment.seq_len;
        const auto label_begin = segment.labels.begin() + i * segment.seq_len;
        nlohmann::json row = {{"segment", s},
                              {"inputs", std::vector<int64_t>(begin, begin + segment.seq_len)},
                              {"labels", std::vector<int64_t>(label_begin, label_begin + segment.seq_len)}};
        for (const auto& [key, value] : segment.slices) {
          row[key] = value;
        }
        out << row.dump() << '\n';
        ++written;
      }
    }
    out.flush();
    if (!out) {
      throw std::runtime_error("writing " + args->out + " failed (disk full?)");
    }
    if (args->out != "-") {
      std::cerr << "wrote " << written << " examples to " << args->out << "\n";
    }
    state.exit_code = 0;
  });
}

}  // namespace zoolab
