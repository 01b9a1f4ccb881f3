"""The SSRF guard: no request reaches a non-public address unless the operator allows it.

The refusal tests empty the allow-list and aim at a real server on loopback:
had the guard let a request through, the server would have counted it. No
test sends traffic anywhere but loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from switchboard.config import ConfigRecord, Settings, new_config_id, utc_now
from switchboard.integrations import (
    DeliveryRequest,
    Event,
    Integration,
    IntegrationConfig,
    IntegrationManager,
)
from switchboard.testing import RecordingSink
from switchboard.worker.delivery import AddressPolicy, Attempter, BlockedAddressError
from switchboard.worker.delivery.ssrf import GuardedResolver, block_reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("64:ff9b::7f00:1", "NAT64 loopback"),
        ("2002:7f00:1::", "6to4 loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local (where cloud metadata lives)"),
        ("fe80::1", "link-local (where cloud metadata lives)"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local (where cloud metadata lives)"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("64:ff9b::a00:1", "NAT64 private"),
        ("2002:c0a8:1::", "6to4 private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("2001::1", "Teredo"),
        ("64:ff9b:1::1", "NAT64 local-use"),
        ("fec0::1", "site-local (deprecated)"),
        ("::127.0.0.1", "IPv4-compatible (deprecated)"),
        ("::8.8.8.8", "IPv4-compatible (deprecated)"),
        ("255.255.255.255", "broadcast"),
        ("3fff::1", "documentation"),
        ("4000::1", "reserved"),
        # Globally reachable in the registry, refused: they reach the network's own boxes.
        ("192.0.0.9", "PCP anycast (answered by the nearest NAT or firewall)"),
        ("2001:1::1", "PCP anycast (answered by the nearest NAT or firewall)"),
        ("192.0.0.10", "TURN anycast (answered by the local network's relay)"),
        ("2001:1::2", "TURN anycast (answered by the local network's relay)"),
        ("2001:1::3", "DNS-SD registration anycast (answered by the local registrar)"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    assert block_reason(ipaddress.ip_address(address)) == reason


# The rows of the IANA IPv4 and IPv6 Special-Purpose Address Registries that are
# not globally reachable ("False", "N/A" or, for deprecated rows, no answer), as
# reviewed on 2026-12-01, then multicast and the IPv6 Address Space registry's
# blocks outside 2000::/3 (reserved by the IETF): each block, its first and last address.
NOT_GLOBALLY_REACHABLE = [
    ("0.0.0.0/8", "0.0.0.0", "0.255.255.255"),
    ("0.0.0.0/32", "0.0.0.0", "0.0.0.0"),
    ("10.0.0.0/8", "10.0.0.0", "10.255.255.255"),
    ("100.64.0.0/10", "100.64.0.0", "100.127.255.255"),
    ("127.0.0.0/8", "127.0.0.0", "127.255.255.255"),
    ("169.254.0.0/16", "169.254.0.0", "169.254.255.255"),
    ("172.16.0.0/12", "172.16.0.0", "172.31.255.255"),
    ("192.0.0.0/24", "192.0.0.0", "192.0.0.255"),
    ("192.0.0.0/29", "192.0.0.0", "192.0.0.7"),
    ("192.0.0.8/32", "192.0.0.8", "192.0.0.8"),
    ("192.0.0.170/32", "192.0.0.170", "192.0.0.170"),
    ("192.0.0.171/32", "192.0.0.171", "192.0.0.171"),
    ("192.0.2.0/24", "192.0.2.0", "192.0.2.255"),
    ("192.88.99.0/24", "192.88.99.0", "192.88.99.255"),
    ("192.88.99.2/32", "192.88.99.2", "192.88.99.2"),
    ("192.168.0.0/16", "192.168.0.0", "192.168.255.255"),
    ("198.18.0.0/15", "198.18.0.0", "198.19.255.255"),
    ("198.51.100.0/24", "198.51.100.0", "198.51.100.255"),
    ("203.0.113.0/24", "203.0.113.0", "203.0.113.255"),
    ("240.0.0.0/4", "240.0.0.0", "255.255.255.255"),
    ("255.255.255.255/32", "255.255.255.255", "255.255.255.255"),
    ("224.0.0.0/4", "224.0.0.0", "239.255.255.255"),
    ("::1/128", "::1", "::1"),
    ("::/128", "::", "::"),
    ("::ffff:0:0/96", "::ffff:0.0.0.0", "::ffff:255.255.255.255"),
    ("64:ff9b:1::/48", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"),
    ("100::/64", "100::", "100::ffff:ffff:ffff:ffff"),
    ("100:0:0:1::/64", "100:0:0:1::", "100::1:ffff:ffff:ffff:ffff"),
    ("2001::/23", "2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("2001::/32", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("2001:2::/48", "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"),
    ("2001:10::/28", "2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("2002::/16", "2002::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("3fff::/20", "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("5f00::/16", "5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("fe80::/10", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("ff00::/8", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("::/8", "::", "ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("100::/8", "100::", "1ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("200::/7", "200::", "3ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("400::/6", "400::", "7ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("800::/5", "800::", "fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("1000::/4", "1000::", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("4000::/3", "4000::", "5fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("6000::/3", "6000::", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("8000::/3", "8000::", "9fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("a000::/3", "a000::", "bfff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("c000::/3", "c000::", "dfff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("e000::/4", "e000::", "efff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("f000::/5", "f000::", "f7ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("f800::/6", "f800::", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("fe00::/9", "fe00::", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ("fec0::/10", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
]


@pytest.mark.parametrize(("block", "first", "last"), NOT_GLOBALLY_REACHABLE)
def test_the_samples_are_the_first_and_last_address_of_their_block(
    block: str, first: str, last: str
) -> None:
    network = ipaddress.ip_network(block)
    assert (network[0], network[-1]) == (ipaddress.ip_address(first), ipaddress.ip_address(last))


@pytest.mark.parametrize(
    "address",
    [
        pytest.param(address, id=f"{block} {address}")
        for block, first, last in NOT_GLOBALLY_REACHABLE
        for address in dict.fromkeys((first, last))
    ],
)
def test_every_not_globally_reachable_block_is_refused(address: str) -> None:
    assert block_reason(ipaddress.ip_address(address)) is not None


PUBLIC = ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"]
PUBLIC += ["2001:200::1", "3fff:1000::1", "2000::1"]
# Globally reachable in the registries, and let through:
PUBLIC += ["192.31.196.1", "192.52.193.1", "192.175.48.1", "2620:4f:8000::1", "2001:3::1"]
PUBLIC += ["2001:4:112::1", "2001:20::1", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:30::1"]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert block_reason(ipaddress.ip_address(address)) is None


def test_the_allow_list_lets_only_its_networks_through() -> None:
    policy = AddressPolicy([ipaddress.ip_network("127.0.0.0/8")])
    assert policy.reason(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.reason(ipaddress.ip_address("::1")) == "loopback"
    assert policy.reason(ipaddress.ip_address("10.0.0.1")) == "private"
    site_local = AddressPolicy([ipaddress.ip_network("fec0::/10")])
    assert site_local.reason(ipaddress.ip_address("fec0::1")) is None


class FixedResolver(AbstractResolver):
    """Answers every name with the same addresses: a stand-in for DNS, which tests cannot run."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


