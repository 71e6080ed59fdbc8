"""Stand-in for wandb, which Zoology's logger imports: the speed peer (tests/bench/zoology_peer.py) logs
nothing."""


def init(*_args, **_kwargs):
    return None


def log(*_args, **_kwargs):
    return None


def watch(*_args, **_kwargs):
    return None


def finish(*_args, **_kwargs):
    return None


class Api:
    pass
