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
from support.sink import Sink

from switchboard.config import ConfigRecord, Settings, new_config_id, utc_now
from switchboard.integrations import (
    DeliveryRequest,
    Event,
    Integration,
    IntegrationConfig,
    IntegrationManager,
)
from switchboard.worker import AddressPolicy, BlockedAddressError, GuardedResolver, HttpDeliverer
from switchboard.worker.ssrf import block_reason


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
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    assert block_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_pass(address: str) -> None:
    assert block_reason(ipaddress.ip_address(address)) is None


def test_the_allow_list_lets_only_its_networks_through() -> None:
    policy = AddressPolicy([ipaddress.ip_network("127.0.0.0/8")])
    assert policy.reason(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.reason(ipaddress.ip_address("::1")) == "loopback"
    assert policy.reason(ipaddress.ip_address("10.0.0.1")) == "private"


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
async def sink() -> AsyncIterator[Sink]:
    async with Sink() as sink:
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
    settings: Settings, config: IntegrationConfig, sink: Sink, host: str
) -> None:
    guarded = settings.model_copy(update={"allow_cidrs": ()})
    async with HttpDeliverer(guarded) as deliverer:
        result = await deliverer.deliver(
            config, Event(type="a.b"), _post(f"http://{host}:{sink.port}/x")
        )
    assert not result.delivered
    assert result.permanent
    assert result.error is not None
    assert "blocked by the SSRF guard" in result.error or "invalid URL" in result.error
    assert sink.arrived == 0


async def test_with_loopback_allowed_the_same_request_goes_through(
    settings: Settings, config: IntegrationConfig, sink: Sink
) -> None:
    """The control: the refusals above are the guard's doing, not a broken URL."""
    async with HttpDeliverer(settings) as deliverer:
        for host in ("127.0.0.1", "localhost"):
            result = await deliverer.deliver(
                config, Event(type="a.b"), _post(f"http://{host}:{sink.port}/x")
            )
            assert result.delivered, result.error
    assert sink.arrived == 2


async def test_a_blocked_name_says_what_it_resolved_to(
    settings: Settings, config: IntegrationConfig, sink: Sink
) -> None:
    guarded = settings.model_copy(update={"allow_cidrs": ()})
    async with HttpDeliverer(guarded) as deliverer:
        result = await deliverer.deliver(
            config, Event(type="a.b"), _post(f"http://localhost:{sink.port}/x")
        )
    assert result.error is not None
    assert result.error.startswith("blocked by the SSRF guard: localhost (")
    assert "is loopback" in result.error


def _post(url: str) -> DeliveryRequest:
    return DeliveryRequest(url, b"{}")