async def test_a_name_is_refused_if_any_of_its_addresses_is() -> None:
    guarded = GuardedResolver(AddressPolicy(), FixedResolver("93.184.216.34", "10.0.0.5"))
    with pytest.raises(BlockedAddressError, match=r"internal\.example \(10\.0\.0\.5\) is private"):
        await guarded.resolve("internal.example", 80)
    public = GuardedResolver(AddressPolicy(), FixedResolver("93.184.216.34"))
    assert [r["host"] for r in await public.resolve("example.com", 80)] == ["93.184.216.34"]


class Sender(Integration):
    integration_id = "tests.ssrf.sender"


@pytest.fixture
def config() -> IntegrationConfig:
    manager = IntegrationManager()
    integration = manager.register(Sender)
    now = utc_now()
    record = ConfigRecord(
        id=new_config_id(), integration_id=Sender.integration_id, name="x", created_at=now,
        updated_at=now,
    )  # fmt: skip
    return IntegrationConfig(record, integration)


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    async with RecordingSink() as sink:
        yield sink


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.8.9.10",
    "localhost",  # a name that resolves to loopback
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "2130706433",  # 127.0.0.1 as one decimal number
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "0.0.0.0",
    "[::]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
async def test_every_loopback_spelling_is_refused_without_a_request(
    settings: Settings, config: IntegrationConfig, sink: RecordingSink, host: str
) -> None:
    guarded = settings.model_copy(update={"allow_cidrs": ()})
    async with Attempter.for_settings(guarded) as deliverer:
        result = await deliverer.deliver(
            config, Event(type="a.b"), _post(f"http://{host}:{sink.port}/x")
        )
    assert not result.delivered
    assert result.permanent
    assert result.error is not None
    assert "blocked by the SSRF guard" in result.error or "invalid URL" in result.error
    assert sink.arrived == 0


async def test_with_loopback_allowed_the_same_request_goes_through(
    settings: Settings, config: IntegrationConfig, sink: RecordingSink
) -> None:
    """The control: the refusals above are the guard's doing, not a broken URL."""
    async with Attempter.for_settings(settings) as deliverer:
        for host in ("127.0.0.1", "localhost"):
            result = await deliverer.deliver(
                config, Event(type="a.b"), _post(f"http://{host}:{sink.port}/x")
            )
            assert result.delivered, result.error
    assert sink.arrived == 2


async def test_a_blocked_name_says_what_it_resolved_to(
    settings: Settings, config: IntegrationConfig, sink: RecordingSink
) -> None:
    guarded = settings.model_copy(update={"allow_cidrs": ()})
    async with Attempter.for_settings(guarded) as deliverer:
        result = await deliverer.deliver(
            config, Event(type="a.b"), _post(f"http://localhost:{sink.port}/x")
        )
    assert result.error is not None
    assert result.error.startswith("blocked by the SSRF guard: localhost (")
    assert "is loopback" in result.error


def _post(url: str) -> DeliveryRequest:
    return DeliveryRequest(url, b"{}")
