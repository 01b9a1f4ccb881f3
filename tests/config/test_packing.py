"""``pack_with_hiredis``: the same bytes as redis-py's packing, made by hiredis (or, for
a large command, joined in Python)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError

from switchboard.config import Settings, open_redis
from switchboard.config.packing import (
    LONG_ARGUMENT,
    MANY_ARGUMENTS,
    HiredisPacking,
    pack_with_hiredis,
)

COMMANDS = [
    ("SET", "key", "value"),
    ("SET", b"key", b"\x00\xff bytes"),
    ("EVAL", "return 1", 0),
    ("ZADD", "set", 1.5, "member", -0.0, "é", 10**20, "big"),
    ("HINCRBY", "h", "field", -3),
    ("CONFIG GET", "maxmemory"),  # a command name with a space: two arguments
    (b"CONFIG GET", "maxmemory"),
    # Large ones, joined in Python: many arguments of every kind, and one long argument.
    (
        "EVAL",
        "return 1",
        MANY_ARGUMENTS,
        *[("k", b"\x00v", 7, -2.5, "é")[n % 5] for n in range(40)],
    ),
    ("SET", "key", b"x" * (LONG_ARGUMENT + 1)),
    ("SET", "key", "é" * LONG_ARGUMENT),
    ("CONFIG SET", *["maxmemory"] * MANY_ARGUMENTS),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: repr(c[:2]))
def test_the_bytes_are_redis_pys_own(command: tuple[object, ...]) -> None:
    packed = pack_with_hiredis(Redis()).connection_pool.make_connection()
    assert isinstance(packed, HiredisPacking)
    plain = Connection()
    assert b"".join(packed.pack_command(*command)) == b"".join(plain.pack_command(*command))


@pytest.mark.parametrize("many", [False, True], ids=["few arguments", "many arguments"])
@pytest.mark.parametrize("value", [True, None, bytearray(b"x"), object()])
def test_a_value_of_the_wrong_type_is_redis_pys_data_error(value: object, many: bool) -> None:
    packed = pack_with_hiredis(Redis()).connection_pool.make_connection()
    others = ["member"] * (MANY_ARGUMENTS if many else 0)
    with pytest.raises(DataError, match=f"Invalid input of type: '{type(value).__name__}'"):
        packed.pack_command("SADD", "key", *others, value)


def test_a_memoryview_is_sent_as_redis_py_sends_it() -> None:
    packed = pack_with_hiredis(Redis()).connection_pool.make_connection()
    view = memoryview(b"viewed")
    assert b"".join(bytes(p) for p in packed.pack_command("SET", "k", view)) == (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nviewed\r\n"
    )


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:1", Connection),
        ("rediss://127.0.0.1:1", SSLConnection),
        ("unix:///tmp/nowhere.sock", UnixDomainSocketConnection),
    ],
)
def test_each_kind_of_connection_keeps_its_kind(url: str, kind: type[Connection]) -> None:
    pool = pack_with_hiredis(Redis.from_url(url)).connection_pool
    assert issubclass(pool.connection_class, HiredisPacking)
    assert issubclass(pool.connection_class, kind)
    # Twice: the same class, not a subclass of a subclass.
    assert pack_with_hiredis(Redis.from_url(url)).connection_pool.connection_class is (
        pool.connection_class
    )


async def test_switchboards_clients_talk_to_redis_through_it(settings: Settings) -> None:
    async with open_redis(settings) as redis:
        assert issubclass(redis.connection_pool.connection_class, HiredisPacking)
        await redis.set("sbtest:packed", "é\x00")
        async with redis.pipeline(transaction=True) as pipe:
            pipe.get("sbtest:packed")
            pipe.eval("return ARGV[1] .. ARGV[2]", 0, "a", 1.5)
            replies = await pipe.execute()
        assert replies == ["é\x00".encode(), b"a1.5"]
        await redis.delete("sbtest:packed")
