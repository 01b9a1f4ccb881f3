"""The SSRF guard: outbound requests go only to public addresses, unless an operator allows more.

A configuration's URL is typed by whoever may configure integrations; without
a guard it could make the worker call cloud metadata (169.254.169.254),
Redis, or anything else on the private network. So every attempt's host is
checked: an IP literal directly, a name by resolving it and refusing if *any*
address it resolves to is not public. aiohttp then connects to the addresses
this resolver vetted (the Host header and TLS SNI keep the name), so a DNS
answer that changes between the check and the connection (rebinding) cannot
slip through.

What is refused is a table of networks, each with its reason, that follows the
IANA special-purpose address registries (reviewed 2026-12-01): every block
they mark not globally reachable (loopback, private, shared/CGNAT,
link-local, "this network", documentation, benchmarking, IETF protocol
assignments, discard-only, SRv6, ...), plus multicast, 240.0.0.0/4 and
broadcast, the deprecated IPv6 site-local fec0::/10, and in IPv6 everything
outside 2000::/3, the only space allocated as global unicast. Teredo, NAT64
local-use and the "nearest service" anycast addresses (PCP, TURN, DNS-SD
registration) and the deprecated IPv4-compatible ::/96 are refused too. An
IPv6 address that embeds an IPv4 one (IPv4-mapped, NAT64 64:ff9b::/96, 6to4)
is judged by the embedded address. ``SWITCHBOARD_ALLOW_CIDRS`` lets listed networks through
(tests and ``switchboard dev`` allow loopback).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from typing import Final

from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult

from ..errors import BlockedAddressError

#: ``BlockedAddressError`` (``switchboard.worker.errors``) is what the guard raises.
__all__ = ["AddressPolicy", "BlockedAddressError", "GuardedResolver", "block_reason"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# The refused networks and why, from the IANA IPv4 and IPv6 Special-Purpose
# Address Registries (iana-ipv4-special-registry, iana-ipv6-special-registry),
# the IPv4 and IPv6 Multicast Address Space registries and the IPv6 Address
# Space registry, reviewed 2026-12-01. The most specific network containing an
# address decides (as in the registries); ``None`` lets it through.
#
# Rows the registries mark globally reachable are let through, as the registry
# says, except the "nearest service" anycast addresses (PCP RFC 7723, TURN
# RFC 8155, DNS-SD registration RFC 9665): whoever answers them is, by design,
# the NAT, firewall, relay or registrar of the worker's own network, the very
# kind of host this guard keeps requests from. Let through: 192.31.196.0/24 and
# 192.175.48.0/24 (AS112), 192.52.193.0/24 (AMT) and 2620:4f:8000::/48 (AS112),
# which no refused block contains, and the rows below marked ``None``.
# Teredo and 6to4 are "N/A" in the registry; Teredo is refused (it tunnels to
# an IPv4 host the guard cannot see), 6to4 is judged by its embedded address.
# Rows with no answer (deprecated 192.88.99.0/24 and 2001:10::/28) are refused.
_IPV4_TABLE: Final[Mapping[str, str | None]] = {
    "0.0.0.0/8": '"this network"',
    "0.0.0.0/32": "unspecified",
    "10.0.0.0/8": "private",
    "100.64.0.0/10": "shared (CGNAT)",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local (where cloud metadata lives)",
    "172.16.0.0/12": "private",
    "192.0.0.0/24": "reserved for IETF protocols",
    "192.0.0.0/29": "IPv4 service continuity (DS-Lite)",
    "192.0.0.8/32": "the IPv4 dummy address",
    "192.0.0.9/32": "PCP anycast (answered by the nearest NAT or firewall)",
    "192.0.0.10/32": "TURN anycast (answered by the local network's relay)",
    "192.0.0.170/31": "NAT64/DNS64 discovery",  # the registry's .170/32 and .171/32
    "192.0.2.0/24": "documentation",
    "192.88.99.0/24": "deprecated (6to4 relay anycast)",
    "192.88.99.2/32": "6a44 relay anycast",
    "192.168.0.0/16": "private",
    "198.18.0.0/15": "benchmarking",
    "198.51.100.0/24": "documentation",
    "203.0.113.0/24": "documentation",
    "224.0.0.0/4": "multicast",
    "240.0.0.0/4": "reserved",
    "255.255.255.255/32": "broadcast",
}
# IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96 and 6to4 2002::/16 are judged
# by their embedded IPv4 address before this table.
_IPV6_TABLE: Final[Mapping[str, str | None]] = {
    "::/0": "reserved",  # outside 2000::/3: reserved by the IETF, unless listed
    "::/128": "unspecified",
    "::1/128": "loopback",
    # Deprecated (RFC 4291): nothing routes it any more, so it can only be a disguise.
    "::/96": "IPv4-compatible (deprecated)",
    "64:ff9b:1::/48": "NAT64 local-use",
    "100::/64": "discard-only",
    "100:0:0:1::/64": "the IPv6 dummy prefix",
    "2000::/3": None,  # global unicast
    "2001::/23": "reserved for IETF protocols",
    "2001::/32": "Teredo",
    "2001:1::1/128": "PCP anycast (answered by the nearest NAT or firewall)",
    "2001:1::2/128": "TURN anycast (answered by the local network's relay)",
    "2001:1::3/128": "DNS-SD registration anycast (answered by the local registrar)",
    "2001:2::/48": "benchmarking",
    "2001:3::/32": None,  # AMT
    "2001:4:112::/48": None,  # AS112-v6
    "2001:10::/28": "deprecated (ORCHID)",
    "2001:20::/28": None,  # ORCHIDv2
    "2001:30::/28": None,  # Drone Remote ID entity tags
    "2001:db8::/32": "documentation",
    "3fff::/20": "documentation",
    "5f00::/16": "SRv6 segment identifiers",
    "fc00::/7": "private",
    "fe80::/10": "link-local (where cloud metadata lives)",
    "fec0::/10": "site-local (deprecated)",
    "ff00::/8": "multicast",
}

#: (network as an int, netmask as an int, reason), most specific first.
_Row = tuple[int, int, str | None]


def _rows(table: Mapping[str, str | None]) -> tuple[_Row, ...]:
    networks = sorted(
        ((ipaddress.ip_network(network), reason) for network, reason in table.items()),
        key=lambda entry: entry[0].prefixlen,
        reverse=True,
    )
    return tuple((int(net.network_address), int(net.netmask), why) for net, why in networks)


_IPV4_ROWS: Final = _rows(_IPV4_TABLE)
_IPV6_ROWS: Final = _rows(_IPV6_TABLE)
_NAT64_PREFIX: Final = int(ipaddress.IPv6Address("64:ff9b::")) >> 32


def _lookup(rows: tuple[_Row, ...], value: int) -> str | None:
    for network, netmask, reason in rows:
        if value & netmask == network:
            return reason
    return None


def block_reason(address: IPAddress) -> str | None:
    """Why ``address`` is refused, or ``None`` when it is public."""
    value = int(address)
    if isinstance(address, ipaddress.IPv4Address):
        return _lookup(_IPV4_ROWS, value)
    embedded = _embedded_ipv4(value)
    if embedded is not None:
        kind, inner = embedded
        reason = _lookup(_IPV4_ROWS, inner)
        return None if reason is None else f"{kind} {reason}"
    return _lookup(_IPV6_ROWS, value)


def _embedded_ipv4(value: int) -> tuple[str, int] | None:
    """The IPv4 address (as an int) an IPv6 address carries, and the form carrying it."""
    high = value >> 32
    if high == 0xFFFF:
        return "IPv4-mapped", value & 0xFFFFFFFF
    if high == _NAT64_PREFIX:
        return "NAT64", value & 0xFFFFFFFF
    if value >> 112 == 0x2002:
        return "6to4", (value >> 80) & 0xFFFFFFFF
    return None


#: How many hosts' ``check_literal`` verdicts a policy keeps (hosts, not requests).
_LITERAL_VERDICTS_KEPT: Final = 4096


class AddressPolicy:
    """``block_reason``, except for the operator's allowed networks."""

    def __init__(self, allowed: Sequence[IPNetwork] = ()) -> None:
        self._allowed = tuple(allowed)
        # check_literal runs on every request: its verdicts, by host, for the hot path.
        self._literal_verdicts: dict[str, BlockedAddressError | None] = {}

    def reason(self, address: IPAddress) -> str | None:
        if any(address in network for network in self._allowed):
            return None
        return block_reason(address)

    def check_literal(self, host: str) -> BlockedAddressError | None:
        """For a host that is an IP literal (aiohttp does not resolve those): the refusal."""
        verdicts = self._literal_verdicts
        if host in verdicts:
            return verdicts[host]
        if len(verdicts) >= _LITERAL_VERDICTS_KEPT:
            verdicts.clear()
        verdicts[host] = verdict = self._check_literal(host)
        return verdict

    def _check_literal(self, host: str) -> BlockedAddressError | None:
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None  # a name: the resolver checks what it resolves to
        reason = self.reason(address)
        return None if reason is None else BlockedAddressError(host, str(address), reason)


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name when any of its addresses is refused."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"])
            reason = self._policy.reason(address)
            if reason is not None:
                raise BlockedAddressError(host, str(address), reason)
        return results

    async def close(self) -> None:
        await self._inner.close()
