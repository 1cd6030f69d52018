"""The generated references in docs/ match the code (run `make docs` after a change)."""

from __future__ import annotations

import io
import pathlib

from nimbus.cmd import samples

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def test_configuration_reference_is_current():
    out = io.StringIO()
    samples.config_reference(out, libraries=False)
    assert (DOCS / "configuration.md").read_text().startswith(out.getvalue()), \
        "docs/configuration.md is stale: run `make docs`"


def test_policy_reference_is_current():
    out = io.StringIO()
    samples.policy_reference(out)
    assert (DOCS / "policy.md").read_text() == out.getvalue(), \
        "docs/policy.md is stale: run `make docs`"
