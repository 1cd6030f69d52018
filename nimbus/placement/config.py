"""Options of the placement service, named as upstream Placement names them."""

from __future__ import annotations

from oslo_config import cfg

MISSING_CONSUMER_ID = "00000000-0000-0000-0000-000000000000"

PLACEMENT_OPTS = [
    cfg.StrOpt(
        "auth_strategy",
        choices=[
            ("keystone", "Validate tokens as [api] auth_strategy says (in-process "
             "or keystonemiddleware)."),
            ("noauth2", "No authentication, for tests and standalone use: the "
             "token 'user:project' names the caller, 'admin' is an admin, "
             "X-Roles and OpenStack-System-Scope are believed."),
        ],
        help="How placement authenticates requests. Unset: as [api] "
        "auth_strategy.",
    ),
    cfg.BoolOpt(
        "randomize_allocation_candidates",
        default=False,
        help="When a request limits its allocation candidates, return a random "
        "sample of all of them instead of the first ones. Otherwise the order "
        "is deterministic but undefined.",
    ),
    cfg.IntOpt(
        "max_allocation_candidates",
        default=-1,
        min=-1,
        help="Most allocation candidates generated for one request, whatever "
        "its limit, to bound memory and time. -1: no bound.",
    ),
    cfg.StrOpt(
        "allocation_candidates_generation_strategy",
        default="depth-first",
        choices=[
            ("depth-first", "Generate every candidate of one root provider "
             "before the next."),
            ("breadth-first", "Take candidates from the viable root providers "
             "in turn, so that a bound by max_allocation_candidates still "
             "spreads them over many roots."),
        ],
        help="The order allocation candidates are generated in; matters with "
        "max_allocation_candidates.",
    ),
    cfg.StrOpt(
        "incomplete_consumer_project_id",
        default=MISSING_CONSUMER_ID,
        help="Project recorded for consumers made by microversions before 1.8, "
        "which did not send one.",
    ),
    cfg.StrOpt(
        "incomplete_consumer_user_id",
        default=MISSING_CONSUMER_ID,
        help="User recorded for consumers made by microversions before 1.8, "
        "which did not send one.",
    ),
    cfg.IntOpt(
        "allocation_conflict_retry_count",
        default=10,
        min=0,
        help="Times a write of allocations is retried server-side when a "
        "concurrent write bumped a provider generation.",
    ),
]

CORS_OPTS = [
    cfg.ListOpt("allowed_origin", help="Origins allowed to make cross-origin "
                "requests (e.g. https://horizon.example.org). Unset: no CORS."),
    cfg.BoolOpt("allow_credentials", default=True,
                help="Whether credentials (cookies, auth headers) may be sent."),
    cfg.ListOpt("expose_headers", default=[], help="Headers browsers may read."),
    cfg.IntOpt("max_age", default=3600, help="Seconds a preflight answer is cached."),
    cfg.ListOpt("allow_methods",
                default=["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "PATCH"],
                help="Methods allowed in cross-origin requests."),
    cfg.ListOpt("allow_headers", default=[],
                help="Request headers allowed in cross-origin requests."),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("placement", PLACEMENT_OPTS), ("cors", CORS_OPTS)]
