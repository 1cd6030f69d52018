"""The identity service: its state, its ASGI app and its in-process validator."""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from oslo_config import cfg

from nimbus.common import config
from nimbus.common.api import errors
from nimbus.common.api.app import ASGIApp, ServiceApp, build_stack
from nimbus.common.auth import CachingAuthenticator
from nimbus.common.context import AuthInfo
from nimbus.common.db import Database
from nimbus.common.db.types import utcnow
from nimbus.common.policy import Policy
from nimbus.identity import auth
from nimbus.identity import exceptions as exc
from nimbus.identity.db import revocations
from nimbus.identity.fernet import KeyRepository
from nimbus.identity.passwords import hash_password
from nimbus.identity.tokens import TokenCodec

LOG = logging.getLogger(__name__)

SERVICE_TYPE = "identity"
SERVICE_NAME = "keystone"
PREFIX = "/identity"


class Identity:
    """What the identity handlers share: configuration, database, keys."""

    def __init__(self, conf: cfg.ConfigOpts, db: Database, policy: Policy):
        self.conf = conf
        self.db = db
        self.policy = policy
        key_dir = conf.fernet_tokens.key_repository or os.path.join(
            config.data_dir(conf), "fernet-keys")
        self.keys = KeyRepository(key_dir, conf.fernet_tokens.max_active_keys)
        self.credential_keys = KeyRepository(
            os.path.join(os.path.dirname(key_dir.rstrip("/")), "credential-keys"), 3)
        self.codec = TokenCodec(self.keys)
        self.settings = auth.TokenSettings(
            expiration=conf.token.expiration,
            allow_expired_window=conf.token.allow_expired_window,
            allow_rescope_scoped_token=conf.token.allow_rescope_scoped_token,
            decoy_hash=hash_password(os.urandom(16).hex(), conf.identity.password_hash_cost),
        )
        self.default_domain_id: str = conf.identity.default_domain_id
        self.max_password_length: int = conf.identity.max_password_length
        self.max_project_depth: int = conf.identity.max_project_tree_depth
        self.list_limit: int | None = conf.identity.list_limit
        self._password_cost: int = conf.identity.password_hash_cost

    # -- keys and secrets -------------------------------------------------------

    def setup_keys(self) -> None:
        """Create the token and credential keys if they do not exist yet."""
        if self.keys.setup():
            LOG.info("Created Fernet token keys in %s", self.keys.path)
        if self.credential_keys.setup():
            LOG.info("Created credential keys in %s", self.credential_keys.path)

    def hash_secret(self, secret: str) -> str:
        if len(secret) > self.max_password_length:
            raise exc.ValidationError(
                f"The password is longer than {self.max_password_length} characters."
            )
        return hash_password(secret, self._password_cost)

    def encrypt(self, plaintext: bytes) -> str:
        return self.credential_keys.encrypt(plaintext)

    def decrypt(self, token: str) -> bytes:
        return self.credential_keys.decrypt(token)[0]

    # -- tokens -----------------------------------------------------------------

    def validate(self, token: str, allow_expired: bool = False) -> auth.ValidatedToken:
        with self.db.reader() as conn:
            return auth.validate(conn, self.codec, self.settings, token, allow_expired)

    def authenticate_token(self, token: str) -> AuthInfo:
        """The Authenticator protocol: X-Auth-Token to AuthInfo, or 401."""
        try:
            return auth.auth_info(self.validate(token))
        except exc.TokenNotFound:
            raise errors.Unauthorized() from None

    def purge_revocations(self) -> int:
        """Drop revocation events older than any token still usable."""
        horizon = datetime.timedelta(
            seconds=self.settings.expiration + self.settings.allow_expired_window + 60)
        with self.db.writer() as conn:
            return revocations.purge(conn, utcnow() - horizon)

    # -- the app ----------------------------------------------------------------

    def authenticator(self) -> CachingAuthenticator:
        return CachingAuthenticator(self.authenticate_token, self.conf.api.token_cache_time)

    def app(self, public_url: str | None) -> ASGIApp:
        from nimbus.identity.api.routes import ROUTES

        www = f"{public_url}{PREFIX}" if public_url else None
        service = ServiceApp(
            name=SERVICE_TYPE,
            routes=ROUTES,
            error_format=errors.keystone_format,
            policy=self.policy,
            authenticator=self.authenticator(),
            max_body_size=self.conf.api.max_request_body_size,
            # Links use the configured public URL, else the request's host.
            public_url=self.conf.api.public_url,
            forbidden_message="You are not authorized to perform the requested action: {rule}.",
            unauthorized_headers={"WWW-Authenticate": f'Keystone uri="{www}"'} if www else {},
            state=self,
        )
        return build_stack(service)


def catalog_entry(public_url: str) -> dict[str, Any]:
    """What bootstrap registers for this service."""
    return {"type": SERVICE_TYPE, "name": SERVICE_NAME, "url": f"{public_url}{PREFIX}"}
