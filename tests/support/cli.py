"""The real `openstack` CLI, run as a subprocess against a running cloud."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

OPENSTACK = shutil.which("openstack", path=os.path.dirname(sys.executable))


def cli(cloud: Any, *args: str, env: dict[str, str] | None = None, check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    """Run `openstack *args` with the cloud's clouds.yaml (or `env`)."""
    assert OPENSTACK, "python-openstackclient is not installed"
    base_env = {"PATH": os.environ["PATH"], "HOME": cloud.data_dir,
                "OS_CLIENT_CONFIG_FILE": cloud.clouds_yaml}
    result = subprocess.run([OPENSTACK, *args], capture_output=True, text=True, timeout=120,
                            env=env or base_env)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def as_json(cloud: Any, *args: str) -> Any:
    """`openstack --os-cloud nimbus *args -f json`, parsed."""
    return json.loads(cli(cloud, "--os-cloud", "nimbus", *args, "-f", "json").stdout)
