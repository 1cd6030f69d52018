"""The osc-placement plugin of the `openstack` CLI drives every placement
resource of the all-in-one, at the newest microversion it knows."""

from __future__ import annotations

import uuid

import pytest

from tests.support.cli import as_json, cli

VERSION = ("--os-placement-api-version", "1.39")


def osc(cloud, *args: str):
    return as_json(cloud, *VERSION, *args)


def osc_quiet(cloud, *args: str) -> None:
    cli(cloud, "--os-cloud", "nimbus", *VERSION, *args)


@pytest.mark.slow
def test_resource_providers_inventories_classes_and_traits(sqlite_cloud):
    cloud = sqlite_cloud
    root = osc(cloud, "resource", "provider", "create", "osc-cn1")
    child = osc(cloud, "resource", "provider", "create", "osc-cn1-numa0",
                "--parent-provider", root["uuid"])
    assert child["root_provider_uuid"] == root["uuid"]
    listed = osc(cloud, "resource", "provider", "list", "--in-tree", root["uuid"])
    assert {p["name"] for p in listed} == {"osc-cn1", "osc-cn1-numa0"}
    renamed = osc(cloud, "resource", "provider", "set", root["uuid"], "--name", "osc-cn1-b")
    assert renamed["name"] == "osc-cn1-b"

    osc_quiet(cloud, "resource", "class", "create", "CUSTOM_OSC_GPU")
    assert osc(cloud, "resource", "class", "show", "CUSTOM_OSC_GPU")["name"] == "CUSTOM_OSC_GPU"
    inventory = osc(cloud, "resource", "provider", "inventory", "set", root["uuid"],
                    "--resource", "VCPU=8", "--resource", "VCPU:allocation_ratio=2.0",
                    "--resource", "MEMORY_MB=4096")
    assert {i["resource_class"]: i["total"] for i in inventory} == {"VCPU": 8, "MEMORY_MB": 4096}
    osc(cloud, "resource", "provider", "inventory", "set", child["uuid"],
        "--resource", "CUSTOM_OSC_GPU=2")
    shown = osc(cloud, "resource", "provider", "inventory", "show", root["uuid"], "VCPU")
    assert (shown["total"], shown["allocation_ratio"]) == (8, 2.0)

    osc_quiet(cloud, "trait", "create", "CUSTOM_OSC_FAST")
    traits = osc(cloud, "resource", "provider", "trait", "set", root["uuid"],
                 "--trait", "CUSTOM_OSC_FAST", "--trait", "HW_CPU_X86_AVX2")
    assert {t["name"] for t in traits} == {"CUSTOM_OSC_FAST", "HW_CPU_X86_AVX2"}
    assert "CUSTOM_OSC_FAST" in {t["name"] for t in osc(cloud, "trait", "list")}
    aggregate = str(uuid.uuid4())
    generation = osc(cloud, "resource", "provider", "show", root["uuid"])["generation"]
    aggregates = osc(cloud, "resource", "provider", "aggregate", "set", root["uuid"],
                     "--aggregate", aggregate, "--generation", str(generation))
    assert [a["uuid"] for a in aggregates] == [aggregate]

    candidates = osc(cloud, "allocation", "candidate", "list", "--resource", "VCPU=2",
                     "--required", "CUSTOM_OSC_FAST",
                     "--group", "1", "--resource", "CUSTOM_OSC_GPU=1", "--group-policy", "isolate")
    assert len(candidates) == 2  # one line per provider of the one candidate
    assert {c["resource provider"] for c in candidates} == {root["uuid"], child["uuid"]}
    # The trait asked of group 1 is the child's to have, and it has not.
    assert osc(cloud, "allocation", "candidate", "list", "--resource", "VCPU=2",
               "--group", "1", "--resource", "CUSTOM_OSC_GPU=1",
               "--required", "CUSTOM_OSC_FAST", "--group-policy", "isolate") == []

    osc_quiet(cloud, "resource", "provider", "inventory", "delete", child["uuid"],
              "--resource-class", "CUSTOM_OSC_GPU")
    osc_quiet(cloud, "resource", "class", "delete", "CUSTOM_OSC_GPU")
    osc_quiet(cloud, "resource", "provider", "trait", "delete", root["uuid"])
    osc_quiet(cloud, "trait", "delete", "CUSTOM_OSC_FAST")
    refused = cli(cloud, "--os-cloud", "nimbus", *VERSION, "resource", "provider", "delete",
                  root["uuid"], check=False)
    assert refused.returncode != 0 and "child" in refused.stderr
    osc_quiet(cloud, "resource", "provider", "delete", child["uuid"])
    osc_quiet(cloud, "resource", "provider", "delete", root["uuid"])


@pytest.mark.slow
def test_allocations_and_usages(sqlite_cloud):
    cloud = sqlite_cloud
    rp = osc(cloud, "resource", "provider", "create", "osc-cn2")
    osc(cloud, "resource", "provider", "inventory", "set", rp["uuid"],
        "--resource", "VCPU=4", "--resource", "MEMORY_MB=2048")
    consumer, project, user = (str(uuid.uuid4()) for _ in range(3))
    made = osc(cloud, "resource", "provider", "allocation", "set", consumer,
               "--allocation", f"rp={rp['uuid']},VCPU=2,MEMORY_MB=512",
               "--project-id", project, "--user-id", user, "--consumer-type", "INSTANCE")
    assert made[0]["resources"] == {"VCPU": 2, "MEMORY_MB": 512}
    usage = osc(cloud, "resource", "provider", "usage", "show", rp["uuid"])
    assert {u["resource_class"]: u["usage"] for u in usage} == {"VCPU": 2, "MEMORY_MB": 512}
    totals = osc(cloud, "resource", "usage", "show", project)
    # osc-placement shows 1.38's usages per consumer type in its two columns.
    assert totals == [{"resource_class": "INSTANCE",
                       "usage": {"VCPU": 2, "MEMORY_MB": 512, "consumer_count": 1}}]
    too_much = cli(cloud, "--os-cloud", "nimbus", *VERSION, "resource", "provider",
                   "allocation", "set", str(uuid.uuid4()), "--allocation",
                   f"rp={rp['uuid']},VCPU=3", "--project-id", project, "--user-id", user,
                   "--consumer-type", "INSTANCE", check=False)
    assert too_much.returncode != 0 and "409" in too_much.stderr
    osc(cloud, "resource", "provider", "allocation", "unset", consumer,
        "--provider", rp["uuid"], "--resource-class", "MEMORY_MB")
    left = osc(cloud, "resource", "provider", "allocation", "show", consumer)
    assert left[0]["resources"] == {"VCPU": 2}
    osc_quiet(cloud, "resource", "provider", "allocation", "delete", consumer)
    assert osc(cloud, "resource", "provider", "allocation", "show", consumer) == []
    osc_quiet(cloud, "resource", "provider", "delete", rp["uuid"])
