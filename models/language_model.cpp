#include "models/language_model.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "kernels/counter_dropout.h"
#include "kernels/layer_norm_rows.h"
#include "models/mamba_block.h"
#include "models/mixers/linear_rows.h"
#include "models/registry.h"

namespace zoolab {

namespace {

// The LayerNorm modules hold the parameters under Zoology's names; the rows kernel applies them
// (kernels/layer_norm_rows.h: several times ATen's speed on d_model = 64 rows).
torch::Tensor normed(const torch::nn::LayerNorm& norm, const torch::Tensor& x) {
  return kernels::layer_norm_rows(x, norm->weight, norm->bias, norm->options.eps());
}

}  // namespace

TokenEmbeddingsImpl::TokenEmbeddingsImpl(int64_t vocab_size, int64_t d_model,
                                         int64_t max_position_embeddings) {
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(vocab_size, d_model));
  if (max_position_embeddings > 0) {
    position_embeddings =
        register_module("position_embeddings", torch::nn::Embedding(max_position_embeddings, d_model));
  }
}

torch::Tensor TokenEmbeddingsImpl::forward(const torch::Tensor& input_ids) {
  auto embeddings = word_embeddings(input_ids);  // (B, L, D)
  if (position_embeddings) {
    const int64_t seq_len = input_ids.size(1);
    const int64_t max_positions = position_embeddings->weight.size(0);
    if (seq_len > max_positions) {
      throw std::invalid_argument("embeddings: sequence of length " + std::to_string(seq_len) +
                                  " exceeds max_position_embeddings " + std::to_string(max_positions));
    }
    // (L, D), broadcast over the batch.
    embeddings = embeddings + position_embeddings->weight.narrow(0, 0, seq_len);
  }
  return embeddings;
}

TransformerBlockImpl::TransformerBlockImpl(const LanguageModelOptions& options, int64_t layer_idx) {
  const MixerContext context{options.d_model, layer_idx, options.n_layers, options.l_max};
  sequence_mixer = register_module(
      "sequence_mixer", build_mixer(MixerKind::Sequence, options.sequence_mixer,
                                    options.sequence_mixer_kwargs, context, "model.sequence_mixer.kwargs"));
  state_mixer = register_module(
      "state_mixer", build_mixer(MixerKind::State, options.state_mixer, options.state_mixer_kwargs, context,
                                 "model.state_mixer.kwargs"));
  // Layer 0's first dropout acts on the embeddings (docs/reference.md#backbone).
  dropout1 = register_module(
      "dropout1", torch::nn::Dropout(layer_idx == 0 ? options.embed_dropout : options.resid_dropout));
  dropout2 = register_module("dropout2", torch::nn::Dropout(options.resid_dropout));
  // Zoology builds the block norms with PyTorch's default eps (1e-5); only ln_f takes the config's.
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model})));
}

std::pair<torch::Tensor, torch::Tensor> TransformerBlockImpl::forward(const torch::Tensor& hidden,
                                                                      const torch::Tensor& residual) {
  // The modules hold p; the counter-hash dropout (kernels/counter_dropout.h) applies it without a mask
  // tensor.
  auto dropped = kernels::fast_dropout(hidden, dropout1->options.p(), dropout1->is_training());
  auto stream = residual.defined() ? dropped + residual : dropped;  // (B, L, D)
  auto mixed = sequence_mixer->forward(mixer_input(normed(norm1, stream)));
  stream = kernels::fast_dropout(mixed, dropout2->options.p(), dropout2->is_training()) + stream;
  return {state_mixer->forward(normed(norm2, stream)), stream};
}

