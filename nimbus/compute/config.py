"""Options of the compute service; where Nova has an option for the same thing,
its name and default."""

from __future__ import annotations

from oslo_config import cfg

COMPUTE_OPTS: list[cfg.Opt] = [
    cfg.IntOpt(
        "max_limit",
        default=1000,
        min=0,
        help="Most items a collection returns in one response, whatever "
        "limit a client asks for (Nova's [api] max_limit).",
    ),
    cfg.IntOpt(
        "key_pairs",
        default=100,
        min=-1,
        help="Key pairs each user may have (Nova's [quota] key_pairs). "
        "-1: no limit.",
    ),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("compute", COMPUTE_OPTS)]
