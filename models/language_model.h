#pragma once

// Zoology's language model (docs/reference.md#backbone; zoology/model.py at 0bb9665): token (and
// optional learned position) embeddings, pre-norm blocks that carry the residual stream separately,
// a final LayerNorm and an LM head tied to the word embeddings. Module names match Zoology's state
// dict ("backbone.layers.0.sequence_mixer.Wqkv.weight", ...), so weights exchange by name.

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json.hpp>

#include "models/block.h"
#include "models/mixer.h"

namespace zoolab {

struct LanguageModelOptions {
  int64_t vocab_size = 8192;
  int64_t d_model = 128;
  int64_t n_layers = 2;
  int64_t max_position_embeddings = 64;  // 0: no learned positions
  int64_t l_max = 64;                    // longest sequence the model will see (mixers' default l_max)
  double embed_dropout = 0.1;
  double resid_dropout = 0.0;
  double layer_norm_epsilon = 1e-5;
  // "transformer" (Zoology's TransformerBlock), "mamba" (MambaBlock: add, RMSNorm, mixer; no state
  // mixer, no embedding dropout; docs/reference.md#backbone) or "mamba2" (Zoology's Mamba2Block, the same
  // block). The block type also picks the initialisation.
  std::string block_type = "transformer";
  std::string sequence_mixer = "attention";
  nlohmann::json sequence_mixer_kwargs = nlohmann::json::object();
  std::string state_mixer = "identity";
  nlohmann::json state_mixer_kwargs = nlohmann::json::object();
};

class TokenEmbeddingsImpl : public torch::nn::Module {
 public:
  TokenEmbeddingsImpl(int64_t vocab_size, int64_t d_model, int64_t max_position_embeddings);
  // input_ids: (B, L) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& input_ids);

  torch::nn::Embedding word_embeddings{nullptr};
  torch::nn::Embedding position_embeddings{nullptr};  // null without learned positions
};
TORCH_MODULE(TokenEmbeddings);

// Pre-norm block with the residual stream carried separately (Zoology's TransformerBlock):
//   residual = drop1(hidden) + residual;  hidden = seq_mixer(norm1(residual))
//   residual = drop2(hidden) + residual;  hidden = state_mixer(norm2(residual))
// With the identity state mixer the block returns norm2(residual), which the next block adds to
// the residual stream: the `residual += LN2(residual)` quirk of docs/reference.md#backbone, kept on purpose.
class TransformerBlockImpl : public BlockImpl {
 public:
  TransformerBlockImpl(const LanguageModelOptions& options, int64_t layer_idx);
  // hidden, residual: (B, L, D); residual is undefined in layer 0. Returns {hidden, residual}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& hidden,
                                                  const torch::Tensor& residual) override;
  // The mixer's input at every position, then the sequence mixer's forward_at and the rest of the
  // block on the rows alone (the state mixer acts per position). With dropout2 on, the whole block.
  std::pair<torch::Tensor, torch::Tensor> forward_at(const torch::Tensor& hidden,
                                                     const torch::Tensor& residual,
                                                     const torch::Tensor& positions) override;
  MixerPtr sequence_mixer_module() const override { return sequence_mixer; }
  // Its dropouts are counter-hash dropouts (kernels/counter_dropout.h): it shards when its mixers do.
  bool row_shardable() const override {
    return !capturing_mixer_input() && !sequence_mixer->capture_on() && sequence_mixer->row_shardable() &&
           state_mixer->row_shardable();
  }

  MixerPtr sequence_mixer;
  MixerPtr state_mixer;
  torch::nn::Dropout dropout1{nullptr};
  torch::nn::Dropout dropout2{nullptr};
  torch::nn::LayerNorm norm1{nullptr};
  torch::nn::LayerNorm norm2{nullptr};
};
TORCH_MODULE(TransformerBlock);

