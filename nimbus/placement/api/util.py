"""What placement handlers share: JSON in and out, content negotiation,
query validation, last-modified, URLs, error codes."""

from __future__ import annotations

import datetime
import email.utils
import functools
import json
import uuid as uuidlib
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
import orjson
from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.common.db.types import utcnow
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.service import Placement

_FORMATS = jsonschema.FormatChecker()  # query strings: strict uuids
_BODY_FORMATS = jsonschema.FormatChecker()  # bodies: any spelling of a uuid, as upstream


@_BODY_FORMATS.checks("uuid")  # type: ignore[untyped-decorator]
def _uuid_like(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    try:
        canonical = str(uuidlib.UUID(instance)).replace("-", "")
    except ValueError:
        return False
    spelled = instance.replace("urn:", "").replace("uuid:", "").strip("{}").replace("-", "")
    return canonical == spelled.lower()


def placement(req: Request) -> Placement:
    return req.state  # type: ignore[no-any-return]


def want(req: Request, version: str) -> bool:
    """True when the request's microversion is at least `version`."""
    return req.version is not None and req.version.matches(version)


def bad_request(message: str, code: str = codes.DEFAULT) -> errors.BadRequest:
    return errors.BadRequest(message, code=code)


def require_content(req: Request, content_type: str = "application/json") -> None:
    """415 unless the body is declared as `content_type`."""
    declared = req.headers.get("content-type", "").split(";")[0].strip()
    if declared != content_type:
        raise errors.UnsupportedMediaType(
            f"The media type {declared or 'None'} is not supported, use {content_type}")


def check_accept(req: Request, *types: str) -> None:
    """406 when an explicit Accept header allows none of `types`."""
    accept = req.headers.get("accept")
    if not accept:
        return
    offered = [t.split(";")[0].strip().lower() for t in accept.split(",")]
    for item in offered:
        if item in ("*/*", "application/*") or item in types:
            return
    raise errors.NotAcceptable(f"Only {', '.join(types)} is provided")


def extract_json(req: Request, schema: dict[str, Any]) -> Any:
    """The body, parsed and validated as placement words its 400s."""
    try:
        data = orjson.loads(req.body)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"Malformed JSON: {_json_error(req.body, error)}") from None
    return validate_data(data, schema)


def _json_error(body: bytes, error: Exception) -> str:
    """What is wrong with `body`, in the words of Python's json, as upstream
    says it (orjson words it differently)."""
    try:
        json.loads(body)
    except ValueError as stdlib_error:
        return str(stdlib_error)
    return str(error)


def _validator(schema: dict[str, Any], formats: jsonschema.FormatChecker) -> Any:
    """A validator of `schema`, made once: jsonschema.validate() would check
    the schema itself on every call, which costs more than the validation."""
    key = (id(schema), id(formats))
    found = _VALIDATORS.get(key)
    if found is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        found = _VALIDATORS[key] = (schema, cls(schema, format_checker=formats))
    return found[1]


_VALIDATORS: dict[tuple[int, int], tuple[dict[str, Any], Any]] = {}  # keeps each schema alive


def _check(data: Any, schema: dict[str, Any], formats: jsonschema.FormatChecker) -> None:
    """As jsonschema.validate(): raise the best match of the errors, if any."""
    error = jsonschema.exceptions.best_match(_validator(schema, formats).iter_errors(data))
    if error is not None:
        raise error


def validate_data(data: Any, schema: dict[str, Any]) -> Any:
    try:
        _check(data, schema, _BODY_FORMATS)
    except jsonschema.ValidationError as error:
        raise bad_request(f"JSON does not validate: {error}") from None
    return data


def validate_query(req: Request, schema: dict[str, Any]) -> dict[str, str]:
    """The query string (last value of each key), validated by `schema`.

    Validating is a pure function of the parameters, and costs more than
    many a whole request; schedulers send the same queries again and again,
    so the verdicts (the error message, or None) are remembered."""
    params = dict(req.query.items())
    key = (id(schema), tuple(params.items()))
    if key in _QUERY_VERDICTS:
        problem = _QUERY_VERDICTS[key]
    else:
        try:
            _check(params, schema, _FORMATS)
            problem = None
        except jsonschema.ValidationError as error:
            problem = f"Invalid query string parameters: {error}"
        if len(_QUERY_VERDICTS) >= _QUERY_VERDICTS_KEPT:
            _QUERY_VERDICTS.clear()
        _QUERY_VERDICTS[key] = problem
    if problem is not None:
        raise bad_request(problem)
    return params


# By (schema, parameters); _check keeps each schema alive, so its id stays its own.
_QUERY_VERDICTS: dict[tuple[int, tuple[tuple[str, str], ...]], str | None] = {}
_QUERY_VERDICTS_KEPT = 1024


def http_date(value: datetime.datetime) -> str:
    return email.utils.format_datetime(value.astimezone(datetime.UTC), usegmt=True)


def json_reply(
    req: Request, body: Any, status: int = 200, *,
    last_modified: datetime.datetime | None = None,
    headers: Mapping[str, str] | None = None,
    unknown_modified: str = "now",
) -> Response:
    """A JSON response; from 1.15 with Last-Modified and Cache-Control.

    Without a `last_modified`, the header says now, or is left out when
    `unknown_modified` is "omit" (as upstream does where it has no time).
    """
    out = dict(headers or {})
    if want(req, "1.15"):
        out["Cache-Control"] = "no-cache"
        if last_modified is not None or unknown_modified == "now":
            out["Last-Modified"] = http_date(last_modified or utcnow())
    return Response(orjson.dumps(body), status_code=status, headers=out,
                    media_type="application/json")


def newest(*stamps: datetime.datetime | None) -> datetime.datetime | None:
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


def url(req: Request, path: str) -> str:
    """A link as placement writes them: the mount point plus the path."""
    return str(req.scope.get("root_path", "")) + path


Handler = Callable[[Request], Response]

_NOT_FOUND = "The resource could not be found.\n\n   "  # WebOb's, with no detail


def handler(min_version: str | None = None, max_version: str | None = None, *,
            accept: bool = False, absent_status: int = 404) -> Callable[[Handler], Handler]:
    """Wrap a placement handler: only between `min_version` and `max_version`
    (else 404, or `absent_status`), 406 unless Accept allows JSON (when
    `accept`), and a domain NotFound left unhandled becomes a 404 with its
    message, as upstream's dispatcher does."""

    def decorate(func: Handler) -> Handler:
        @functools.wraps(func)
        def wrapper(req: Request) -> Response:
            if req.version is None or not req.version.matches(min_version, max_version):
                # As upstream's version_handler: WebOb's words, nothing more.
                if absent_status == 405:
                    raise errors.MethodNotAllowed(
                        f"The method {req.method} is not allowed for this resource. \n\n ")
                raise errors.NotFound(_NOT_FOUND)
            if accept:
                check_accept(req, "application/json")
            try:
                return func(req)
            except exc.NotFound as not_found:
                raise errors.NotFound(str(not_found)) from None

        return wrapper

    return decorate


def versioned(*choices: tuple[str, str | None, Handler]) -> Handler:
    """One route served by different handlers in different version ranges."""

    def dispatch(req: Request) -> Response:
        for low, high, func in choices:
            if req.version is not None and req.version.matches(low, high):
                return func(req)
        raise errors.NotFound(_NOT_FOUND)

    dispatch.choices = [func for _, _, func in choices]  # type: ignore[attr-defined]
    return dispatch


def empty(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=dict(headers or {}))
