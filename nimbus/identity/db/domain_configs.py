"""Domain-specific configuration: the [identity] and [ldap] options a domain overrides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import ReferenceMissing
from nimbus.identity import exceptions as exc
from nimbus.identity.db.credentials import Cipher
from nimbus.identity.db.models import domain_config_options as options

# The options a domain may set, as Keystone allows them. Sensitive ones are
# stored encrypted and never shown.
WHITELISTED: dict[str, tuple[str, ...]] = {
    "identity": ("driver", "list_limit"),
    "ldap": (
        "url", "user", "suffix", "query_scope", "page_size", "alias_dereferencing",
        "debug_level", "chase_referrals", "user_tree_dn", "user_filter", "user_objectclass",
        "user_id_attribute", "user_name_attribute", "user_mail_attribute",
        "user_description_attribute", "user_pass_attribute", "user_enabled_attribute",
        "user_enabled_invert", "user_enabled_mask", "user_enabled_default",
        "user_attribute_ignore", "user_default_project_id_attribute",
        "user_enabled_emulation", "user_enabled_emulation_dn",
        "user_enabled_emulation_use_group_config", "user_additional_attribute_mapping",
        "group_tree_dn", "group_filter", "group_objectclass", "group_id_attribute",
        "group_name_attribute", "group_members_are_ids", "group_member_attribute",
        "group_desc_attribute", "group_attribute_ignore",
        "group_additional_attribute_mapping", "tls_cacertfile", "tls_cacertdir", "use_tls",
        "tls_req_cert", "use_pool", "pool_size", "pool_retry_max", "pool_retry_delay",
        "pool_connection_timeout", "pool_connection_lifetime", "use_auth_pool",
        "auth_pool_size", "auth_pool_connection_lifetime",
    ),
}
SENSITIVE: dict[str, tuple[str, ...]] = {"identity": (), "ldap": ("password",)}

# What GET /v3/domains/config/default shows for [ldap]: Keystone's defaults
# (Nimbus has no LDAP driver, so these are the values a domain starts from).
LDAP_DEFAULTS: dict[str, Any] = {
    "url": "ldap://localhost", "suffix": "cn=example,cn=com", "query_scope": "one",
    "page_size": 0, "alias_dereferencing": "default", "user_objectclass": "inetOrgPerson",
    "user_id_attribute": "cn", "user_name_attribute": "sn", "user_mail_attribute": "mail",
    "user_description_attribute": "description", "user_pass_attribute": "userPassword",
    "user_enabled_attribute": "enabled", "user_enabled_invert": False,
    "user_enabled_mask": 0, "user_enabled_default": "True",
    "user_attribute_ignore": ["default_project_id"], "user_enabled_emulation": False,
    "user_enabled_emulation_use_group_config": False,
    "user_additional_attribute_mapping": [], "group_objectclass": "groupOfNames",
    "group_id_attribute": "cn", "group_name_attribute": "ou",
    "group_members_are_ids": False, "group_member_attribute": "member",
    "group_desc_attribute": "description", "group_attribute_ignore": [],
    "group_additional_attribute_mapping": [], "use_tls": False, "tls_req_cert": "demand",
    "use_pool": True, "pool_size": 10, "pool_retry_max": 3, "pool_retry_delay": 0.1,
    "pool_connection_timeout": -1, "pool_connection_lifetime": 600, "use_auth_pool": True,
    "auth_pool_size": 100, "auth_pool_connection_lifetime": 60,
}

Config = dict[str, dict[str, Any]]


def invalid(reason: str) -> exc.Forbidden:
    # NOTE: Keystone answers 403 (InvalidDomainConfig is a Forbidden) when a
    # request names a group or option a domain may not set.
    return exc.Forbidden(f"Invalid domain specific configuration: {reason}.")


def _not_found(domain_id: str, group: str | None, option: str | None) -> exc.NotFound:
    what = (f"option {option} in group {group}" if option
            else f"group {group}" if group else "any options")
    return exc.NotFound(f"{what} in the configuration of domain", domain_id)


def check_group_option(group: str | None, option: str | None) -> None:
    """:raises Forbidden: a group or option a domain may not set."""
    if group is None:
        return
    if group not in WHITELISTED and group not in SENSITIVE:
        raise invalid(f"Group {group} is not supported for domain specific configurations")
    if option is not None and option not in WHITELISTED[group] + SENSITIVE[group]:
        raise invalid(f"Option {option} in group {group} is not supported for domain "
                      "specific configurations")


def check_config(config: Mapping[str, Any]) -> None:
    """:raises Forbidden: an empty config, a group that is not a non-empty
    object of options, or an option a domain may not set."""
    if not config:
        raise invalid("No options specified")
    for group, values in config.items():
        if not values or not isinstance(values, dict):
            raise invalid(f"The value of group {group} specified in the config should be "
                          "a dictionary of options")
        for option in values:
            check_group_option(group, option)


def _rows(conn: Connection, domain_id: str, group: str | None = None,
          option: str | None = None) -> list[Row[Any]]:
    query = sa.select(options).where(options.c.domain_id == domain_id)
    if group is not None:
        query = query.where(options.c.group_name == group)
        if option is not None:
            query = query.where(options.c.option_name == option)
    return list(conn.execute(query.order_by(options.c.group_name, options.c.option_name)))


def _shown(rows: list[Row[Any]]) -> Config:
    """The config of `rows` without its sensitive options."""
    config: Config = {}
    for row in rows:
        if row.encrypted_value is None:
            config.setdefault(row.group_name, {})[row.option_name] = row.value
    return config


def get_config(conn: Connection, domain_id: str, group: str | None = None,
               option: str | None = None) -> dict[str, Any]:
    """The domain's config, one group of it, or one option (``{option: value}``).

    :raises NotFound: nothing (shown) is set there.
    """
    check_group_option(group, option)
    config = _shown(_rows(conn, domain_id, group, option))
    if not config:
        raise _not_found(domain_id, group, option)
    if group is not None and option is not None:
        return {option: config[group][option]}
    return config


def _insert(conn: Connection, cipher: Cipher, domain_id: str, config: Mapping[str, Any]) -> None:
    rows = []
    for group, values in config.items():
        for option, value in values.items():
            row = {"domain_id": domain_id, "group_name": group, "option_name": option,
                   "value": value, "encrypted_value": None}
            if option in SENSITIVE[group]:
                row.update(value=None, encrypted_value=cipher.encrypt(orjson.dumps(value)))
            rows.append(row)
    try:
        conn.execute(sa.insert(options), rows)
    except ReferenceMissing:
        raise exc.NotFound("domain", domain_id) from None


def replace_config(conn: Connection, cipher: Cipher, domain_id: str,
                   config: Mapping[str, Any]) -> tuple[Config, bool]:
    """Set the domain's whole config; (the config shown, whether it had none)."""
    check_config(config)
    had_none = not _rows(conn, domain_id)
    conn.execute(sa.delete(options).where(options.c.domain_id == domain_id))
    _insert(conn, cipher, domain_id, config)
    return _shown(_rows(conn, domain_id)), had_none


