"""Tables of the identity database."""

from __future__ import annotations

import sqlalchemy as sa

from nimbus.common.db.types import JSONText, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Roles that belong to no domain (global roles) carry this domain id, so that
# (name, domain_id) can be unique on every backend; Keystone does the same.
NULL_DOMAIN_ID = "<<null>>"

ID = sa.String(64)

domains = sa.Table(
    "domains", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("options", JSONText, nullable=False, default=dict),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

projects = sa.Table(
    "projects", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("domain_id", ID, sa.ForeignKey("domains.id"), nullable=False),
    sa.Column("parent_id", ID, sa.ForeignKey("projects.id"), index=True),
    sa.Column("description", sa.Text),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("options", JSONText, nullable=False, default=dict),
    sa.Column("extra", JSONText, nullable=False, default=dict),
    sa.UniqueConstraint("domain_id", "name"),
)

project_tags = sa.Table(
    "project_tags", metadata,
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("domain_id", ID, sa.ForeignKey("domains.id"), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("default_project_id", ID),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("password_created_at", UTCDateTime),
    sa.Column("password_expires_at", UTCDateTime),
    sa.Column("extra", JSONText, nullable=False, default=dict),
    sa.Column("options", JSONText, nullable=False, default=dict),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_active_at", UTCDateTime),
    sa.UniqueConstraint("domain_id", "name"),
)

groups = sa.Table(
    "groups", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("domain_id", ID, sa.ForeignKey("domains.id"), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("extra", JSONText, nullable=False, default=dict),
    sa.UniqueConstraint("domain_id", "name"),
)

group_members = sa.Table(
    "group_members", metadata,
    sa.Column("group_id", ID, sa.ForeignKey("groups.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

roles = sa.Table(
    "roles", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("domain_id", ID, nullable=False, default=NULL_DOMAIN_ID),
    sa.Column("description", sa.String(255)),
    sa.Column("options", JSONText, nullable=False, default=dict),
    sa.Column("extra", JSONText, nullable=False, default=dict),
    sa.UniqueConstraint("name", "domain_id"),
)

implied_roles = sa.Table(
    "implied_roles", metadata,
    sa.Column("prior_role_id", ID, sa.ForeignKey("roles.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("implied_role_id", ID, sa.ForeignKey("roles.id", ondelete="CASCADE"),
              primary_key=True),
)

# One row per grant. type is one of UserProject, GroupProject, UserDomain,
# GroupDomain, UserSystem, GroupSystem; target_id is "system" for the last
# two. actor_id and target_id have no foreign keys (they point into several
# tables); deletes of users, groups, projects and domains remove their rows.
assignments = sa.Table(
    "assignments", metadata,
    sa.Column("type", sa.String(16), primary_key=True),
    sa.Column("actor_id", ID, primary_key=True),
    sa.Column("target_id", ID, primary_key=True),
    sa.Column("role_id", ID, sa.ForeignKey("roles.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("inherited", sa.Boolean, primary_key=True, default=False),
    sa.Index("ix_assignments_actor_id", "actor_id"),
    sa.Index("ix_assignments_target_id", "target_id"),
    sa.Index("ix_assignments_role_id", "role_id"),
)

regions = sa.Table(
    "regions", metadata,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("description", sa.String(255), nullable=False, default=""),
    sa.Column("parent_region_id", sa.String(255), sa.ForeignKey("regions.id")),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

services = sa.Table(
    "services", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("type", sa.String(255), nullable=False, index=True),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

endpoints = sa.Table(
    "endpoints", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("interface", sa.String(8), nullable=False),
    sa.Column("service_id", ID, sa.ForeignKey("services.id"), nullable=False,
              index=True),
    sa.Column("region_id", sa.String(255), sa.ForeignKey("regions.id")),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

application_credentials = sa.Table(
    "application_credentials", metadata,
    sa.Column("internal_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("secret_hash", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("project_id", ID),
    sa.Column("system", sa.String(64)),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("unrestricted", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "name"),
)

application_credential_roles = sa.Table(
    "application_credential_roles", metadata,
    sa.Column("application_credential_id", sa.Integer,
              sa.ForeignKey("application_credentials.internal_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("role_id", ID, primary_key=True),
)

access_rules = sa.Table(
    "access_rules", metadata,
    sa.Column("internal_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("path", sa.String(128), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.UniqueConstraint("user_id", "service", "path", "method"),
)

application_credential_access_rules = sa.Table(
    "application_credential_access_rules", metadata,
    sa.Column("application_credential_id", sa.Integer,
              sa.ForeignKey("application_credentials.internal_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("access_rule_id", sa.Integer,
              sa.ForeignKey("access_rules.internal_id", ondelete="CASCADE"),
              primary_key=True),
)

# Credentials (EC2, TOTP, certificates): the blob is kept encrypted with the
# credential keys (a Fernet key repository of its own).
credentials = sa.Table(
    "credentials", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("project_id", ID),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("encrypted_blob", sa.Text, nullable=False),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

policies = sa.Table(
    "policies", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("blob", sa.Text, nullable=False),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

# A token is revoked when an event has issued_before >= the token's issue
# time and every non-NULL match column equals the token's value (domain_id
# matches the user's, the project's or the scope's domain). Events older than
# the longest a token can be used are deleted.
revocation_events = sa.Table(
    "revocation_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.String(32), index=True),
    sa.Column("user_id", ID, index=True),
    sa.Column("project_id", ID, index=True),
    sa.Column("domain_id", ID),
    sa.Column("application_credential_id", ID),
    sa.Column("issued_before", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=False),
    sa.Index("ix_revocation_events_issued_before", "issued_before"),
)

# -- OS-EP-FILTER ---------------------------------------------------------------

# An endpoint group names the endpoints whose service_id, region_id and
# interface equal its filters (a JSON object of at least one of the three).
endpoint_groups = sa.Table(
    "endpoint_groups", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("filters", JSONText, nullable=False),
)

# Associations die with their project, endpoint or group (ON DELETE CASCADE),
# so the code that deletes those needs no knowledge of them.
project_endpoints = sa.Table(
    "project_endpoints", metadata,
    sa.Column("endpoint_id", ID, sa.ForeignKey("endpoints.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

project_endpoint_groups = sa.Table(
    "project_endpoint_groups", metadata,
    sa.Column("endpoint_group_id", ID,
              sa.ForeignKey("endpoint_groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

# -- OS-OAUTH1 -------------------------------------------------------------------

# The secret is shown once, when the consumer is created; only its hash is kept.
oauth_consumers = sa.Table(
    "oauth_consumers", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("description", sa.Text),
    sa.Column("secret_hash", sa.String(255), nullable=False),
    sa.Column("extra", JSONText, nullable=False, default=dict),
)

# -- domain-specific configuration ---------------------------------------------------

# One row per option of a domain. A sensitive option (the LDAP password) keeps
# its JSON-encoded value encrypted with the credential keys in encrypted_value
# and NULL in value; any other keeps its JSON value in value.
domain_config_options = sa.Table(
    "domain_config_options", metadata,
    sa.Column("domain_id", ID, sa.ForeignKey("domains.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("group_name", sa.String(64), primary_key=True),
    sa.Column("option_name", sa.String(64), primary_key=True),
    sa.Column("value", JSONText),
    sa.Column("encrypted_value", sa.Text),
)