std::pair<torch::Tensor, torch::Tensor> TransformerBlockImpl::forward_at(const torch::Tensor& hidden,
                                                                         const torch::Tensor& residual,
                                                                         const torch::Tensor& positions) {
  // dropout2's mask runs over the whole (B, L, D) output: the rows alone would draw another.
  if (dropout2->is_training() && dropout2->options.p() > 0.0) {
    return BlockImpl::forward_at(hidden, residual, positions);
  }
  auto dropped = kernels::fast_dropout(hidden, dropout1->options.p(), dropout1->is_training());
  auto stream =
      residual.defined() ? dropped + residual : dropped;  // (B, L, D): the mixer reads every position
  auto mixed = sequence_mixer->forward_at(mixer_input(normed(norm1, stream)), positions);  // (N, D)
  auto rows = mixed + stream.reshape({-1, stream.size(-1)}).index_select(0, positions);    // (N, D)
  // The state mixer acts on each position alone (models/mixer.h): the rows as one (1, N, D) sequence.
  return {state_mixer->forward(normed(norm2, rows).unsqueeze(0)).squeeze(0), rows};
}

LMBackboneImpl::LMBackboneImpl(const LanguageModelOptions& options) {
  embeddings = register_module(
      "embeddings", TokenEmbeddings(options.vocab_size, options.d_model, options.max_position_embeddings));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.n_layers; ++i) {
    if (options.block_type == "mamba" || options.block_type == "mamba2") {
      layers->push_back(MambaBlock(options, i));
    } else {
      layers->push_back(TransformerBlock(options, i));
    }
  }
  drop_f = register_module("drop_f", torch::nn::Dropout(options.resid_dropout));
  ln_f = register_module(
      "ln_f",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model}).eps(options.layer_norm_epsilon)));
}

torch::Tensor LMBackboneImpl::forward(const torch::Tensor& input_ids) {
  return run(input_ids, torch::Tensor());  // (B, L, D)
}

torch::Tensor LMBackboneImpl::forward_at(const torch::Tensor& input_ids, const torch::Tensor& positions) {
  // drop_f's mask runs over the whole (B, L, D) stream: the rows alone would draw another.
  if (drop_f->is_training() && drop_f->options.p() > 0.0) {
    const auto stream = run(input_ids, torch::Tensor());                      // (B, L, D)
    return stream.reshape({-1, stream.size(-1)}).index_select(0, positions);  // (N, D)
  }
  return run(input_ids, positions);  // (N, D)
}

torch::Tensor LMBackboneImpl::run(const torch::Tensor& input_ids, const torch::Tensor& positions) {
  auto hidden = embeddings(input_ids);  // (B, L, D)
  torch::Tensor residual;
  const size_t last = layers->size() - 1;
  for (size_t i = 0; i < layers->size(); ++i) {
    auto* block = layers[i]->as<BlockImpl>();
    // The last block only where the stream is read (MQAR's labelled positions): (N, D) from here on.
    std::tie(hidden, residual) = i == last && positions.defined()
                                     ? block->forward_at(hidden, residual, positions)
                                     : block->forward(hidden, residual);
  }
  auto dropped = kernels::fast_dropout(hidden, drop_f->options.p(), drop_f->is_training());
  return residual.defined() ? dropped + residual : dropped;  // before ln_f
}

torch::Tensor LMBackboneImpl::final_norm(const torch::Tensor& residual) {
  return normed(ln_f, residual);
}

LanguageModelImpl::LanguageModelImpl(const LanguageModelOptions& options) : m_options(options) {
  if (options.vocab_size <= 0 || options.d_model <= 0 || options.n_layers <= 0) {
    throw std::invalid_argument("language model: vocab_size, d_model and n_layers must be positive (got " +
                                std::to_string(options.vocab_size) + ", " + std::to_string(options.d_model) +
                                ", " + std::to_string(options.n_layers) + ")");
  }
  if (options.block_type != "transformer" && options.block_type != "mamba" &&
      options.block_type != "mamba2") {
    throw std::invalid_argument("language model: block_type \"" + options.block_type +
                                "\" is not allowed; allowed: transformer, mamba, mamba2");
  }
  backbone = register_module("backbone", LMBackbone(options));
  if (options.block_type == "mamba" || options.block_type == "mamba2") {
    init_mamba_weights(*this, options.n_layers);
  } else {
    init_gpt2_weights(*this, options.n_layers);
  }
}

