#pragma once

// What the window asks of the training engine in-process: the mixer registry, the presets, and the
// strict validation and enqueueing of a configuration (it never trains here: docs/architecture.md#processes).
// This header is torch-free; only engine_bridge.cpp sees LibTorch, so the Qt files compile without it.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <QString>

#include <nlohmann/json.hpp>

namespace zoolab {

class Store;

// registry_to_json(): every mixer's name, kind, summary and parameter specs (the editor's forms).
nlohmann::json mixerRegistryJson();

// Every built-in preset as (name, config JSON), sorted by name.
std::vector<std::pair<QString, nlohmann::json>> presetConfigs();

// Empty when the configuration would train, else the engine's message, which starts with the JSON path
// ("model.d_model: ..."). Checks what `zoolab-cli train` checks, the model build included. A mixer's
// complaint found only while building the model ("attention: num_heads must divide d_model ...") is
// given the path of the parameter it names ("model.sequence_mixer.kwargs.num_heads"), so the form marks
// that field rather than the mixer.
QString validateConfig(const nlohmann::json& config);

// What a launch of a configuration would build, as training records it (Store::set_model_info).
struct ModelFacts {
  int64_t numParameters = 0;  // trainable, the tied LM head counted once
  int64_t stateBytes = 0;     // the recurrent state at stateLength tokens, in bytes (4 per float)
  int64_t stateLength = 0;    // the sequence length the state is measured at (the longest test sequence)
  // What one epoch trains on: examples and tokens over every training segment (0 for a text run).
  int64_t epochExamples = 0;
  int64_t epochTokens = 0;
  int64_t maxEpochs = 0;
  bool textTask = false;
};

// Validates `config` and builds its model on the CPU, as a launch would. Takes up to seconds for a
// large model: call it off the GUI thread. Throws std::runtime_error with the engine's message.
ModelFacts modelFacts(const nlohmann::json& config);

// Validates and adds a queued run for the worker; returns its id. Throws std::runtime_error with the
// engine's message when the configuration is invalid, and StoreError when the database refuses it.
int64_t enqueueConfig(Store& store, const nlohmann::json& config);

// Enqueues a sweep file ({"name", "base", "grid", "zip"}) as a named sweep, as `zoolab-cli sweep` does:
// every point is validated first (all or nothing) and points already in the sweep are skipped. Returns
// the ids of the runs created. Throws std::runtime_error naming the sweep file's or a point's problem,
// and StoreError when a different sweep of that name exists.
std::vector<int64_t> enqueueSweep(Store& store, const nlohmann::json& spec);

}  // namespace zoolab
