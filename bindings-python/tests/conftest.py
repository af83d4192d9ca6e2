"""Fixtures: the mock identity server from testkit, started on a free loopback port, and a real
redis-server for the Redis store tests.

The mock binary comes from $OFFICERND_MOCK_BIN (the Makefile exports it) or target/debug. A missing
binary (mock or redis-server) is an error, never a skip: no test may pass without the server.
"""

import json
import os
import shutil
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_ID = "demo-client-id"
DEMO_SECRET = "demo-client-secret-s3cr3t"
DEMO_SCOPES = "officernd.api.read officernd.api.write"


def mock_binary() -> str:
    path = os.environ.get("OFFICERND_MOCK_BIN") or str(ROOT / "target" / "debug" / "officernd-mock-identity")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"mock identity server not built: {path} (run: make mock)")
    return path


class Mock:
    """One running mock identity server and its control API."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [mock_binary(), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        # The server prints exactly one line once it accepts connections: that is the sync point.
        line = self.proc.stdout.readline().strip()
        if "listening on http" not in line:
            self.proc.kill()
            raise RuntimeError(f"mock identity server did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1]
        self.token_url = self.url + "/oauth/token"

    def client_kwargs(self, **extra: Any) -> "dict[str, Any]":
        kw: "dict[str, Any]" = dict(
            client_id=DEMO_ID, client_secret=DEMO_SECRET, scopes=DEMO_SCOPES, token_url=self.token_url
        )
        kw.update(extra)
        return kw

    def _call(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def stats(self) -> "dict[str, int]":
        return self._call("GET", "/_mock/stats")

    @property
    def token_requests(self) -> int:
        return self.stats()["token_requests"]

    def faults(self, *faults: "dict[str, Any]") -> None:
        self._call("POST", "/_mock/faults", list(faults))

    def revoke(self) -> None:
        self._call("POST", "/_mock/revoke", {})

    def config(self, **cfg: Any) -> None:
        self._call("POST", "/_mock/config", cfg)

    def me(self, authorization: str) -> int:
        req = urllib.request.Request(self.url + "/api/v2/me", headers={"Authorization": authorization})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def mock() -> Iterator[Mock]:
    """A fresh mock per test: a new port is a new token URL, so a new (empty) shared cache."""
    m = Mock()
    try:
        yield m
    finally:
        m.stop()


@pytest.fixture
def mock_factory() -> Iterator[Any]:
    started: "list[Mock]" = []

    def start(*args: str) -> Mock:
        m = Mock(*args)
        started.append(m)
        return m

    yield start
    for m in started:
        m.stop()


class RedisServer:
    """A throwaway redis-server on a free loopback port: no persistence, stopped by `stop()`."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (it is in scripts/apt-packages.txt: make deps)")
        for _ in range(5):  # a free port found by bind(0) may be taken before redis binds it
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            self.proc = subprocess.Popen(
                [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert self.proc.stdout is not None
            seen: "list[str]" = []
            # redis-server logs "Ready to accept connections" once it listens: the sync point.
            for line in self.proc.stdout:
                seen.append(line)
                if "Ready to accept connections" in line:
                    break
            else:
                self.proc.wait()
                if any("Address already in use" in line for line in seen):
                    continue
                raise RuntimeError("redis-server did not start: " + "".join(seen[-5:]))
            # Keep draining its log so it never blocks on a full pipe.
            threading.Thread(target=self._drain, daemon=True).start()
            self.url = f"redis://127.0.0.1:{self.port}/0"
            return
        raise RuntimeError("redis-server found no free port")

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for _ in self.proc.stdout:
            pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server per test (tests may stop it midway)."""
    r = RedisServer()
    try:
        yield r
    finally:
        r.stop()