class LMBackboneImpl : public torch::nn::Module {
 public:
  explicit LMBackboneImpl(const LanguageModelOptions& options);
  // input_ids: (B, L) -> the residual stream before ln_f: (B, L, D).
  torch::Tensor forward(const torch::Tensor& input_ids);
  // The residual stream before ln_f at `positions` only (flat b·L + i, strictly increasing): (N, D), those
  // rows of forward(input_ids). The last block runs at the rows alone (BlockImpl::forward_at); with drop_f
  // on, the whole backbone runs and the rows are taken after.
  torch::Tensor forward_at(const torch::Tensor& input_ids, const torch::Tensor& positions);
  // ln_f over a residual stream (..., D), by the fused rows kernel as the block norms.
  torch::Tensor final_norm(const torch::Tensor& residual);

  TokenEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};  // BlockImpl each (TransformerBlock or MambaBlock)
  torch::nn::Dropout drop_f{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};

 private:
  // positions undefined: every position, (B, L, D); otherwise those rows, (N, D).
  torch::Tensor run(const torch::Tensor& input_ids, const torch::Tensor& positions);
};
TORCH_MODULE(LMBackbone);

class LanguageModelImpl : public torch::nn::Module {
 public:
  explicit LanguageModelImpl(const LanguageModelOptions& options);

  // input_ids: (B, L) -> logits (B, L, V).
  torch::Tensor forward(const torch::Tensor& input_ids);
  // Logits only at `positions`, flat indices into B·L in increasing order (as Batch::positions are):
  // (N,) -> (N, V). The head, ln_f and the last block after its mixer act per position, so this equals
  // forward(input_ids).view(-1, V)[positions] to rounding at a fraction of the cost (only labelled
  // positions carry loss in MQAR: docs/architecture.md#the-last-block-at-the-labelled-positions).
  torch::Tensor forward_at(const torch::Tensor& input_ids, const torch::Tensor& positions);
  // The final hidden states (after ln_f) at `positions`: (N, D); logits = hidden_at(...) · head_weight()ᵀ.
  torch::Tensor hidden_at(const torch::Tensor& input_ids, const torch::Tensor& positions);
  // The LM head's weight (V, D): the word embeddings, to which the head is tied.
  const torch::Tensor& head_weight() const { return backbone->embeddings->word_embeddings->weight; }

  // Zoology's LanguageModel.state_size: 4 bytes × Σ over layers of the sequence mixer's state_size.
  int64_t state_size(int64_t seq_len) const;
  // Trainable parameters, counted once (the LM head shares the word embeddings).
  int64_t num_parameters() const;
  // Sum of the mixers' auxiliary losses of the last forward; a zero scalar if none.
  torch::Tensor auxiliary_loss();
  // Whether a training step may run the model on row shards of its batch in parallel threads
  // (engine/train/row_shards.h): every block says so (BlockImpl::row_shardable).
  bool row_shardable() const;

  // Turns every sequence mixer's pattern capture on or off (models/mixer.h), and reads what the last
  // forward captured, one map per layer.
  void set_capture(bool on);
  std::vector<std::map<std::string, torch::Tensor>> captured() const;

  const LanguageModelOptions& options() const { return m_options; }

  LMBackbone backbone{nullptr};

 private:
  torch::Tensor head(const torch::Tensor& residual);  // ln_f then the tied head: (..., D) -> (..., V)
  torch::Tensor residual_at(const torch::Tensor& input_ids, const torch::Tensor& positions);  // (N, D)
  LanguageModelOptions m_options;
};
TORCH_MODULE(LanguageModel);

// GPT-2 initialisation as Zoology's _init_weights for transformer blocks (Mamba blocks:
// init_mamba_weights in models/mamba_block.h): every Linear weight ~ N(0, 0.02) with zero bias,
// every Embedding ~ N(0, 0.02), then weights named *out_proj.weight, *fc2.weight or
// *output_linear.0.weight ~ N(0, 0.02/√(2·n_layers)). Convolutions, norms and custom parameters
// keep their own initialisation.
void init_gpt2_weights(torch::nn::Module& model, int64_t n_layers);

}  // namespace zoolab