def _check_update_target(conn: Connection, domain_id: str, config: Mapping[str, Any],
                         group: str, option: str | None) -> None:
    """An update of one group (or option) names that group (or option) alone,
    and it must exist already, sensitive or not."""
    if len(config) != 1 or group not in config:
        raise invalid(f"Trying to update group {group}, so that, and only that, group "
                      "must be specified in the config")
    if option is not None and (len(config[group]) != 1 or option not in config[group]):
        raise invalid(f"Trying to update option {option} in group {group}, so that, and "
                      "only that, option must be specified in the config")
    if not _rows(conn, domain_id, group, option):
        raise _not_found(domain_id, group, option)


def update_config(conn: Connection, cipher: Cipher, domain_id: str, config: Mapping[str, Any],
                  group: str | None = None, option: str | None = None) -> Config:
    """Merge `config` into the domain's config; the whole config shown after.

    With `option`, `config` is ``{option: value}``; with `group` alone it is
    ``{group: {...}}`` naming only that group.
    """
    changes = {group: dict(config)} if group is not None and option is not None else config
    check_config(changes)
    check_group_option(group, option)
    if group is not None:
        _check_update_target(conn, domain_id, changes, group, option)
    for name, values in changes.items():
        conn.execute(sa.delete(options).where(
            options.c.domain_id == domain_id, options.c.group_name == name,
            options.c.option_name.in_(list(values))))
    _insert(conn, cipher, domain_id, changes)
    return _shown(_rows(conn, domain_id))


def delete_config(conn: Connection, domain_id: str, group: str | None = None,
                  option: str | None = None) -> None:
    """Delete the whole config (a no-op when there is none), a group or an option.

    :raises NotFound: the group or option is not set.
    """
    check_group_option(group, option)
    if group is not None and not _rows(conn, domain_id, group, option):
        raise _not_found(domain_id, group, option)
    query = sa.delete(options).where(options.c.domain_id == domain_id)
    if group is not None:
        query = query.where(options.c.group_name == group)
        if option is not None:
            query = query.where(options.c.option_name == option)
    conn.execute(query)


def default_config(identity_defaults: Mapping[str, Any], group: str | None = None,
                   option: str | None = None) -> dict[str, Any]:
    """The values a domain without a config of its own gets.

    :raises Forbidden: an unknown group or option, or a sensitive one.
    """
    check_group_option(group, option)
    defaults: Config = {
        "identity": {name: identity_defaults.get(name) for name in WHITELISTED["identity"]},
        "ldap": {name: LDAP_DEFAULTS.get(name) for name in WHITELISTED["ldap"]},
    }
    if group is None:
        return defaults
    if option is None:
        return {group: defaults[group]}
    if option not in WHITELISTED[group]:
        raise invalid(f"Reading the default for option {option} in group {group} is not "
                      "supported")
    return {option: defaults[group][option]}


def reencrypt_all(conn: Connection, rotate: Callable[[str], str]) -> int:
    """Re-encrypt every sensitive value with `rotate(token) -> token` (after a
    rotation of the credential keys)."""
    rows = conn.execute(sa.select(options).where(options.c.encrypted_value.is_not(None))).all()
    for row in rows:
        conn.execute(sa.update(options).where(
            options.c.domain_id == row.domain_id, options.c.group_name == row.group_name,
            options.c.option_name == row.option_name,
        ).values(encrypted_value=rotate(row.encrypted_value)))
    return len(rows)
