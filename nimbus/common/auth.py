"""Token validation for the services: in-process, or through keystonemiddleware.

Every service's ``ServiceApp`` takes an ``Authenticator``. In the all-in-one
(``[api] auth_strategy = nimbus``) it is the identity service's own
validator, wrapped in a short cache. Against an external Keystone, or a Nimbus
identity API in another process (``auth_strategy = keystone``), it is
keystonemiddleware's ``auth_token`` configured by ``[keystone_authtoken]``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from oslo_config import cfg

from nimbus.common.api import errors
from nimbus.common.context import AuthInfo

LOG = logging.getLogger(__name__)

_epoch_lock = threading.Lock()
_epoch = 0


def revocation_happened() -> None:
    """Tell every cache in this process that some token may have become invalid.

    Called by the identity service whenever it revokes tokens or changes what
    a token grants (roles, users, projects).
    """
    global _epoch
    with _epoch_lock:
        _epoch += 1


class CachingAuthenticator:
    """Remembers validation results for `ttl` seconds, keyed by token.

    A revocation in this process empties the cache at once; one in another
    process is seen within `ttl` seconds (0 turns caching off).
    """

    def __init__(self, validate: Callable[[str], AuthInfo], ttl: float, size: int = 10000):
        self._validate = validate
        self._ttl = ttl
        self._size = size
        self._cache: OrderedDict[str, tuple[float, int, AuthInfo]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, token: str) -> AuthInfo | None:
        """A cached, still valid result for `token`, without any I/O (the API
        asks here first, on its event loop, and only validates in a thread
        on a miss)."""
        if self._ttl <= 0:
            return None
        with self._lock:
            hit = self._cache.get(token)
        if hit is None:
            return None
        until, epoch, info = hit
        expired = info.expires_at is not None and info.expires_at.timestamp() <= time.time()
        if until > time.monotonic() and epoch == _epoch and not expired:
            return info
        return None

    def authenticate(self, token: str, headers: Mapping[str, str] | None = None) -> AuthInfo:
        cached = self.peek(token)
        if cached is not None:
            return cached
        now = time.monotonic()
        epoch = _epoch
        info = self._validate(token)
        if self._ttl > 0:
            with self._lock:
                self._cache[token] = (now + self._ttl, epoch, info)
                self._cache.move_to_end(token)
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return info


class KeystoneMiddlewareAuthenticator:
    """Validates tokens with keystonemiddleware's auth_token against a Keystone."""

    def __init__(self, conf: cfg.ConfigOpts):
        from keystonemiddleware import auth_token

        self._protocol = auth_token.AuthProtocol(
            None, {"oslo_config_config": conf, "delay_auth_decision": False}
        )

    def authenticate(self, token: str, headers: Mapping[str, str] | None = None) -> AuthInfo:
        import webob.exc
        from keystonemiddleware.auth_token import _request

        request = _request._AuthTokenRequest.blank("/", headers={"X-Auth-Token": token})
        try:
            self._protocol.process_request(request)
        except webob.exc.HTTPUnauthorized:
            raise errors.Unauthorized() from None
        except webob.exc.HTTPServiceUnavailable:
            raise errors.ServiceUnavailable(
                "The identity service is temporarily unavailable."
            ) from None
        if not request.user_token_valid:
            raise errors.Unauthorized()
        ref = request.token_auth.user
        body = (request.token_info or {}).get("token", {})
        return AuthInfo(
            user_id=ref.user_id,
            user_name=ref.username,
            user_domain_id=ref.user_domain_id,
            user_domain_name=ref.user_domain_name,
            roles=tuple(ref.role_names),
            role_ids=tuple(ref.role_ids),
            project_id=ref.project_id,
            project_name=ref.project_name,
            project_domain_id=ref.project_domain_id,
            project_domain_name=ref.project_domain_name,
            domain_id=ref.domain_id if ref.domain_scoped else None,
            domain_name=ref.domain_name if ref.domain_scoped else None,
            system_scope="all" if ref.system_scoped else None,
            application_credential_id=ref.application_credential_id,
            methods=tuple(body.get("methods", ())),
            audit_ids=tuple(body.get("audit_ids", ())),
            expires_at=ref.expires,
            issued_at=ref.issued,
            is_admin_project=bool(getattr(ref, "is_admin_project", True)),
        )


def list_keystone_authtoken_opts() -> list[tuple[str, list[cfg.Opt]]]:
    from keystonemiddleware import auth_token

    return list(auth_token.list_opts())
