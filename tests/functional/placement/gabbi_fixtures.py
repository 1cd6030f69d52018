"""The fixtures upstream Placement's gabbits name, rebuilt over HTTP.

Each YAML file names one fixture class (``fixtures: [AllocationFixture]``).
Upstream builds them in-process with placement's objects; here each one
starts a fresh placement server on the port reserved for the file (Nimbus by
default, upstream Placement with ``NIMBUS_GABBITS_TARGET=upstream:/venv``; the
targets are in tests/support/placement_gabbits.py),
configured as upstream's fixture configures its app, then creates the same
providers, inventories, traits, aggregates and allocations through the
placement API and exports the same environment variables.

Where the API and the in-process objects differ, the requests are chosen to
leave what the objects leave: aggregates are set at microversion 1.18, which
does not bump the provider generation (``set_aggregates`` does not), and
allocations at 1.37, which records no consumer type.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
from gabbi import fixture

from tests.support.placement_gabbits import (
    FixtureError,
    PortReservation,
    Server,
    Settings,
    target,
)

ADMIN_HEADERS = {
    "x-auth-token": "admin",
    "openstack-api-version": "placement latest",
    "accept": "application/json",
}
AGGREGATES_WITHOUT_GENERATION = "1.18"
ALLOCATIONS_WITHOUT_CONSUMER_TYPE = "1.37"


# Ports: the harness reserves one per YAML file when it builds the tests
# (gabbi bakes host and port into them) and hands it over before starting
# the file's fixture.
_next_port: PortReservation | None = None


def use_port(reservation: PortReservation) -> None:
    """The port the next fixture's server listens on."""
    global _next_port
    _next_port = reservation


def _take_port() -> int:
    global _next_port
    if _next_port is None:
        raise FixtureError("no port reserved for this gabbi file (see test_gabbits.py)")
    reservation, _next_port = _next_port, None
    return reservation.release()


# Building topologies through the API.

