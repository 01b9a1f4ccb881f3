"""What every test process shares: the SSRF allow-list for loopback and a secret key."""

from __future__ import annotations

from switchboard.config import generate_secret_key

#: Test traffic goes to local servers only: the SSRF guard lets loopback through.
LOOPBACK_CIDRS = "127.0.0.0/8,::1/128"

#: One key per test session, so worker subprocesses read what the tests wrote.
TEST_SECRET_KEY = generate_secret_key()

#: The environment a `switchboard` subprocess of the tests gets on top of its own.
TEST_ENV = {"SWITCHBOARD_ALLOW_CIDRS": LOOPBACK_CIDRS, "SWITCHBOARD_SECRET_KEY": TEST_SECRET_KEY}
