"""HTTP clients one service uses to call another's API, as a service user.

Services meet over RPC or over each other's HTTP APIs (never by importing
each other). For HTTP they authenticate as the service user of
``[service_user]`` (Keystone password auth, the token renewed before it
expires) and find each other's endpoints in that token's catalog, unless an
``endpoint_override`` names one. A call on behalf of a user (fetching an
image with the user's rights) sends the user's own token instead.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
from oslo_config import cfg

LOG = logging.getLogger(__name__)

GROUP = "service_user"

OPTS = [
    cfg.URIOpt("auth_url", help="Identity v3 URL services authenticate against, e.g. "
               "http://controller:8080/identity/v3. The all-in-one sets it."),
    cfg.StrOpt("username", default="nimbus", help="The service user's name."),
    cfg.StrOpt("password", secret=True,
               help="The service user's password. The all-in-one generates one and "
               "keeps it in data_dir/service-user.conf."),
    cfg.StrOpt("user_domain_name", default="Default", help="The service user's domain."),
    cfg.StrOpt("project_name", default="service", help="The project the service user "
               "scopes its tokens to."),
    cfg.StrOpt("project_domain_name", default="Default", help="That project's domain."),
    cfg.StrOpt("region_name", help="Region whose endpoints to use (default: [DEFAULT] "
               "region_name)."),
    cfg.StrOpt("interface", default="internal", choices=["public", "internal", "admin"],
               help="Which endpoint of each service to call."),
    cfg.FloatOpt("timeout", default=60.0, min=1.0, help="Seconds an HTTP call may take."),
    cfg.DictOpt("endpoint_override", default={},
                help="Endpoints by service type that take precedence over the catalog, "
                "e.g. placement:http://10.0.0.2:8080/placement."),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]


class ClientError(Exception):
    """A call to another service failed before it got an answer, or its auth failed."""


class ServiceAuth:
    """The service user's token and catalog, renewed a minute before expiry."""

    def __init__(self, conf: cfg.ConfigOpts, http: httpx.Client | None = None) -> None:
        self.options = conf[GROUP]
        self.region = self.options.region_name or conf.region_name
        self.http = http or httpx.Client(timeout=self.options.timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires: datetime.datetime | None = None
        self._catalog: list[dict[str, Any]] = []

    def token(self, force: bool = False) -> str:
        with self._lock:
            now = datetime.datetime.now(datetime.UTC)
            fresh = (self._token is not None and self._expires is not None
                     and self._expires - now > datetime.timedelta(seconds=60))
            if force or not fresh:
                self._authenticate()
            assert self._token is not None
            return self._token

    def _authenticate(self) -> None:
        opts = self.options
        if not opts.auth_url or not opts.password:
            raise ClientError(f"[{GROUP}] auth_url and password are needed to call other "
                              "services")
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": opts.username, "password": opts.password,
                "domain": {"name": opts.user_domain_name}}}},
            "scope": {"project": {"name": opts.project_name,
                                  "domain": {"name": opts.project_domain_name}}}}}
        url = str(opts.auth_url).rstrip("/") + "/auth/tokens"
        try:
            resp = self.http.post(url, content=orjson.dumps(body),
                                  headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach the identity service at {url}: {exc}") from None
        if resp.status_code != 201:
            raise ClientError(f"the service user could not authenticate at {url}: "
                              f"{resp.status_code} {resp.text[:200]}")
        token = resp.json()["token"]
        self._token = resp.headers["X-Subject-Token"]
        self._expires = datetime.datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
        self._catalog = token.get("catalog", [])

    def endpoint(self, service_type: str) -> str:
        override = self.options.endpoint_override.get(service_type)
        if override:
            return str(override).rstrip("/")
        self.token()
        for service in self._catalog:
            if service.get("type") != service_type:
                continue
            for endpoint in service.get("endpoints", []):
                if endpoint.get("interface") == self.options.interface and (
                        not self.region or endpoint.get("region_id") == self.region
                        or endpoint.get("region") == self.region):
                    return str(endpoint["url"]).rstrip("/")
        raise ClientError(f"no {self.options.interface} endpoint of {service_type} in region "
                          f"{self.region} in the catalog")


_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def _is_stream(content: Any) -> bool:
    return content is not None and not isinstance(content, (bytes, str))


class ServiceClient:
    """Calls one service's API: as the service user, or with a user's token."""

    def __init__(self, auth: ServiceAuth, service_type: str,
                 microversion: str | None = None) -> None:
        self.auth = auth
        self.service_type = service_type
        self.microversion = microversion
        self.http = httpx.Client(timeout=auth.options.timeout,
                                 limits=httpx.Limits(max_keepalive_connections=20))
        self._base: str | None = None

    @property
    def base(self) -> str:
        if self._base is None:
            self._base = self.auth.endpoint(self.service_type)
        return self._base

    def request(self, method: str, path: str, *, json: Any = None, content: Any = None,
                params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, user_token: str | None = None,
                microversion: str | None = None) -> httpx.Response:
        """One call; as the service user a 401 renews the token and retries once."""
        sent = dict(headers or {})
        version = microversion or self.microversion
        if version:
            sent["OpenStack-API-Version"] = f"{self.service_type} {version}"
        if json is not None:
            content = orjson.dumps(json)
            sent.setdefault("Content-Type", "application/json")
        for attempt in (0, 1):
            sent["X-Auth-Token"] = user_token or self.auth.token(force=attempt == 1)
            resp = self._send(method, path, content, params, sent)
            if resp.status_code != 401 or user_token is not None:
                return resp
        return resp

    def _send(self, method: str, path: str, content: Any, params: Mapping[str, Any] | None,
              headers: dict[str, str]) -> httpx.Response:
        """Send once, or twice when a kept-alive connection turns out closed by
        the server (it closes idle ones) before an idempotent request got an
        answer."""
        retry = method in _IDEMPOTENT and not _is_stream(content)
        while True:
            try:
                return self.http.request(method, self.base + path, content=content,
                                         params=params, headers=headers)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if not retry:
                    raise ClientError(f"{method} {self.service_type}{path} failed: {exc}") \
                        from None
                retry = False
            except httpx.HTTPError as exc:
                raise ClientError(f"{method} {self.service_type}{path} failed: {exc}") from None

    def close(self) -> None:
        self.http.close()
