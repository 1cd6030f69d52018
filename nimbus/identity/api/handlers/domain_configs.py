"""/v3/domains/{domain_id}/config and /v3/domains/config/.../default: per-domain settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.validation import validate
from nimbus.identity.api import schemas
from nimbus.identity.api.common import identity
from nimbus.identity.db import domain_configs, resources

Handler = Callable[[Request], Response]

# The security_compliance group is read-only and served from the service's own
# settings, for the default domain only. Nimbus enforces no password regex.
SECURITY_COMPLIANCE = "security_compliance"
_READABLE_COMPLIANCE = ("password_regex", "password_regex_description")


def _where(req: Request) -> tuple[str, str | None, str | None]:
    params = req.path_params
    return params["domain_id"], params.get("group"), params.get("option")


def _config(req: Request) -> dict[str, Any]:
    return dict(validate(schemas.DOMAIN_CONFIG, req.json())["config"])


def _security_compliance(req: Request, domain_id: str, option: str | None) -> dict[str, Any]:
    req.context.can("identity:get_security_compliance_domain_config")
    if domain_id != identity(req).default_domain_id:
        raise domain_configs.invalid(
            "Reading security compliance information for any domain other than the "
            "default domain is not allowed or supported")
    if option is not None and option not in _READABLE_COMPLIANCE:
        raise domain_configs.invalid(
            "Reading security compliance values other than password_regex and "
            "password_regex_description is not allowed")
    values: dict[str, Any] = {name: None for name in _READABLE_COMPLIANCE}
    return {option: values[option]} if option else {SECURITY_COMPLIANCE: values}


def show_config(req: Request) -> Response:
    """GET (and HEAD) /v3/domains/{domain_id}/config[/{group}[/{option}]] -> 200."""
    domain_id, group, option = _where(req)
    if group == SECURITY_COMPLIANCE:
        config = _security_compliance(req, domain_id, option)
        with identity(req).db.reader() as conn:
            resources.get_domain(conn, domain_id)
        return json_response({"config": config})
    # Policy first, so that callers who may not read configs learn nothing
    # about which domains exist.
    req.context.can("identity:get_domain_config")
    with identity(req).db.reader() as conn:
        resources.get_domain(conn, domain_id)
        config = domain_configs.get_config(conn, domain_id, group, option)
    return json_response({"config": config})


def create_config(req: Request) -> Response:
    """PUT /v3/domains/{domain_id}/config -> 201 when the domain had no config, else 200."""
    config = _config(req)
    domain_id = req.path_params["domain_id"]
    req.context.can("identity:create_domain_config")
    ident = identity(req)
    with ident.db.writer() as conn:
        resources.get_domain(conn, domain_id)
        shown, created = domain_configs.replace_config(conn, ident, domain_id, config)
    return json_response({"config": shown}, 201 if created else 200)


def update_config(req: Request) -> Response:
    """PATCH /v3/domains/{domain_id}/config[/{group}[/{option}]] -> 200, the whole config."""
    config = _config(req)
    domain_id, group, option = _where(req)
    req.context.can("identity:update_domain_config")
    ident = identity(req)
    with ident.db.writer() as conn:
        resources.get_domain(conn, domain_id)
        shown = domain_configs.update_config(conn, ident, domain_id, config, group, option)
    return json_response({"config": shown})


def delete_config(req: Request) -> Response:
    """DELETE /v3/domains/{domain_id}/config[/{group}[/{option}]] -> 204."""
    domain_id, group, option = _where(req)
    req.context.can("identity:delete_domain_config")
    with identity(req).db.writer() as conn:
        resources.get_domain(conn, domain_id)
        domain_configs.delete_config(conn, domain_id, group, option)
    return empty_response()


def show_default(req: Request) -> Response:
    """GET (and HEAD) /v3/domains/config[/{group}[/{option}]]/default -> 200."""
    req.context.can("identity:get_domain_config_default")
    group, option = req.path_params.get("group"), req.path_params.get("option")
    defaults = {"driver": "sql", "list_limit": identity(req).list_limit}
    return json_response({"config": domain_configs.default_config(defaults, group, option)})


def routes() -> dict[str, dict[str, Handler]]:
    # NOTE: the default routes come first, so that /v3/domains/config/config/default
    # means the defaults of a group "config", not the group "default" of a domain
    # "config" (routes match in order).
    item: dict[str, Handler] = {"GET": show_config, "PATCH": update_config,
                                "DELETE": delete_config}
    return {
        "/v3/domains/config/default": {"GET": show_default},
        "/v3/domains/config/{group}/default": {"GET": show_default},
        "/v3/domains/config/{group}/{option}/default": {"GET": show_default},
        "/v3/domains/{domain_id}/config": {"PUT": create_config, **item},
        "/v3/domains/{domain_id}/config/{group}": item,
        "/v3/domains/{domain_id}/config/{group}/{option}": item,
    }

