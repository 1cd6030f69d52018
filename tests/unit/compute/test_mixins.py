"""The compute managers are made of mixins, one per family of operations; a
method two mixins both define would silently shadow one of them (a merge of
two families once did), so no method name may be defined twice."""

from __future__ import annotations

import inspect
from collections import defaultdict

import pytest

from nimbus.compute.agent.manager import ComputeManager
from nimbus.compute.conductor.manager import ConductorManager


@pytest.mark.parametrize("manager", [ComputeManager, ConductorManager])
def test_no_method_is_defined_by_two_mixins(manager: type) -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for cls in manager.__mro__:
        if cls is object:
            continue
        for name, value in vars(cls).items():
            if inspect.isfunction(value) or isinstance(value, (staticmethod, classmethod)):
                owners[name].append(cls.__name__)
    clashes = {name: found for name, found in owners.items()
               if len(found) > 1 and name != "__init__"}
    assert clashes == {}