torch::Tensor LanguageModelImpl::head(const torch::Tensor& residual) {
  // The LM head is tied to the word embeddings (Zoology ties lm_head.weight to them): logits = ln_f(x) Eᵀ.
  // A projection like the mixers' (models/mixers/linear_rows.h): on an AVX-512 CPU each row's logits are
  // its own, whatever rows they are computed with, so row shards give the whole batch's bits.
  return affine(backbone->final_norm(residual), backbone->embeddings->word_embeddings->weight,
                torch::Tensor());
}

torch::Tensor LanguageModelImpl::forward(const torch::Tensor& input_ids) {
  return head(backbone(input_ids));
}

torch::Tensor LanguageModelImpl::residual_at(const torch::Tensor& input_ids, const torch::Tensor& positions) {
  return backbone->forward_at(input_ids, positions);  // (N, D)
}

torch::Tensor LanguageModelImpl::forward_at(const torch::Tensor& input_ids, const torch::Tensor& positions) {
  return head(residual_at(input_ids, positions));  // (N, V)
}

torch::Tensor LanguageModelImpl::hidden_at(const torch::Tensor& input_ids, const torch::Tensor& positions) {
  return backbone->final_norm(residual_at(input_ids, positions));  // (N, D)
}

int64_t LanguageModelImpl::state_size(int64_t seq_len) const {
  int64_t floats = 0;
  for (const auto& layer : *backbone->layers) {
    floats += layer->as<BlockImpl>()->sequence_mixer_module()->state_size(seq_len);
  }
  return 4 * floats;
}

int64_t LanguageModelImpl::num_parameters() const {
  int64_t count = 0;
  for (const auto& p : parameters()) {
    if (p.requires_grad()) {
      count += p.numel();
    }
  }
  return count;
}

torch::Tensor LanguageModelImpl::auxiliary_loss() {
  torch::Tensor total;
  for (const auto& layer : *backbone->layers) {
    auto loss = layer->as<BlockImpl>()->sequence_mixer_module()->auxiliary_loss();
    if (loss.defined()) {
      total = total.defined() ? total + loss : loss;
    }
  }
  return total;
}

bool LanguageModelImpl::row_shardable() const {
  for (const auto& layer : *backbone->layers) {
    if (!layer->as<BlockImpl>()->row_shardable()) {
      return false;
    }
  }
  return true;
}

void LanguageModelImpl::set_capture(bool on) {
  for (const auto& layer : *backbone->layers) {
    layer->as<BlockImpl>()->sequence_mixer_module()->set_capture(on);
  }
}

std::vector<std::map<std::string, torch::Tensor>> LanguageModelImpl::captured() const {
  std::vector<std::map<std::string, torch::Tensor>> patterns;
  for (const auto& layer : *backbone->layers) {
    patterns.push_back(layer->as<BlockImpl>()->sequence_mixer_module()->captured());
  }
  return patterns;
}

void init_gpt2_weights(torch::nn::Module& model, int64_t n_layers) {
  torch::NoGradGuard no_grad;
  constexpr double kStd = 0.02;
  for (const auto& module : model.modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      linear->weight.normal_(0.0, kStd);
      if (linear->bias.defined()) {
        linear->bias.zero_();
      }
    } else if (auto* embedding = module->as<torch::nn::EmbeddingImpl>()) {
      embedding->weight.normal_(0.0, kStd);
    }
  }
  // Residual-path projections scaled by 1/√(2·n_layers) (GPT-2; two norms per block).
  const double scaled = kStd / std::sqrt(2.0 * static_cast<double>(n_layers));
  for (auto& item : model.named_parameters()) {
    const auto& name = item.key();
    auto ends_with = [&name](const std::string& suffix) {
      return name.size() >= suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (ends_with("out_proj.weight") || ends_with("fc2.weight") || ends_with("output_linear.0.weight")) {
      item.value().normal_(0.0, scaled);
    }
  }
}

}  // namespace zoolab
