"""Fixtures: a fresh mock identity server (testkit) per test, and a real redis-server for the Redis
store tests.

The suite runs under scripts/with-mock.sh (make test-python does that), which starts the run's
mock and exports its URL; each test's own mock is asked of that one over HTTP (POST
/_mock/servers), so no test starts the binary or reads its output. Without the run's mock, or
without redis-server, the tests fail: no test may pass without the server, nothing is skipped.
"""

import json
import os
import shutil
import socket
import subprocess
import threading
import urllib.request
from typing import Any, Iterator, Optional

import pytest

DEMO_ID = "demo-client-id"
DEMO_SECRET = "demo-client-secret-s3cr3t"
DEMO_SCOPES = "officernd.api.read officernd.api.write"

# with-mock.sh also exports the demo app's OFFICERND_* settings for its command; the tests here set
# the ones they mean to read (test_client.py::test_from_env), so they start from none.
for _name in ("OFFICERND_TOKEN_URL", "OFFICERND_CLIENT_ID", "OFFICERND_CLIENT_SECRET", "OFFICERND_SCOPES"):
    os.environ.pop(_name, None)


def _request(method: str, url: str, body: Optional[Any] = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw.strip() else None


def launcher_url() -> str:
    """The run's mock (scripts/with-mock.sh), which starts and stops the tests' own."""
    url = os.environ.get("OFFICERND_MOCK_URL")
    if not url:
        raise RuntimeError(
            "OFFICERND_MOCK_URL is not set: run the tests through scripts/with-mock.sh (make test-python)"
        )
    return url


class Mock:
    """A mock identity server of one's own (its own port and counters) and its control API.

    `args` are the mock binary's flags (testkit/README.md), e.g. "--no-rate-limit".
    """

    def __init__(self, *args: str) -> None:
        started = _request("POST", launcher_url() + "/_mock/servers", {"args": list(args)})
        self.url: str = started["url"]
        self.port: int = started["port"]
        self.token_url = self.url + "/oauth/token"

    def client_kwargs(self, **extra: Any) -> "dict[str, Any]":
        kw: "dict[str, Any]" = dict(
            client_id=DEMO_ID, client_secret=DEMO_SECRET, scopes=DEMO_SCOPES, token_url=self.token_url
        )
        kw.update(extra)
        return kw

    def _call(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        return _request(method, self.url + path, body)

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
        """Answered once the server has stopped (its port is closed)."""
        _request("DELETE", f"{launcher_url()}/_mock/servers/{self.port}")


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