class Api:
    """An admin's placement client that fails loudly."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, headers=ADMIN_HEADERS, timeout=30)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: Any = None, version: str = "latest") -> Any:
        headers = {"openstack-api-version": f"placement {version}"}
        if body is not None:
            headers["content-type"] = "application/json"
        response = self.http.request(method, path, headers=headers,
                                     content=None if body is None else orjson.dumps(body))
        if response.status_code >= 300:
            raise FixtureError(f"{method} {path} (placement {version}) -> "
                               f"{response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def generation(self, rp: str) -> int:
        return int(self.call("GET", f"/resource_providers/{rp}")["generation"])

    def create_provider(self, name: str, *aggregates: str, parent: str | None = None,
                        rp_uuid: str | None = None) -> str:
        rp_uuid = rp_uuid or str(uuid.uuid4())
        body: dict[str, Any] = {"name": name, "uuid": rp_uuid}
        if parent:
            body["parent_provider_uuid"] = parent
        self.call("POST", "/resource_providers", body)
        if aggregates:
            self.set_aggregates(rp_uuid, *aggregates)
        return rp_uuid

    def set_aggregates(self, rp: str, *aggregates: str) -> None:
        self.call("PUT", f"/resource_providers/{rp}/aggregates", list(aggregates),
                  version=AGGREGATES_WITHOUT_GENERATION)

    def ensure_resource_class(self, name: str) -> None:
        if name.startswith("CUSTOM_"):
            self.call("PUT", f"/resource_classes/{name}")

    def add_inventory(self, rp: str, resource_class: str, total: int, **fields: Any) -> None:
        self.ensure_resource_class(resource_class)
        body = {"resource_class": resource_class, "total": total, "max_unit": total, **fields,
                "resource_provider_generation": self.generation(rp)}
        self.call("POST", f"/resource_providers/{rp}/inventories", body)

    def set_traits(self, rp: str, *traits: str) -> None:
        for trait in traits:
            if trait.startswith("CUSTOM_"):
                self.call("PUT", f"/traits/{trait}")
        self.call("PUT", f"/resource_providers/{rp}/traits",
                  {"traits": list(traits), "resource_provider_generation": self.generation(rp)})

    def allocate(self, consumer: str, rp: str, resources: Mapping[str, int],
                 project_id: str, user_id: str) -> None:
        self.call("PUT", f"/allocations/{consumer}", {
            "allocations": {rp: {"resources": dict(resources)}},
            "project_id": project_id, "user_id": user_id, "consumer_generation": None,
        }, version=ALLOCATIONS_WITHOUT_CONSUMER_TYPE)


def new_uuid() -> str:
    return str(uuid.uuid4())


# The fixtures, by upstream's class names.

class APIFixture(fixture.GabbiFixture):  # type: ignore[misc]
    """A fresh placement with nothing in it, and the usual identifiers."""

    secure_rbac = False

    def settings(self) -> Settings:
        return Settings(groups={"oslo_policy": {"enforce_new_defaults": self.secure_rbac}})

    def start_fixture(self) -> None:
        self._saved_env: dict[str, str | None] = {}
        self.workdir = tempfile.mkdtemp(prefix="nimbus-gabbi-")
        self.server: Server | None = None
        self.api: Api | None = None
        try:
            self.server = target().start(_take_port(), self.settings(), self.workdir)
            self.api = Api(self.server.url)
            for name in ("RP_UUID", "RP_NAME", "RP_UUID1", "RP_NAME1", "RP_UUID2", "RP_NAME2",
                         "PROJECT_ID", "ADMIN_PROJECT_ID", "SERVICE_PROJECT_ID", "USER_ID",
                         "PROJECT_ID_ALT", "USER_ID_ALT", "INSTANCE_UUID", "MIGRATION_UUID",
                         "CONSUMER_UUID", "PARENT_PROVIDER_UUID", "ALT_PARENT_PROVIDER_UUID"):
                self.env(name, new_uuid())
            self.env("CUSTOM_RES_CLASS", "CUSTOM_IRON_NFV")
            self.env("CUSTOM_RES_CLASS1", "CUSTOM_IRON_NFV1")
            self.env("CUSTOM_RES_CLASS2", "CUSTOM_IRON_NFV2")
            self.populate(self.api)
        except BaseException:
            self.stop_fixture()
            raise

    def populate(self, api: Api) -> None:
        """Create the fixture's topology."""

    def env(self, name: str, value: str) -> str:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value
        return value

    def stop_fixture(self) -> None:
        if self.api is not None:
            self.api.close()
        if self.server is not None:
            self.server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LegacyRBACPolicyFixture(APIFixture):
    """The deprecated (admin-only) policy defaults."""

    secure_rbac = False


class SecureRBACPolicyFixture(APIFixture):
    """The new policy defaults: personas and scope."""

    secure_rbac = True


class OpenPolicyFixture(APIFixture):
    """Every rule but the base ``admin_api`` opened to anyone."""

    def settings(self) -> Settings:
        settings = super().settings()
        settings.policy_rules = {name: "@" for name in target().policy_rule_names()
                                 if name != "admin_api"}
        return settings


class CORSFixture(APIFixture):
    """CORS on for one origin."""

    def settings(self) -> Settings:
        settings = super().settings()
        settings.groups["cors"] = {"allowed_origin": ["http://valid.example.com"],
                                   "allow_headers": ["openstack-api-version"]}
        return settings



class AllocationFixture(APIFixture):
    """One provider (VCPU 10, DISK_GB 2048) used by three consumers: two of
    USER_ID (DISK_GB 1000; VCPU 6), one of ALT_USER_ID (DISK_GB 20, VCPU 1),
    all in PROJECT_ID."""

    def populate(self, api: Api) -> None:
        project, user = os.environ["PROJECT_ID"], os.environ["USER_ID"]
        alt_user = self.env("ALT_USER_ID", new_uuid())
        rp = api.create_provider(os.environ["RP_NAME"], rp_uuid=os.environ["RP_UUID"])
        api.add_inventory(rp, "DISK_GB", 2048, step_size=10, min_unit=10, max_unit=1000)
        api.add_inventory(rp, "VCPU", 10, max_unit=10)
        for var, owner, resources in (
            ("CONSUMER_0", user, {"DISK_GB": 1000}),
            ("CONSUMER_ID", user, {"VCPU": 6}),
            ("ALT_CONSUMER_ID", alt_user, {"DISK_GB": 20, "VCPU": 1}),
        ):
            api.allocate(self.env(var, new_uuid()), rp, resources, project, owner)
        # A provider the tests create themselves.
        self.env("ALT_RP_UUID", new_uuid())
        self.env("ALT_RP_NAME", new_uuid())


