"""``CheckoutPool``: a pooled connection handed out in the same turn of the event loop,
and one its server closed, or holding a reply nobody read, reopened before it is used.
Against the suite's real Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser
from redis.asyncio import Redis

from switchboard.config import Settings
from switchboard.config.checkout import CheckoutPool, client_for
from switchboard.config.packing import HiredisPacking
from switchboard.config.pipelines import SafeRedis
from switchboard.testing.waiting import wait_for

DEADLINE = 5.0


async def test_a_pooled_connection_is_handed_out_without_a_turn_of_the_loop(
    settings: Settings,
) -> None:
    """redis-py's own pool waits a turn (and one caller at a time) for each command."""
    async with client_for(Redis, settings) as client:
        assert isinstance(client.connection_pool, CheckoutPool)
        await asyncio.gather(*(client.ping() for _ in range(3)))  # three connections pooled
        pool = client.connection_pool
        turned: list[bool] = []
        asyncio.get_running_loop().call_soon(turned.append, True)
        connections = [await pool.get_connection() for _ in range(3)]
        assert not turned  # all three out, and the loop has not turned once
        assert len(set(map(id, connections))) == 3
        for connection in connections:
            await pool.release(connection)
        assert await client.set("k", "v")
        assert await client.get("k") == b"v"


#: hiredis's parser (redis-py's default with hiredis installed), and redis-py's own in
#: Python, for which the pool falls back to redis-py's check (a read with a zero timeout).
PARSERS = [
    pytest.param(_AsyncHiredisParser, id="hiredis"),
    pytest.param(_AsyncRESP2Parser, id="python"),
]


@pytest.mark.parametrize("parser", PARSERS)
async def test_a_connection_its_server_closed_is_reopened_before_a_command(
    settings: Settings, redis_url: str, parser: type
) -> None:
    client = client_for(Redis, settings, parser_class=parser)
    async with client, Redis.from_url(redis_url) as other:
        first_id = await client.client_id()
        pool = client.connection_pool
        (connection,) = pool._available_connections
        await other.client_kill_filter(_id=first_id)
        await wait_for(
            lambda: connection._reader is not None and connection._reader.at_eof(),
            timeout=DEADLINE,
            what="the server's close seen by the pooled connection",
        )
        assert await client.client_id() != first_id  # a new connection, and no error


@pytest.mark.parametrize("parser", PARSERS)
async def test_a_connection_holding_an_unread_reply_is_reopened(
    settings: Settings, parser: type
) -> None:
    """Its next command would otherwise read the reply left behind as its own."""
    async with client_for(Redis, settings, parser_class=parser) as client:
        await client.set("k", "v")
        pool = client.connection_pool
        connection = await pool.get_connection()
        await connection.send_command("ECHO", "left behind")  # and its reply never read
        await pool.release(connection)
        await wait_for(
            lambda: connection._reader is not None and bool(connection._reader._buffer),
            timeout=DEADLINE,
            what="the unread reply in the connection's buffer",
        )
        assert await client.get("k") == b"v"


async def test_the_clients_pack_with_hiredis_and_keep_their_class(settings: Settings) -> None:
    async with client_for(SafeRedis, settings) as client:
        assert type(client) is SafeRedis
        assert isinstance(client.connection_pool.make_connection(), HiredisPacking)
        assert client.connection_pool.connection_kwargs["health_check_interval"] == 30
        assert client.auto_close_connection_pool  # closed with the client, as from_url's
