"""Nova's base rules and the helpers every compute policy module uses.

Nova's base rules that other services already register with the same
meaning (``admin_api``, ``project_reader_api``, ``service_api``...) are not
registered twice; the rest of Nova's base set is registered here.
"""

from __future__ import annotations

from oslo_policy import policy

ADMIN = "rule:context_is_admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
ADMIN_OR_KEYPAIR_OWNER = "(rule:context_is_admin) or user_id:%(user_id)s"

BASE_RULES = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       description="Decides what is required for the 'is_admin:True' "
                       "check to succeed."),
    policy.RuleDefault("project_manager_api", "role:manager and project_id:%(project_id)s",
                       description="Default rule for Project level management APIs."),
    policy.RuleDefault("project_member_api", "role:member and project_id:%(project_id)s",
                       description="Default rule for Project level non admin APIs."),
    policy.RuleDefault("project_manager_or_admin",
                       "rule:project_manager_api or rule:context_is_admin",
                       description="Default rule for Project Manager or admin APIs."),
    policy.RuleDefault("project_member_or_admin",
                       "rule:project_member_api or rule:context_is_admin",
                       description="Default rule for Project Member or admin APIs."),
    policy.RuleDefault("project_reader_or_admin",
                       "rule:project_reader_api or rule:context_is_admin",
                       description="Default rule for Project reader or admin APIs."),
]


def rule(name: str, check: str, description: str,
          ops: list[tuple[str, str]]) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=f"os_compute_api:{name}", check_str=check, description=description,
        operations=[{"method": m, "path": p} for m, p in ops], scope_types=["project"])
