"""The token cache: what it answers without validating, and when it stops."""

from __future__ import annotations

from nimbus.common import auth
from nimbus.common.context import AuthInfo

INFO = AuthInfo(user_id="u", user_name="u", user_domain_id="d", user_domain_name="D")


def test_peek_answers_only_what_was_validated_and_not_revoked() -> None:
    calls: list[str] = []

    def validate(token: str) -> AuthInfo:
        calls.append(token)
        return INFO

    cache = auth.CachingAuthenticator(validate, ttl=60)
    assert cache.peek("t") is None  # never validated: a miss, and no validation
    assert calls == []
    assert cache.authenticate("t") is INFO
    assert cache.peek("t") is INFO and cache.authenticate("t") is INFO
    assert calls == ["t"]
    auth.revocation_happened()
    assert cache.peek("t") is None  # a revocation anywhere in the process
    assert cache.authenticate("t") is INFO and calls == ["t", "t"]


def test_no_cache_no_peek() -> None:
    cache = auth.CachingAuthenticator(lambda token: INFO, ttl=0)
    cache.authenticate("t")
    assert cache.peek("t") is None