class SharedStorageFixture(APIFixture):
    """Two compute nodes and two sharing DISK_GB providers in one aggregate;
    cn1 has no disk, cn2 has its own; each has two NUMA children with a PF
    child of SRIOV_NET_VF 8."""

    def populate(self, api: Api) -> None:
        agg = self.env("AGG_UUID", new_uuid())
        roots = {name: api.create_provider(name, agg) for name in ("cn1", "cn2", "ss", "ss2")}
        numas = {f"{cn}_{i}": api.create_provider(f"numa{cn}_{i}", parent=roots[f"cn{cn}"])
                 for cn in (1, 2) for i in (1, 2)}
        pfs = {key: api.create_provider(f"pf{key}", parent=numa) for key, numa in numas.items()}
        for name, rp in roots.items():
            self.env(f"{name.upper()}_UUID", rp)
        for key in numas:
            self.env(f"NUMA{key}_UUID", numas[key])
            self.env(f"PF{key}_UUID", pfs[key])
        for cn in ("cn1", "cn2"):
            api.add_inventory(roots[cn], "VCPU", 24, allocation_ratio=16.0)
            api.add_inventory(roots[cn], "MEMORY_MB", 128 * 1024, allocation_ratio=1.5)
        api.set_traits(roots["cn1"], "HW_CPU_X86_SSE", "HW_CPU_X86_SSE2")
        api.add_inventory(roots["cn2"], "DISK_GB", 2000, reserved=100, allocation_ratio=1.0)
        for shared in ("ss", "ss2"):
            api.add_inventory(roots[shared], "DISK_GB", 2000, reserved=100, allocation_ratio=1.0)
            api.set_traits(roots[shared], "MISC_SHARES_VIA_AGGREGATE")
        for pf in pfs.values():
            api.add_inventory(pf, "SRIOV_NET_VF", 8, allocation_ratio=1.0)


class NUMAAggregateFixture(APIFixture):
    """Two resourceless compute nodes (cn1 in aggA; cn2 in aggA and aggB),
    each with two NUMA children of VCPU 24; sharing DISK_GB ss1 in aggA, and
    ss2 in aggC with numa1_1 only."""

    def populate(self, api: Api) -> None:
        agg_a, agg_b, agg_c = (self.env(f"AGG{x}_UUID", new_uuid()) for x in "ABC")
        cn1 = self.env("CN1_UUID", api.create_provider("cn1", agg_a))
        cn2 = self.env("CN2_UUID", api.create_provider("cn2", agg_a, agg_b))
        ss1 = self.env("SS1_UUID", api.create_provider("ss1", agg_a))
        ss2 = self.env("SS2_UUID", api.create_provider("ss2", agg_c))
        numas = [
            self.env("NUMA1_1_UUID", api.create_provider("numa1_1", agg_c, parent=cn1)),
            self.env("NUMA1_2_UUID", api.create_provider("numa1_2", parent=cn1)),
            self.env("NUMA2_1_UUID", api.create_provider("numa2_1", parent=cn2)),
            self.env("NUMA2_2_UUID", api.create_provider("numa2_2", parent=cn2)),
        ]
        for numa in numas:
            api.add_inventory(numa, "VCPU", 24, allocation_ratio=16.0)
        for shared in (ss1, ss2):
            api.add_inventory(shared, "DISK_GB", 2000, reserved=100, allocation_ratio=1.0)
            api.set_traits(shared, "MISC_SHARES_VIA_AGGREGATE")


