"""Fetching image data from a user-given URL (the web-download import) safely.

The URL passes Glance's [import_filtering_opts] scheme, host and port lists,
then every address its host resolves to is checked: loopback, link-local
(the cloud metadata service lives there), unspecified, multicast, reserved and
private addresses are refused, so a user cannot make the image service reach
into the cloud's own networks. The check runs again when the connection is
made, on the addresses actually connected to, so a name that resolves
differently the second time (DNS rebinding) gains nothing; and redirects are
followed by hand, each target checked like the first URL.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx
from oslo_config import cfg

LOG = logging.getLogger(__name__)

FETCHABLE_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services answer here; refused whatever the configuration says.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class URLRefused(Exception):
    """The URL breaks an import filtering rule; the message names the rule."""


class DownloadError(Exception):
    """The download failed: bad status, too many redirects, network error."""


def _opts(conf: cfg.ConfigOpts) -> Any:
    return conf.import_filtering_opts


def _normal_host(host: str) -> str:
    """A host as allow and deny lists compare it: IPs in canonical form, names
    lower case without a trailing dot."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _parse(url: str | httpx.URL) -> tuple[httpx.URL, str, str, int]:
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise URLRefused(f"Invalid URL: {exc}") from None
    scheme = parsed.scheme.lower()
    if not scheme or not parsed.host:
        raise URLRefused("The URL needs a scheme and a host.")
    # raw_host: the ASCII (IDNA) form, as the connection layer sees it.
    host = _normal_host(parsed.raw_host.decode("ascii"))
    return parsed, scheme, host, port or DEFAULT_PORTS.get(scheme, 0)


def _check_lists(scheme: str, host: str, port: int, opts: Any) -> None:
    """Glance's rules: an allow list, when set, wins and its deny list is ignored."""
    if opts.allowed_schemes:
        if scheme not in opts.allowed_schemes:
            raise URLRefused(f"Scheme {scheme!r} is not in allowed_schemes.")
    elif scheme in opts.disallowed_schemes:
        raise URLRefused(f"Scheme {scheme!r} is in disallowed_schemes.")
    if scheme not in FETCHABLE_SCHEMES:
        raise URLRefused(f"Scheme {scheme!r} cannot be downloaded from (only http, https).")
    if opts.allowed_hosts:
        if host not in {_normal_host(h) for h in opts.allowed_hosts}:
            raise URLRefused(f"Host {host!r} is not in allowed_hosts.")
    elif host in {_normal_host(h) for h in opts.disallowed_hosts}:
        raise URLRefused(f"Host {host!r} is in disallowed_hosts.")
    if opts.allowed_ports:
        if port not in opts.allowed_ports:
            raise URLRefused(f"Port {port} is not in allowed_ports.")
    elif port in opts.disallowed_ports:
        raise URLRefused(f"Port {port} is in disallowed_ports.")


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64, Teredo)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_refusal(ip: IPAddress, *, listed: bool, allow_private: bool) -> str | None:
    """Why ip may not be fetched from, or None. `listed`: the host was named
    in allowed_hosts, which lifts the loopback and private refusals only."""
    inner = _embedded_v4(ip)
    if inner is not None:
        reason = address_refusal(inner, listed=listed, allow_private=allow_private)
        return reason and f"{reason} (inside {ip})"
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a metadata service address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_unspecified:
        return f"{ip} is an unspecified address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_loopback:
        return None if listed else f"{ip} is a loopback address"
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if not ip.is_global and not listed and not allow_private:
        return f"{ip} is a private address"
    return None


def _resolve(host: str, port: int) -> list[str]:
    """Every address host resolves to (a seam for tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int, conf: cfg.ConfigOpts) -> list[str]:
    """The addresses of host, when every one of them may be fetched from;
    otherwise URLRefused."""
    opts = _opts(conf)
    host = _normal_host(host)
    listed = host in {_normal_host(h) for h in opts.allowed_hosts}
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if all(c.isdigit() or c == "." for c in host):
            # 2130706433, 127.1: numeric forms the resolver would turn into
            # addresses; refused as Glance does.
            raise URLRefused(f"Host {host!r} is not a valid address or name.") from None
        try:
            found = _resolve(host, port)
        except (OSError, UnicodeError):
            raise URLRefused(f"Host {host!r} does not resolve.") from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses:
        raise URLRefused(f"Host {host!r} does not resolve.")
    for ip in addresses:
        reason = address_refusal(ip, listed=listed, allow_private=opts.allow_private_networks)
        if reason:
            raise URLRefused(f"Host {host!r} refused: {reason}.")
    return [str(ip) for ip in addresses]


def check_url(url: str, conf: cfg.ConfigOpts) -> None:
    """Raise URLRefused unless web-download may fetch url."""
    _, scheme, host, port = _parse(url)
    _check_lists(scheme, host, port, _opts(conf))
    checked_addresses(host, port, conf)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses that pass the checks, resolved here once."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception = DownloadError(f"Could not connect to {host}.")
        for address in checked_addresses(host, port, self._conf):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(retries=0)
        # NOTE: httpx takes no network backend; the pool it built is replaced
        # by one that makes every connection through _GuardedBackend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=1,
            network_backend=_GuardedBackend(conf),
        )


class _Body(Iterator[bytes]):
    """The response body as it arrives; closes the connection at the end."""

    def __init__(self, client: httpx.Client, response: httpx.Response) -> None:
        self._client: httpx.Client | None = client
        self._response = response
        self._chunks = response.iter_raw()

    def __next__(self) -> bytes:
        if self._client is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except httpx.HTTPError as exc:
            self.close()
            raise DownloadError(f"The download broke off: {exc}") from exc

    def close(self) -> None:
        if self._client is not None:
            self._response.close()
            self._client.close()
            self._client = None

    def __del__(self) -> None:
        self.close()


def open_url(url: str, conf: cfg.ConfigOpts, *, timeout: float = 60.0) -> Iterator[bytes]:
    """Start downloading url and return its body's chunks. Raises URLRefused or
    DownloadError before returning when the download cannot start."""
    client = httpx.Client(
        transport=_GuardedTransport(conf),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"Accept-Encoding": "identity"},
    )
    try:
        return _start(client, url, conf)
    except BaseException:
        client.close()
        raise


def _start(client: httpx.Client, url: str, conf: cfg.ConfigOpts) -> Iterator[bytes]:
    target, scheme, host, port = _parse(url)
    redirects = 0
    while True:
        _check_lists(scheme, host, port, _opts(conf))
        try:
            response = client.send(client.build_request("GET", target), stream=True)
        except httpx.HTTPError as exc:
            raise DownloadError(f"Could not download from {host}: {exc}") from exc
        status = response.status_code
        if status in REDIRECT_STATUSES and "Location" in response.headers:
            response.close()
            redirects += 1
            if redirects > _opts(conf).max_redirects:
                raise DownloadError(f"More than {_opts(conf).max_redirects} redirects.")
            target, scheme, host, port = _parse(target.join(response.headers["Location"]))
            LOG.debug("web-download redirected to host %s", host)
            continue
        if 200 <= status < 300 and status != 206:
            return _Body(client, response)
        response.close()
        raise DownloadError(f"The server answered {status} {response.reason_phrase}.")
