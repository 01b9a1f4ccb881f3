"""The SSRF guard: outbound requests go only to public addresses, unless an operator allows more.

A configuration's URL is typed by whoever may configure integrations; without
a guard it could make the worker call cloud metadata (169.254.169.254),
Redis, or anything else on the private network. So every attempt's host is
checked: an IP literal directly, a name by resolving it and refusing if *any*
address it resolves to is not public. aiohttp then connects to the addresses
this resolver vetted (the Host header and TLS SNI keep the name), so a DNS
answer that changes between the check and the connection (rebinding) cannot
slip through.

Refused: loopback, private, link-local, shared (CGNAT), multicast,
unspecified, reserved and every other non-global range, and the IPv6 forms
that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) when the embedded one
is refused, plus Teredo and NAT64 local-use. ``SWITCHBOARD_ALLOW_CIDRS``
lets listed networks through (tests and ``switchboard dev`` allow loopback).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Final

from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = ["AddressPolicy", "BlockedAddressError", "GuardedResolver", "block_reason"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")
_SHARED: Final = ipaddress.IPv4Network("100.64.0.0/10")


class BlockedAddressError(OSError):
    """The host is, or resolves to, an address the guard refuses."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host = host
        self.address = address
        self.reason = reason
        shown = host if host == address else f"{host} ({address})"
        super().__init__(
            f"blocked by the SSRF guard: {shown} is {reason} (SWITCHBOARD_ALLOW_CIDRS can allow it)"
        )


def block_reason(address: IPAddress) -> str | None:
    """Why ``address`` is refused, or ``None`` when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            kind, inner = embedded
            reason = block_reason(inner)
            return None if reason is None else f"{kind} {reason}"
        if address in _NAT64_LOCAL:
            return "NAT64 local-use"
        if address.teredo is not None:
            return "Teredo"
    checks = (
        (address.is_loopback, "loopback"),
        (address.is_unspecified, "unspecified"),
        (address.is_link_local, "link-local (where cloud metadata lives)"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared (CGNAT)"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "not globally routable"),
    )
    return next((reason for refused, reason in checks if refused), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
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
