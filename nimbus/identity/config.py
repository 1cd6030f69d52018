"""Options of the identity service."""

from __future__ import annotations

from oslo_config import cfg

IDENTITY_OPTS = [
    cfg.StrOpt(
        "default_domain_id",
        default="default",
        help="Id of the domain bootstrap creates and that users and projects "
        "land in when a request names no domain.",
    ),
    cfg.IntOpt(
        "password_hash_cost",
        default=15,
        min=10,
        max=20,
        help="scrypt cost: passwords are hashed with N = 2**cost (r=8, p=1). "
        "15 takes about 50 ms and 32 MiB per hash on one core; each step "
        "doubles both. Existing hashes keep the cost they were made with.",
    ),
    cfg.IntOpt(
        "max_password_length",
        default=4096,
        min=1,
        help="Longest password accepted, in characters.",
    ),
    cfg.IntOpt(
        "list_limit",
        min=1,
        help="Most entities a list call returns; the response then says "
        "'truncated': true. Unset: no limit.",
    ),
    cfg.IntOpt(
        "max_project_tree_depth",
        default=5,
        min=1,
        help="Deepest project hierarchy allowed, counting the top project.",
    ),
]

TOKEN_OPTS = [
    cfg.IntOpt(
        "expiration",
        default=3600,
        min=60,
        help="Seconds a token is valid from the moment it is issued.",
    ),
    cfg.IntOpt(
        "allow_expired_window",
        default=172800,
        min=0,
        help="Seconds after expiry during which a service may still validate "
        "a token with ?allow_expired=1.",
    ),
    cfg.BoolOpt(
        "allow_rescope_scoped_token",
        default=True,
        help="Allow a scoped token to be exchanged for a token of another "
        "scope. When false, only unscoped tokens may be rescoped.",
    ),
]

FERNET_OPTS = [
    cfg.StrOpt(
        "key_repository",
        help="Directory of Fernet keys. Defaults to fernet-keys in data_dir. "
        "Every API process must see the same keys.",
    ),
    cfg.IntOpt(
        "max_active_keys",
        default=3,
        min=1,
        help="Keys kept by rotation: the staged key, the primary key and "
        "max_active_keys - 2 secondary keys. Tokens encrypted with a key "
        "that rotation removed can no longer be validated.",
    ),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [
        ("identity", IDENTITY_OPTS),
        ("token", TOKEN_OPTS),
        ("fernet_tokens", FERNET_OPTS),
    ]