class NUMANetworkFixture(APIFixture):
    """cn1: no inventory, two NUMA nodes (VCPU, MEMORY_MB, 2 VCPU used on
    numa0) with FPGA / VGPU children, an SR-IOV agent with two bandwidth
    devices and an OVS agent with a bridge. cn2: VCPU (3 used), MEMORY_MB,
    DISK_GB and three NICs with PF children of CUSTOM_VF on two physnets.
    ss1 shares DISK_GB with both through aggA."""

    project, user = "numafx-project", "numafx-user"

    def populate(self, api: Api) -> None:
        self.make_roots(api)
        agg = self.env("AGGA_UUID", new_uuid())
        ss1 = self.env("SS1_UUID", api.create_provider("ss1", agg))
        api.set_traits(ss1, "MISC_SHARES_VIA_AGGREGATE")
        api.add_inventory(ss1, "DISK_GB", 2000)
        self.make_cn1(api, agg)
        self.make_cn2(api, agg)

    def make_roots(self, api: Api) -> None:
        self.cn1: str | None = None
        self.cn2: str | None = None

    def make_cn1(self, api: Api, agg: str) -> None:
        cn1 = self.cn1 or api.create_provider("cn1", agg)
        api.set_aggregates(cn1, agg)
        api.set_traits(cn1, "COMPUTE_VOLUME_MULTI_ATTACH")
        self.env("CN1_UUID", cn1)
        numas = []
        for i, traits in ((0, ["HW_NUMA_ROOT"]), (1, ["HW_NUMA_ROOT", "CUSTOM_FOO"])):
            numa = self.env(f"NUMA{i}_UUID", api.create_provider(f"numa{i}", parent=cn1))
            api.set_traits(numa, *traits)
            api.add_inventory(numa, "VCPU", 4)
            numas.append(numa)
        api.add_inventory(numas[0], "MEMORY_MB", 2048, min_unit=512, step_size=256)
        api.add_inventory(numas[1], "MEMORY_MB", 2048, min_unit=256, max_unit=1024)
        api.allocate(new_uuid(), numas[0], {"VCPU": 2}, self.project, self.user)
        for var, name, parent, resource_class, total in (
            ("FPGA0_UUID", "fpga0", numas[0], "FPGA", 1),
            ("PGPU0_UUID", "pgpu0", numas[0], "VGPU", 8),
            ("FPGA1_0_UUID", "fpga1_0", numas[1], "FPGA", 1),
            ("FPGA1_1_UUID", "fpga1_1", numas[1], "FPGA", 1),
        ):
            device = self.env(var, api.create_provider(name, parent=parent))
            api.add_inventory(device, resource_class, total)
        agent = self.env("SRIOV_AGENT_UUID", api.create_provider("sriov_agent", parent=cn1))
        api.set_traits(agent, "CUSTOM_VNIC_TYPE_DIRECT")
        for i in (1, 2):
            esn = self.env(f"ESN{i}_UUID", api.create_provider(f"esn{i}", parent=agent))
            api.set_traits(esn, f"CUSTOM_PHYSNET{i}")
            api.add_inventory(esn, "NET_BW_EGR_KILOBIT_PER_SEC", 10000 * i)
        agent = self.env("OVS_AGENT_UUID", api.create_provider("ovs_agent", parent=cn1))
        api.set_traits(agent, "CUSTOM_VNIC_TYPE_NORMAL")
        bridge = self.env("BR_INT_UUID", api.create_provider("br_int", parent=agent))
        api.set_traits(bridge, "CUSTOM_PHYSNET0")
        api.add_inventory(bridge, "NET_BW_EGR_KILOBIT_PER_SEC", 1000)

    def make_cn2(self, api: Api, agg: str) -> None:
        cn2 = self.cn2 or api.create_provider("cn2")
        api.set_aggregates(cn2, agg)
        api.add_inventory(cn2, "VCPU", 8)
        api.allocate(new_uuid(), cn2, {"VCPU": 3}, self.project, self.user)
        api.add_inventory(cn2, "MEMORY_MB", 2048, min_unit=1024, step_size=128)
        api.add_inventory(cn2, "DISK_GB", 1000)
        api.set_traits(cn2, "CUSTOM_FOO")
        self.env("CN2_UUID", cn2)
        nics = []
        for i in (1, 2, 3):
            nic = self.env(f"NIC{i}_UUID", api.create_provider(f"nic{i}", parent=cn2))
            api.set_traits(nic, "CUSTOM_HW_NIC_ROOT")
            nics.append(nic)
        # (nic, PF suffix, physnet, VFs)
        pfs = [(0, "1_1", 1, 4), (0, "1_2", 2, 4)]
        pfs += [(1, f"2_{i}", 2 - i % 2, 2) for i in (1, 2, 3, 4)]
        pfs += [(2, "3_1", 1, 8)]
        for index, suffix, physnet, vfs in pfs:
            pf = self.env(f"PF{suffix}_UUID",
                          api.create_provider(f"pf{suffix}", parent=nics[index]))
            api.set_traits(pf, f"CUSTOM_PHYSNET{physnet}")
            api.add_inventory(pf, "CUSTOM_VF", vfs)


