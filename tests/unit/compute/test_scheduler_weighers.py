"""Scheduler weighers: raw weights, normalization and multipliers (per aggregate too)."""

from __future__ import annotations

from nimbus.compute.scheduler import framework
from nimbus.compute.scheduler.weighers.affinity import (
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
)
from nimbus.compute.scheduler.weighers.load import IoOpsWeigher, NumInstancesWeigher
from nimbus.compute.scheduler.weighers.resources import BuildFailureWeigher, RAMWeigher
from tests.unit.compute.scheduling import aggregate, conf, group, host, state

CONF = conf()


def ranked(weighers: list[framework.Weigher], hosts: list[framework.HostState],
           the_state: framework.SchedulingState) -> list[str]:
    """The order Nova's weighing gives: normalized weights times multipliers, summed."""
    totals = [0.0] * len(hosts)
    for weigher in weighers:
        raw = [weigher.weigh(h, the_state) for h in hosts]
        for i, value in enumerate(framework.normalize(raw, weigher.minval, weigher.maxval)):
            totals[i] += weigher.multiplier(hosts[i]) * value
    return [h.host for _, h in sorted(zip(totals, hosts, strict=True), key=lambda p: -p[0])]


def test_normalize_with_and_without_bounds() -> None:
    assert framework.normalize([2.0, 4.0, 6.0]) == [0.0, 0.5, 1.0]
    assert framework.normalize([5.0, 5.0]) == [0.0, 0.0]
    assert framework.normalize([5.0, 5.0], minval=0) == [1.0, 1.0]
    assert framework.normalize([0.0, 2.0], minval=0, maxval=4) == [0.0, 0.5]


def test_every_weigher_is_a_registered_plugin() -> None:
    names = framework.available(framework.WEIGHERS_GROUP)
    for name in ("IoOpsWeigher", "NumInstancesWeigher", "ServerGroupSoftAffinityWeigher",
                 "ServerGroupSoftAntiAffinityWeigher", "BuildFailureWeigher"):
        assert name in names
    assert [w.name for w in framework.load_weighers(CONF, names)] == names


def test_soft_affinity_weighers_follow_the_group() -> None:
    hosts = [host("host-1"), host("host-2"), host("host-3")]
    members = {"m1": "host-2", "m2": "host-2", "m3": "host-3"}
    soft = state(group=group("soft-affinity", members))
    assert ranked([ServerGroupSoftAffinityWeigher(CONF)], hosts, soft)[0] == "host-2"
    spread = state(group=group("soft-anti-affinity", members))
    assert ranked([ServerGroupSoftAntiAffinityWeigher(CONF)], hosts, spread)[0] == "host-1"
    # A weigher of the other policy, or no group, weighs nothing.
    assert ServerGroupSoftAffinityWeigher(CONF).weigh(hosts[1], spread) == 0
    assert ServerGroupSoftAntiAffinityWeigher(CONF).weigh(hosts[1], state()) == 0


def test_io_ops_and_num_instances_weighers() -> None:
    hosts = [host("busy", num_io_ops=5, num_instances=9), host("calm", num_io_ops=1,
                                                               num_instances=1)]
    assert ranked([IoOpsWeigher(CONF)], hosts, state())[0] == "calm"  # multiplier -1
    assert NumInstancesWeigher(CONF).multiplier(hosts[0]) == 0.0  # off by default
    stack = conf(filter_scheduler={"num_instances_weight_multiplier": 1.0})
    assert ranked([NumInstancesWeigher(stack)], hosts, state())[0] == "busy"


def test_multipliers_per_aggregate() -> None:
    """An aggregate's metadata overrides the option; the smallest value wins."""
    weigher = RAMWeigher(CONF)
    stacking = host("host-1", aggregates=[aggregate(ram_weight_multiplier="-2.0"),
                                          aggregate(ram_weight_multiplier="3")])
    assert weigher.multiplier(stacking) == -2.0
    assert weigher.multiplier(host("host-2")) == 1.0
    assert weigher.multiplier(host("host-3", aggregates=[aggregate(
        ram_weight_multiplier="lots")])) == 1.0
    roomy = host("roomy", capacity={"MEMORY_MB": 4096}, aggregates=stacking.aggregates)
    tight = host("tight", capacity={"MEMORY_MB": 1024})
    # roomy would win on free RAM, but its aggregate stacks.
    assert ranked([weigher], [roomy, tight], state())[0] == "tight"


def test_build_failures_push_a_host_back() -> None:
    hosts = [host("failing", failed_builds=3), host("fine")]
    assert ranked([RAMWeigher(CONF), BuildFailureWeigher(CONF)], hosts, state())[0] == "fine"
