"""Stand-in for opt_einsum, which Zoology's Based imports: contract() through torch.einsum (the same
contraction without opt_einsum's path search), for the speed peer (tests/bench/zoology_peer.py)."""
import torch


def contract(equation, *operands, **_kwargs):
    return torch.einsum(equation, *operands)