class DeepNUMANetworkFixture(NUMANetworkFixture):
    """NUMANetworkFixture with cn1 and cn2 under parents p1 and p2, both under gp1."""

    def make_roots(self, api: Api) -> None:
        grandparent = api.create_provider("gp1")
        parents = [api.create_provider(name, parent=grandparent) for name in ("p1", "p2")]
        self.cn1 = api.create_provider("cn1", parent=parents[0])
        self.cn2 = api.create_provider("cn2", parent=parents[1])


class NonSharedStorageFixture(APIFixture):
    """Three compute nodes with VCPU, MEMORY_MB and local DISK_GB, in no aggregate."""

    def populate(self, api: Api) -> None:
        for x in "ABC":
            self.env(f"AGG{x}_UUID", new_uuid())
        nodes = [self.env(f"CN{i}_UUID", api.create_provider(f"cn{i}")) for i in (1, 2, 3)]
        for cn in nodes:
            api.add_inventory(cn, "VCPU", 24)
            api.add_inventory(cn, "MEMORY_MB", 128 * 1024)
            api.add_inventory(cn, "DISK_GB", 2000)


class GranularFixture(APIFixture):
    """Three compute nodes of different resources and traits (cn_left in
    aggA; cn_middle in aggA, aggB; cn_right in aggB, aggC) and three sharing
    providers (shr_disk_1 in aggA; shr_disk_2 in aggA, aggB; shr_net in aggC)."""

    def populate(self, api: Api) -> None:
        api.ensure_resource_class("CUSTOM_NET_MBPS")
        agg_a, agg_b, agg_c = (self.env(f"AGG{x}", new_uuid()) for x in "ABC")
        shares = "MISC_SHARES_VIA_AGGREGATE"
        # (env var and name, aggregates, inventories, traits)
        providers: list[tuple[str, tuple[str, ...], list[tuple[str, int, dict[str, int]]],
                              list[str]]] = [
            ("cn_left", (agg_a,),
             [("VCPU", 8, {}), ("MEMORY_MB", 4096, {}), ("DISK_GB", 500, {}), ("VGPU", 8, {}),
              ("SRIOV_NET_VF", 8, {}), ("CUSTOM_NET_MBPS", 4000, {})],
             ["HW_CPU_X86_AVX", "HW_CPU_X86_AVX2", "HW_GPU_API_DXVA", "HW_NIC_DCB_PFC",
              "CUSTOM_FOO"]),
            ("cn_middle", (agg_a, agg_b),
             [("VCPU", 8, {}), ("MEMORY_MB", 4096, {}), ("SRIOV_NET_VF", 8, {}),
              ("CUSTOM_NET_MBPS", 4000, {})],
             ["HW_CPU_X86_AVX", "HW_CPU_X86_AVX2", "HW_CPU_X86_SSE", "HW_NIC_ACCEL_TLS"]),
            ("cn_right", (agg_b, agg_c),
             [("VCPU", 8, {}), ("MEMORY_MB", 4096, {}), ("DISK_GB", 500, {}),
              ("VGPU", 8, {"max_unit": 2})],
             ["HW_CPU_X86_MMX", "HW_GPU_API_DXVA", "CUSTOM_DISK_SSD"]),
            ("shr_disk_1", (agg_a,), [("DISK_GB", 1000, {})], [shares, "CUSTOM_DISK_SSD"]),
            ("shr_disk_2", (agg_a, agg_b), [("DISK_GB", 1000, {})], [shares]),
            ("shr_net", (agg_c,), [("SRIOV_NET_VF", 16, {}), ("CUSTOM_NET_MBPS", 40000, {})],
             [shares]),
        ]
        for name, aggregates, inventories, traits in providers:
            rp = self.env(name.upper(), api.create_provider(name, *aggregates))
            for resource_class, total, extra in inventories:
                api.add_inventory(rp, resource_class, total, **extra)
            api.set_traits(rp, *traits)


