"""The comparison language of flavor extra specs against host values, as Nova's
AggregateInstanceExtraSpecsFilter reads it.

A requirement is a plain string (equality) or starts with an operator:
``= N`` (at least N), ``== N``, ``!= N``, ``>= N``, ``<= N`` (numbers),
``s== s!= s< s<= s> s>=`` (strings), ``<in> sub`` (substring), ``<all-in> a b``
(every word), ``<or> a <or> b`` (any of).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any


def _number(fn: Callable[[float, float], bool]) -> Callable[[str, Any], bool]:
    return lambda value, wanted: fn(float(value), float(wanted))


OPERATORS: dict[str, Callable[[str, Any], bool]] = {
    "=": _number(operator.ge),
    "==": _number(operator.eq),
    "!=": _number(operator.ne),
    ">=": _number(operator.ge),
    "<=": _number(operator.le),
    "<in>": lambda value, wanted: wanted in value,
    "<all-in>": lambda value, wanted: all(w in value for w in wanted),
    "s==": operator.eq, "s!=": operator.ne, "s<": operator.lt, "s<=": operator.le,
    "s>": operator.gt, "s>=": operator.ge,
}


def match(value: str | None, requirement: str) -> bool:
    """Whether a host's `value` meets `requirement`; a number operator on a
    value that is no number does not match."""
    words = requirement.split()
    op = words.pop(0) if words else None
    if op != "<or>" and op not in OPERATORS:
        return value == requirement
    if value is None:
        return False
    if op == "<or>":
        choices = [w for i, w in enumerate(words) if i % 2 == 0]
        return value in choices
    if not words:
        return False
    try:
        if op == "<all-in>":
            return OPERATORS[op](value, words)
        return OPERATORS[str(op)](value, words[0])
    except ValueError:
        return False
