"""Token validation for other services: in-process, and via keystonemiddleware."""

from __future__ import annotations

import pytest

from nimbus.common import config
from nimbus.common.api import errors
from nimbus.common.auth import CachingAuthenticator, KeystoneMiddlewareAuthenticator
from nimbus.identity.db import revocations
from tests.functional.identity.test_tokens import admin_token
from tests.support.cloud import ADMIN_PASSWORD


def test_keystonemiddleware_validates_against_nimbus_identity(sqlite_cloud, tmp_path):
    cloud = sqlite_cloud
    conf_file = tmp_path / "nimbus.conf"
    conf_file.write_text(
        "[api]\nauth_strategy = keystone\n"
        "[keystone_authtoken]\n"
        f"www_authenticate_uri = {cloud.auth_url}\nauth_url = {cloud.auth_url}\n"
        "auth_type = password\nusername = admin\n"
        f"password = {ADMIN_PASSWORD}\nuser_domain_name = Default\n"
        "project_name = admin\nproject_domain_name = Default\n")
    conf = config.make_conf(config_files=[str(conf_file)])
    authenticator = KeystoneMiddlewareAuthenticator(conf)
    info = authenticator.authenticate(admin_token(cloud))
    assert info.user_name == "admin" and info.project_name == "admin"
    assert set(info.roles) == {"admin", "manager", "member", "reader"}
    assert info.system_scope is None and info.domain_id is None
    with pytest.raises(errors.Unauthorized):
        authenticator.authenticate("not-a-token")


def test_cache_forgets_revoked_tokens_at_once(cloud):
    calls = []

    def validate(token):
        calls.append(token)
        return cloud.identity.authenticate_token(token)

    cache = CachingAuthenticator(validate, ttl=60)
    token = admin_token(cloud)
    first = cache.authenticate(token)
    assert cache.authenticate(token) == first and len(calls) == 1
    subject = admin_token(cloud)
    with cloud.identity.db.writer() as conn:
        revocations.revoke(conn, audit_id=cloud.identity.validate(token).payload.audit_ids[0])
    with pytest.raises(errors.Unauthorized):
        cache.authenticate(token)
    assert cache.authenticate(subject).user_id == first.user_id
