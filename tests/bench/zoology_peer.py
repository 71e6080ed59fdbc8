"""Training speed of the real Zoology code on one zoolab MQAR configuration: the side-by-side peer of
`zoolab-cli bench` (tests/bench/compare_with_pytorch.sh runs it for every fig2-* preset).

It contains no Zoology code: it imports Zoology from a source checkout at run time, builds
zoology.model.LanguageModel from a Zoology ModelConfig that names the mixer class of the zoolab config
with the same kwargs, makes MQAR batches with zoology.data.associative_recall.multiquery_ar, and times
Zoology's training step (zoology/train.py: logits at every position, cross-entropy with ignore index -100
plus the mixers' auxiliary losses, backward, AdamW step, loss.item()).

  python3 zoology_peer.py --config CONFIG.json [--zoology-src DIR] [--steps 5] [--warmup 1] [--threads 2]

CONFIG.json: a zoolab run configuration (one element's "config" of `zoolab-cli presets --json`, or a
config file). The Zoology source: --zoology-src, else $ZOOLOGY_SRC. einops: importable, else
$EINOPS_SRC. tests/bench/zoology_shims/ (put on the path here) stands in for wandb and opt_einsum and maps
the pydantic-2 names Zoology uses onto pydantic 1.10.

The last line printed is JSON: {"train_examples_per_s": ..., ...}; for a mixer without a CPU peer
(RWKV's WKV is a CUDA extension compiled at import; Mamba imports triton and CUDA kernels) it is
{"train_examples_per_s": null, "reason": "n/a (no CPU peer): ..."} and the exit status is 0.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# zoolab mixer name -> the Zoology class (zoology/experiments/arxiv24_based_figure2/configs.py names them).
ZOOLOGY_MIXERS = {
    "attention": "zoology.mixers.attention.MHA",
    "base_conv": "zoology.mixers.base_conv.BaseConv",
    "based": "zoology.mixers.based.Based",
    "hybrid": "zoology.mixers.hybrid.Hybrid",
    "h3": "zoology.mixers.h3.H3",
    "hyena": "zoology.mixers.hyena.Hyena",
    "rwkv": "zoology.mixers.rwkv.RWKVTimeMixer",
    "mamba": "zoology.mixers.mamba.Mamba",
}
ZOOLOGY_STATE_MIXERS = {"identity": "torch.nn.Identity", "mlp": "zoology.mixers.mlp.MLP"}
ZOOLOGY_BLOCKS = {"transformer": "TransformerBlock", "mamba": "MambaBlock"}
NO_CPU_PEER = {
    "rwkv": "Zoology's RWKV compiles a CUDA kernel (WKV) when imported",
    # Its plain-torch references (selective_scan_ref, rms_norm_ref) run with triton and the CUDA extensions
    # stubbed, but one step of the L=64 preset took over 8 minutes on 2 cores: no usable peer.
    "mamba": "Zoology's Mamba imports triton and the mamba_ssm/causal_conv1d CUDA extensions",
}


def fail(message):
    print(f"zoology_peer.py: {message}", file=sys.stderr)
    sys.exit(2)


def setup_paths(zoology_src):
    if not zoology_src:
        fail("no Zoology source: pass --zoology-src DIR or set ZOOLOGY_SRC (a checkout of "
             "github.com/HazyResearch/zoology, the directory holding the zoology/ package)")
    if not os.path.isfile(os.path.join(zoology_src, "zoology", "model.py")):
        fail(f"{zoology_src} is not a Zoology checkout: zoology/model.py is missing")
    sys.path.insert(0, zoology_src)
    sys.path.insert(0, os.path.join(HERE, "zoology_shims"))
    einops_src = os.environ.get("EINOPS_SRC")
    if einops_src:
        sys.path.insert(0, einops_src)
    import zoology_compat  # noqa: F401  (pydantic-2 names on pydantic 1.10; before Zoology's imports)
    for module, hint in (("torch", "Debian's python3-torch"), ("numpy", "python3-numpy"),
                         ("einops", "pip install einops, or EINOPS_SRC=<einops source>"),
                         ("pydantic", "python3-pydantic"), ("torchvision", "python3-torchvision")):
        try:
            __import__(module)
        except ImportError as error:
            fail(f"Zoology needs {module} ({hint}): {error}")


def mixer_config(spec):
    """A zoolab {name, kwargs} as a Zoology ModuleConfig dict (Hybrid's sub-configs too)."""
    name = spec["name"]
    if name not in ZOOLOGY_MIXERS:
        fail(f"no Zoology class known for zoolab mixer \"{name}\"; known: {', '.join(sorted(ZOOLOGY_MIXERS))}")
    kwargs = dict(spec.get("kwargs", {}))
    if name == "hybrid":
        kwargs["configs"] = [mixer_config(c) for c in kwargs["configs"]]
    return {"name": ZOOLOGY_MIXERS[name], "kwargs": kwargs}


def mixer_names(spec):
    names = {spec["name"]}
    for sub in spec.get("kwargs", {}).get("configs", []) if spec["name"] == "hybrid" else []:
        names |= mixer_names(sub)
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="zoolab run configuration (JSON)")
    parser.add_argument("--zoology-src", default=os.environ.get("ZOOLOGY_SRC"))
    parser.add_argument("--steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    with open(args.config) as f:
        config = json.load(f)
    config = config.get("config", config)  # one element of `presets --json`, or the config itself
    data, model_cfg, train = config["data"], config["model"], config["train"]
    segment = data["train"][0]
    batch_size = data["batch_size"][0] if isinstance(data["batch_size"], list) else data["batch_size"]
    names = mixer_names(model_cfg["sequence_mixer"])
    missing = sorted(n for n in names if n in NO_CPU_PEER)
    if missing:
        reason = "; ".join(NO_CPU_PEER[n] for n in missing)
        print(json.dumps({"train_examples_per_s": None, "reason": f"n/a (no CPU peer): {reason}",
                          "mixer": model_cfg["sequence_mixer"]["name"]}))
        return
    if segment.get("task", "mqar") != "mqar":
        fail(f"the peer times MQAR only, not {segment['task']}")

    setup_paths(args.zoology_src)
    import torch
    from zoology.config import ModelConfig
    from zoology.data.associative_recall import multiquery_ar
    from zoology.model import LanguageModel

    sequence_mixer = mixer_config(model_cfg["sequence_mixer"])
    if hasattr(torch.backends, "opt_einsum"):
        # torch found the opt_einsum stand-in on the path: einsum contracts left to right, as without it.
        torch.backends.opt_einsum.enabled = False
    torch.set_num_threads(args.threads)
    torch.manual_seed(config.get("seed", 123))
    vocab = model_cfg.get("vocab_size") or data["vocab_size"]
    zoology_config = ModelConfig(
        d_model=model_cfg["d_model"],
        n_layers=model_cfg["n_layers"],
        max_position_embeddings=model_cfg["max_position_embeddings"],
        vocab_size=vocab,
        embed_dropout=model_cfg["embed_dropout"],
        resid_dropout=model_cfg["resid_dropout"],
        layer_norm_epsilon=model_cfg.get("layer_norm_epsilon", 1e-5),
        block_type=ZOOLOGY_BLOCKS[model_cfg.get("block_type", "transformer")],
        sequence_mixer=sequence_mixer,
        state_mixer={"name": ZOOLOGY_STATE_MIXERS[model_cfg["state_mixer"]["name"]],
                     "kwargs": model_cfg["state_mixer"].get("kwargs", {})},
    )
    model = LanguageModel(config=zoology_config)
    model.backbone.embeddings.device = "cpu"  # Zoology's default places position ids on cuda
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=train["learning_rate"],
                                  weight_decay=train["weight_decay"])
    loss_fn = torch.nn.CrossEntropyLoss()

    steps = args.warmup + args.steps
    segment_data = multiquery_ar(vocab_size=data["vocab_size"], num_examples=batch_size * steps,
                                 input_seq_len=segment["input_seq_len"], seed=data.get("seed", 0),
                                 power_a=segment.get("power_a", 0.01), num_kv_pairs=segment["num_kv_pairs"],
                                 random_non_queries=segment.get("random_non_queries", True))
    inputs = segment_data.inputs.split(batch_size)
    labels = segment_data.labels.split(batch_size)

    def step(i):
        optimizer.zero_grad()
        logits = model(inputs[i])  # (B, L, V): the head at every position, as Zoology
        auxiliary = [m.get_auxiliary_loss() for m in model.modules() if hasattr(m, "get_auxiliary_loss")]
        main_loss = loss_fn(logits.reshape(-1, logits.size(-1)), labels[i].flatten())
        loss = main_loss + sum(auxiliary)
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(args.warmup):
        step(i)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for i in range(args.warmup, steps):
        step(i)
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    examples = batch_size * args.steps
    print(json.dumps({"train_examples_per_s": examples / wall, "cpu_seconds": cpu, "seconds": wall,
                      "steps": args.steps, "batch_size": batch_size, "seq_len": segment["input_seq_len"],
                      "mixer": model_cfg["sequence_mixer"]["name"], "threads": args.threads,
                      "zoology": os.path.abspath(args.zoology_src)}))


if __name__ == "__main__":
    main()
