"""The real `openstack` CLI against the all-in-one, as a user would drive it."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.cli import as_json, cli


@pytest.mark.slow
def test_the_done_when_sequence(sqlite_cloud):
    cloud = sqlite_cloud
    token = as_json(cloud, "token", "issue")
    assert token["project_id"] == cloud.bootstrap.admin_project_id
    catalog = as_json(cloud, "catalog", "list")
    assert {c["Type"] for c in catalog} == {"identity", "placement", "image", "compute"}
    project = as_json(cloud, "project", "create", "cli-demo")
    user = as_json(cloud, "user", "create", "--password", "pw", "--project", "cli-demo",
                   "cli-alice")
    cli(cloud, "--os-cloud", "nimbus", "role", "add", "--project", "cli-demo", "--user",
        "cli-alice", "member")
    assignments = as_json(cloud, "role", "assignment", "list", "--names", "--project",
                          "cli-demo")
    assert [(a["Role"], a["User"]) for a in assignments] == [("member", "cli-alice@Default")]
    cred = as_json(cloud, "application", "credential", "create", "cli-cred")
    env = {"PATH": os.environ["PATH"], "HOME": cloud.data_dir,
           "OS_AUTH_TYPE": "v3applicationcredential", "OS_AUTH_URL": cloud.auth_url,
           "OS_APPLICATION_CREDENTIAL_ID": cred["ID"],
           "OS_APPLICATION_CREDENTIAL_SECRET": cred["Secret"]}
    issued = json.loads(cli(cloud, "token", "issue", "-f", "json", env=env).stdout)
    assert issued["project_id"] == cloud.bootstrap.admin_project_id
    assert issued["user_id"] == cloud.bootstrap.admin_user_id
    cli(cloud, "--os-cloud", "nimbus", "user", "delete", user["id"])
    cli(cloud, "--os-cloud", "nimbus", "project", "delete", project["id"])
