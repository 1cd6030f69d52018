"""The `openstack` CLI against the compute API: flavors and key pairs."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from nimbus.compute import keys
from tests.functional.compute.conftest import Person
from tests.support.cli import cli
from tests.support.cloud import RunningCloud


def _env(cloud: RunningCloud, person: Person) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": cloud.data_dir,
            "OS_AUTH_URL": cloud.auth_url, "OS_USERNAME": person.name,
            "OS_PASSWORD": person.password, "OS_PROJECT_NAME": person.name,
            "OS_USER_DOMAIN_ID": "default", "OS_PROJECT_DOMAIN_ID": "default",
            "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": cloud.conf.region_name}


def _json(cloud: RunningCloud, *args: str, env: dict[str, str] | None = None) -> Any:
    return json.loads(cli(cloud, *args, "-f", "json", env=env).stdout)


def test_flavor_commands(cloud: RunningCloud, alice: Person) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    made = _json(cloud, "--os-cloud", "nimbus", "flavor", "create", "--ram", "256",
                 "--vcpus", "2", "--disk", "3", "--private", "--description", "tiny one",
                 "--property", "hw:cpu_policy=shared", name)
    assert (made["ram"], made["vcpus"], made["disk"], made["os-flavor-access:is_public"]) == (
        256, 2, 3, False)
    cli(cloud, "--os-cloud", "nimbus", "flavor", "set", "--property", "hw:numa_nodes=1",
        "--property", "color=blue", name)
    cli(cloud, "--os-cloud", "nimbus", "flavor", "unset", "--property", "color", name)
    shown = _json(cloud, "--os-cloud", "nimbus", "flavor", "show", name)
    assert shown["properties"] == {"hw:cpu_policy": "shared", "hw:numa_nodes": "1"}
    assert shown["description"] == "tiny one"
    # At 2.86 the server validates known extra specs.
    bad = cli(cloud, "--os-cloud", "nimbus", "--os-compute-api-version", "2.86", "flavor",
              "set", "--property", "hw:cpu_policy=pinned", name, check=False)
    assert bad.returncode != 0 and "pinned" in bad.stderr
    listed = _json(cloud, "--os-cloud", "nimbus", "flavor", "list", "--all")
    assert name in [f["Name"] for f in listed]
    # Shared with alice's project, she sees it.
    alice_env = _env(cloud, alice)
    assert name not in [f["Name"] for f in _json(cloud, "flavor", "list", env=alice_env)]
    cli(cloud, "--os-cloud", "nimbus", "flavor", "set", "--project", alice.project_id, name)
    assert name in [f["Name"] for f in _json(cloud, "flavor", "list", env=alice_env)]
    access = _json(cloud, "--os-cloud", "nimbus", "flavor", "show", name)["access_project_ids"]
    assert access == [alice.project_id]
    cli(cloud, "--os-cloud", "nimbus", "flavor", "delete", name)
    gone = cli(cloud, "--os-cloud", "nimbus", "flavor", "show", name, check=False)
    assert gone.returncode != 0


def test_keypair_commands(cloud: RunningCloud, alice: Person, tmp_path: Any) -> None:
    env = _env(cloud, alice)
    name = f"cli-{uuid.uuid4().hex[:6]}"
    private = cli(cloud, "keypair", "create", name, env=env).stdout
    assert "PRIVATE KEY" in private
    shown = _json(cloud, "keypair", "show", name, env=env)
    assert shown["name"] == name and shown["type"] == "ssh"
    _, public, fingerprint = keys.generate(keys.SSH, "cli")
    key_file = tmp_path / "id.pub"
    key_file.write_text(public)
    imported = _json(cloud, "keypair", "create", "--public-key", str(key_file),
                     f"{name}-imported", env=env)
    assert imported["fingerprint"] == fingerprint
    listed = {k["Name"] for k in _json(cloud, "keypair", "list", env=env)}
    assert {name, f"{name}-imported"} <= listed
    cli(cloud, "keypair", "delete", name, f"{name}-imported", env=env)
    assert not {name, f"{name}-imported"} & {k["Name"] for k in _json(
        cloud, "keypair", "list", env=env)}
