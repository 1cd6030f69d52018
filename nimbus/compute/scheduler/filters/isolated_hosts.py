"""IsolatedHostsFilter: some images only on some hosts ([filter_scheduler]
isolated_images and isolated_hosts), and, when
restrict_isolated_hosts_to_isolated_images, those hosts only for those images."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)


class IsolatedHostsFilter(Filter):
    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        options = self.conf.filter_scheduler
        isolated_hosts = set(options.isolated_hosts)
        isolated_images = set(options.isolated_images)
        restrict = bool(options.restrict_isolated_hosts_to_isolated_images)
        host_isolated = host.host in isolated_hosts
        if not isolated_images:
            passed = not restrict or not host_isolated
        else:
            image_isolated = state.spec.image.id in isolated_images
            passed = (image_isolated == host_isolated if restrict
                      else not image_isolated or host_isolated)
        if passed:
            return PASS
        return reject(f"{host.host} is {'' if host_isolated else 'not '}an isolated host "
                      "for this image")
