"""What every compute handler shares: the service, microversion gates, domain
errors turned into Nova's HTTP errors, query-string checks and links."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from nimbus.common.api import errors, validation
from nimbus.common.api.app import Request
from nimbus.common.clients import ClientError
from nimbus.common.messaging import oslo_messaging
from nimbus.compute import exceptions as exc

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

Handler = Callable[[Request], Response]


def compute(req: Request) -> Compute:
    service: Compute = req.state
    return service


def since(req: Request, version: str) -> bool:
    """True when the request's microversion is `version` or newer."""
    return req.version is not None and req.version.matches(version)


def is_admin(req: Request) -> bool:
    """Nova's context.is_admin: what context_is_admin allows."""
    return req.context.is_admin or req.context.allowed("context_is_admin")


def handler(min_version: str | None = None,
            max_version: str | None = None) -> Callable[[Handler], Handler]:
    """A compute handler: 404 outside `min_version`..`max_version` (as Nova
    answers a method the version does not have), the URL's project id
    checked, and domain errors turned into HTTP errors."""

    def decorate(func: Handler) -> Handler:
        @functools.wraps(func)
        def wrapper(req: Request) -> Response:
            if min_version is not None and not since(req, min_version):
                raise errors.NotFound()
            if max_version is not None and req.version is not None and \
                    not req.version.matches(None, max_version):
                raise errors.NotFound()
            _check_project(req)
            try:
                return func(req)
            except exc.NotFound as err:
                raise errors.NotFound(str(err)) from None
            except exc.Conflict as err:
                raise errors.Conflict(str(err)) from None
            except exc.Invalid as err:
                raise errors.BadRequest(str(err)) from None
            except (exc.KeypairLimitExceeded, exc.QuotaExceeded, exc.Forbidden) as err:
                raise errors.Forbidden(str(err)) from None
            except exc.ServiceUnavailable as err:
                raise errors.ServiceUnavailable(str(err)) from None
            except ClientError as err:
                # Placement, images or networking did not answer.
                raise errors.ServiceUnavailable(str(err)) from None
            except oslo_messaging.MessagingTimeout:
                # An agent or conductor that did not answer a call: say so
                # rather than fail with a 500.
                raise errors.ServiceUnavailable(
                    "A compute service did not answer in time; try again later.") from None

        return wrapper

    return decorate


def _check_project(req: Request) -> None:
    """URLs may carry a project id after /v2.1; it must be the caller's."""
    url_project = req.path_params.get("project_id")
    own = req.context.project_id
    if url_project is not None and own and url_project != own:
        raise errors.BadRequest(
            f"Malformed request URL: URL's project_id '{url_project}' doesn't match "
            f"Context's project_id '{own}'")


def body(req: Request, schema: dict[str, Any]) -> Any:
    """The JSON body, validated."""
    return validation.validate(schema, req.json())


def check_query(req: Request, known: Iterable[str], strict: bool,
                enums: dict[str, Iterable[str]] | None = None) -> None:
    """Nova's query schemas: unknown parameters are ignored, or 400 when
    `strict` (from 2.75 or 2.102, depending on the API); a parameter with a
    fixed set of values must have one of them."""
    allowed = set(known)
    if strict:
        extra = sorted(k for k in req.query.keys() if k not in allowed)
        if extra:
            names = ", ".join(repr(k) for k in extra)
            raise errors.BadRequest(
                f"Invalid input for query parameters {', '.join(extra)}. Additional "
                f"properties are not allowed ({names} {'was' if len(extra) == 1 else 'were'} "
                "unexpected)")
    for name, values in (enums or {}).items():
        choices = list(values)
        for value in req.query.getlist(name):
            if value not in choices:
                raise errors.BadRequest(
                    f"Invalid input for query parameters {name}. Value: {value}. "
                    f"'{value}' is not one of {choices}")


def api_root(req: Request) -> str:
    """The URL of /v2.1, with the project id when the request named one."""
    project = req.path_params.get("project_id")
    return req.url("/v2.1" + (f"/{project}" if project else ""))


def bookmark_root(req: Request) -> str:
    project = req.path_params.get("project_id")
    return req.url(f"/{project}" if project else "")


def links(req: Request, collection: str, item_id: str) -> list[dict[str, str]]:
    """Nova's self and bookmark links of one item."""
    return [{"rel": "self", "href": f"{api_root(req)}/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{bookmark_root(req)}/{collection}/{item_id}"}]
