"""web-download: the import filtering rules, the address classes refused,
and fetching from a local server with redirects checked hop by hop."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from typing import Any

import pytest
from oslo_config import cfg

from nimbus.image import web_download
from nimbus.image.store import options
from nimbus.image.web_download import DownloadError, URLRefused, check_url, open_url
from tests.unit.image.local_http import LocalServer, local_server


def make_conf(**overrides: Any) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    conf.register_opts(options.IMPORT_FILTERING_OPTS, group="import_filtering_opts")
    conf([], default_config_files=[], default_config_dirs=[])
    for key, value in overrides.items():
        conf.set_override(key, value, group="import_filtering_opts")
    return conf


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


@pytest.fixture
def conf(server: LocalServer) -> cfg.ConfigOpts:
    """Allows exactly the local server."""
    return make_conf(allowed_hosts=["127.0.0.1"], allowed_ports=[server.port])


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    """name -> successive answers (the last one repeats)."""
    answers: dict[str, list[list[str]]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such host")
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(web_download, "_resolve", resolve)
    return answers


def refused(url: str, conf: cfg.ConfigOpts) -> str:
    with pytest.raises(URLRefused) as caught:
        check_url(url, conf)
    return str(caught.value)


# -- the rules -------------------------------------------------------------


def test_defaults() -> None:
    conf = make_conf()
    opts = conf.import_filtering_opts
    assert opts.allowed_schemes == ["http", "https"]
    assert opts.allowed_ports == [80, 443]
    assert opts.allowed_hosts == [] and opts.disallowed_hosts == []
    assert opts.allow_private_networks is False
    assert opts.max_redirects == 5


def test_a_public_address_passes() -> None:
    check_url("https://93.184.216.34/image.qcow2", make_conf())
    check_url("http://[2606:2800:220:1:248:1893:25c8:1946]/x", make_conf())


def test_names_are_resolved(fake_dns: dict[str, list[list[str]]]) -> None:
    fake_dns["images.example.org"] = [["93.184.216.34", "2606:2800:220:1::1"]]
    check_url("https://images.example.org/cirros.img", make_conf())
    fake_dns["sneaky.example.org"] = [["93.184.216.34", "10.1.2.3"]]
    assert "10.1.2.3 is a private address" in refused("http://sneaky.example.org/", make_conf())
    assert "does not resolve" in refused("http://unknown.example.org/", make_conf())


def test_scheme_rules() -> None:
    assert "not in allowed_schemes" in refused("ftp://93.184.216.34/x", make_conf())
    # An empty allow list leaves the deny list in charge.
    conf = make_conf(allowed_schemes=[], disallowed_schemes=["http"])
    assert "in disallowed_schemes" in refused("http://93.184.216.34/x", conf)
    check_url("https://93.184.216.34/x", conf)
    # Whatever the lists say, only http(s) can be fetched.
    conf = make_conf(allowed_schemes=["ftp"], allowed_ports=[21])
    assert "cannot be downloaded" in refused("ftp://93.184.216.34/x", conf)


def test_port_rules() -> None:
    assert "Port 8080 is not in allowed_ports" in refused("http://93.184.216.34:8080/x",
                                                         make_conf())
    check_url("http://93.184.216.34/x", make_conf())  # the scheme's port, 80
    conf = make_conf(allowed_ports=[8443])
    assert "Port 443" in refused("https://93.184.216.34/x", conf)
    conf = make_conf(allowed_ports=[], disallowed_ports=[8080])
    assert "in disallowed_ports" in refused("http://93.184.216.34:8080/x", conf)
    check_url("http://93.184.216.34:8081/x", conf)


def test_host_rules(fake_dns: dict[str, list[list[str]]]) -> None:
    fake_dns["good.example.org"] = [["93.184.216.34"]]
    fake_dns["bad.example.org"] = [["93.184.216.35"]]
    conf = make_conf(allowed_hosts=["good.example.org"])
    check_url("http://GOOD.example.org./x", conf)
    assert "not in allowed_hosts" in refused("http://bad.example.org/x", conf)
    conf = make_conf(disallowed_hosts=["bad.example.org"])
    assert "in disallowed_hosts" in refused("http://bad.example.org/x", conf)
    check_url("http://good.example.org/x", conf)
    # The allow list wins: the deny list is ignored when both are set.
    conf = make_conf(allowed_hosts=["bad.example.org"], disallowed_hosts=["bad.example.org"])
    check_url("http://bad.example.org/x", conf)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("169.254.169.254", "metadata"),
        ("[fd00:ec2::254]", "metadata"),
        ("169.254.1.1", "link-local"),
        ("[fe80::1]", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("[::]", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("[fd12:3456::1]", "private"),
        ("[64:ff9b::a00:1]", "private"),  # NAT64 of 10.0.0.1
        ("[2002:a9fe:a9fe::1]", "metadata"),  # 6to4 of 169.254.169.254
    ],
)
def test_address_classes_refused(host: str, reason: str) -> None:
    assert reason in refused(f"http://{host}/x", make_conf())


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0177.0.0.1", "0x7f.1"])
def test_numeric_host_forms_refused(host: str) -> None:
    """Shorthand, decimal, octal and hex forms of 127.0.0.1 (whichever layer
    catches them: the URL parser, the host rule or the resolved address)."""
    refused(f"http://{host}/x", make_conf(allowed_hosts=["127.0.0.1"]))
    refused(f"http://{host}/x", make_conf())


def test_localhost_name_is_loopback() -> None:
    assert "loopback" in refused("http://localhost/x", make_conf())


def test_allow_private_networks() -> None:
    conf = make_conf(allow_private_networks=True)
    check_url("http://10.0.0.1/x", conf)
    check_url("http://[fd12:3456::1]/x", conf)
    assert "loopback" in refused("http://127.0.0.1/x", conf)
    assert "metadata" in refused("http://169.254.169.254/x", conf)


def test_listed_hosts_may_be_loopback_or_private_never_link_local() -> None:
    conf = make_conf(allowed_hosts=["127.0.0.1", "10.0.0.1", "169.254.169.254", "fe80::1"])
    check_url("http://127.0.0.1/x", conf)
    check_url("http://10.0.0.1/x", conf)
    assert "metadata" in refused("http://169.254.169.254/x", conf)
    assert "link-local" in refused("http://[fe80::1]/x", conf)


def test_address_refusal_is_pure() -> None:
    ip = ipaddress.ip_address
    assert web_download.address_refusal(ip("8.8.8.8"), listed=False, allow_private=False) is None
    assert web_download.address_refusal(ip("10.0.0.1"), listed=False, allow_private=True) is None
    assert web_download.address_refusal(ip("10.0.0.1"), listed=True, allow_private=False) is None
    assert web_download.address_refusal(ip("169.254.169.254"), listed=True, allow_private=True)


@pytest.mark.parametrize("url", ["", "not a url", "http://", "http://host:99999/x", "//x/y"])
def test_malformed_urls(url: str) -> None:
    with pytest.raises(URLRefused):
        check_url(url, make_conf())


# -- fetching --------------------------------------------------------------


def test_download(server: LocalServer, conf: cfg.ConfigOpts) -> None:
    data = os.urandom(3 * 1024 * 1024 + 1)
    server.files["/cirros.img"] = data
    check_url(server.url("/cirros.img"), conf)
    body = open_url(server.url("/cirros.img"), conf)
    assert b"".join(body) == data
    assert server.requests[-1][2].get("Accept-Encoding") == "identity"


def test_loopback_server_refused_unless_listed(server: LocalServer) -> None:
    server.files["/x"] = b"secret"
    conf = make_conf(allowed_ports=[server.port])
    with pytest.raises(URLRefused, match="loopback"):
        open_url(server.url("/x"), conf)
    assert server.requests == []


def test_port_not_allowed(server: LocalServer) -> None:
    conf = make_conf(allowed_hosts=["127.0.0.1"])
    with pytest.raises(URLRefused, match="allowed_ports"):
        open_url(server.url("/x"), conf)
    assert server.requests == []


def test_redirects_are_followed(server: LocalServer, conf: cfg.ConfigOpts) -> None:
    server.files["/final"] = b"image data"
    server.redirects["/a"] = (301, "/b")
    server.redirects["/b"] = (307, server.url("/final"))
    assert b"".join(open_url(server.url("/a"), conf)) == b"image data"
    assert [path for _, path, _ in server.requests] == ["/a", "/b", "/final"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254:{port}/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]:{port}/", "metadata"),
        ("http://10.0.0.1:{port}/x", "allowed_hosts"),
        ("http://127.0.0.1:22/", "allowed_ports"),
        ("ftp://127.0.0.1:{port}/x", "allowed_schemes"),
        ("http://localhost:{port}/x", "allowed_hosts"),
    ],
)
def test_redirect_to_a_refused_url(server: LocalServer, target: str, reason: str) -> None:
    # Even listed, the metadata addresses stay refused.
    conf = make_conf(allowed_hosts=["127.0.0.1", "169.254.169.254", "fd00:ec2::254"],
                     allowed_ports=[server.port])
    server.redirects["/go"] = (302, target.format(port=server.port))
    with pytest.raises(URLRefused, match=reason):
        open_url(server.url("/go"), conf)
    assert [path for _, path, _ in server.requests] == ["/go"]


def test_too_many_redirects(server: LocalServer) -> None:
    conf = make_conf(allowed_hosts=["127.0.0.1"], allowed_ports=[server.port], max_redirects=2)
    server.redirects["/loop"] = (302, "/loop")
    with pytest.raises(DownloadError, match="redirects"):
        open_url(server.url("/loop"), conf)
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [304, 403, 404, 500, 503])
def test_error_statuses(server: LocalServer, conf: cfg.ConfigOpts, status: int) -> None:
    server.statuses["/x"] = status
    with pytest.raises(DownloadError, match=str(status)):
        open_url(server.url("/x"), conf)


def test_unreachable_server() -> None:
    with local_server() as gone:
        url, port = gone.url("/x"), gone.port
    conf = make_conf(allowed_hosts=["127.0.0.1"], allowed_ports=[port])
    with pytest.raises(DownloadError):
        open_url(url, conf)


def test_addresses_are_checked_again_at_connect(
    server: LocalServer, fake_dns: dict[str, list[list[str]]]
) -> None:
    """DNS rebinding: the name is public when checked, loopback when the
    connection is made. The connection is refused."""
    server.files["/x"] = b"secret"
    fake_dns["rebind.example.org"] = [["93.184.216.34"], ["127.0.0.1"]]
    conf = make_conf(allowed_ports=[server.port])
    url = f"http://rebind.example.org:{server.port}/x"
    check_url(url, conf)
    with pytest.raises(URLRefused, match="loopback"):
        open_url(url, conf)
    assert server.requests == []


def test_connects_to_the_checked_address(
    server: LocalServer, fake_dns: dict[str, list[list[str]]]
) -> None:
    server.files["/x"] = b"by name"
    fake_dns["mirror.internal"] = [["127.0.0.1"]]
    conf = make_conf(allowed_hosts=["mirror.internal"], allowed_ports=[server.port])
    assert b"".join(open_url(f"http://mirror.internal:{server.port}/x", conf)) == b"by name"
    assert server.requests[-1][2].get("Host") == f"mirror.internal:{server.port}"