class NeutronQoSMultiSegmentFixture(APIFixture):
    """Four compute trees as Neutron reports them with minimum bandwidth and
    packet rate QoS: compute -> OVS agent (packet rate) -> bridges
    (bandwidth, physnet) and compute -> SR-IOV agent -> PFs (bandwidth,
    physnet). compute0 is on another physnet; compute1 on segment 1;
    compute2 on segment 2; compute3 on both, with little bandwidth."""

    # Per compute: bridges and PFs as (name, env suffix, bandwidth, physnet).
    LAYOUT = {
        0: ([("br-ex", "br_ex", 5000, "OTHER")], [("enp129s0f0", "pf0", 10000, "OTHER")]),
        1: ([("br-ex", "br_ex", 5000, "MSN_S1")], [("enp129s0f0", "pf0", 10000, "MSN_S1")]),
        2: ([("br-ex", "br_ex", 5000, "MSN_S2")], [("enp129s0f0", "pf0", 10000, "MSN_S2")]),
        3: ([("br-ex", "br_ex", 1000, "MSN_S1"), ("br-ex2", "br_ex2", 1000, "MSN_S2")],
            [("enp129s0f0", "pf0", 1000, "MSN_S1"), ("enp129s0f1", "pf1", 1000, "MSN_S2")]),
    }
    SRIOV_TRAITS = ("CUSTOM_VNIC_TYPE_DIRECT", "CUSTOM_VNIC_TYPE_DIRECT_PHYSICAL",
                    "CUSTOM_VNIC_TYPE_MACVTAP")

    def populate(self, api: Api) -> None:
        for i, (bridges, pfs) in self.LAYOUT.items():
            name = f"compute{i}"
            compute = self.env(name, api.create_provider(name))
            for resource_class, total in (("VCPU", 8), ("MEMORY_MB", 4096), ("DISK_GB", 500)):
                api.add_inventory(compute, resource_class, total)
            ovs = self.env(f"{name}:ovs_agent", api.create_provider(
                f"{name}:Open vSwitch agent", parent=compute))
            api.add_inventory(ovs, "NET_PACKET_RATE_KILOPACKET_PER_SEC", 1000)
            api.set_traits(ovs, "CUSTOM_VNIC_TYPE_NORMAL")
            for device, var, bandwidth, physnet in bridges:
                rp = self.env(f"{name}:{var}", api.create_provider(
                    f"{name}:Open vSwitch agent:{device}", parent=ovs))
                self.add_bandwidth(api, rp, bandwidth)
                api.set_traits(rp, "CUSTOM_VNIC_TYPE_NORMAL", f"CUSTOM_PHYSNET_{physnet}")
            sriov = self.env(f"{name}:sriov_agent", api.create_provider(
                f"{name}:NIC Switch agent", parent=compute))
            api.set_traits(sriov, *self.SRIOV_TRAITS)
            for device, var, bandwidth, physnet in pfs:
                rp = self.env(f"{name}:{var}", api.create_provider(
                    f"{name}:NIC Switch agent:{device}", parent=sriov))
                self.add_bandwidth(api, rp, bandwidth)
                api.set_traits(rp, *self.SRIOV_TRAITS, f"CUSTOM_PHYSNET_{physnet}")

    @staticmethod
    def add_bandwidth(api: Api, rp: str, kbps: int) -> None:
        api.add_inventory(rp, "NET_BW_EGR_KILOBIT_PER_SEC", kbps)
        api.add_inventory(rp, "NET_BW_IGR_KILOBIT_PER_SEC", kbps)
