#pragma once

// Zoology's MambaBlock (docs/reference.md#backbone; zoology/mixers/mamba.py), the block of
// model.block_type "mamba", and its Mamba2Block (zoology/mixers/mamba2.py), the block of "mamba2": the
// same block (add, RMSNorm with eps 1e-5, mixer; Mamba2Block's unfused path), so one class serves both:
//   residual = hidden + residual          (residual undefined in layer 0: residual = hidden)
//   hidden   = mixer(RMSNorm(residual))
// No state mixer, no dropout (embedding dropout included), RMSNorm eps 1e-5. Zoology fuses the add
// and the norm in a Triton kernel with the residual kept in fp32; the math is the same here (fp32
// throughout). State-dict names are Zoology's: "mixer.*" and "norm.weight".

#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "models/block.h"
#include "models/language_model.h"
#include "models/rms_norm.h"

namespace zoolab {

class MambaBlockImpl : public BlockImpl {
 public:
  // Builds the configured sequence mixer (Zoology's MambaBlock always builds Mamba, its Mamba2Block
  // Mamba2; every Zoology config pairs them with "mamba" and "mamba2"). The state mixer must be
  // "identity": the block has none.
  MambaBlockImpl(const LanguageModelOptions& options, int64_t layer_idx);
  // hidden, residual: (B, L, D); residual is undefined in layer 0. Returns {hidden, residual}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& hidden,
                                                  const torch::Tensor& residual) override;
  MixerPtr sequence_mixer_module() const override { return mixer; }
  // No dropout of its own: it shards when its mixer does.
  bool row_shardable() const override {
    return !capturing_mixer_input() && !mixer->capture_on() && mixer->row_shardable();
  }

  MixerPtr mixer;
  RMSNorm norm{nullptr};
};
TORCH_MODULE(MambaBlock);

// Zoology's _init_weights for block types containing "Mamba" (MambaBlock and Mamba2Block; HEAD;
// docs/reference.md#initialisation): Linear weights keep their own (PyTorch default or mixer-specific)
// initialisation; Linear biases are zeroed except dt_proj's (Zoology marks it _no_reinit); embeddings ~ N(0,
// 0.02); every out_proj.weight and fc2.weight is re-drawn kaiming_uniform(a=√5), i.e. U(±1/√fan_in), and
// divided by √n_layers.
void init_mamba_weights(torch::nn::Module& model, int64_t n_layers);

}  // namespace zoolab
