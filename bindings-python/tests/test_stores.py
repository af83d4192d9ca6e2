"""Shared token stores across real processes: the file store (processes of one machine, forked
workers) and the Redis store (hosts of a fleet, a real redis-server), their arguments, and that a
Redis password never shows."""

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, List

import pytest

from conftest import DEMO_ID, DEMO_SCOPES, DEMO_SECRET
from officernd_auth import ConfigError, OfficeRnDAuthError, RateLimitedError, TokenClient

WORKER = Path(__file__).with_name("store_worker.py")


def fingerprint(access_token: str) -> str:
    return hashlib.sha256(access_token.encode()).hexdigest()[:16]


def run_workers(n: int, **kwargs: Any) -> "List[dict[str, Any]]":
    """Starts `n` worker processes, lets them all ask for a token at the same moment (each waits
    on stdin after building its client) and returns what each printed."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(kwargs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            assert line.strip() == "ready", f"worker did not start: {line!r}"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, _ = p.communicate(timeout=60)
            assert p.returncode == 0, f"worker failed with {p.returncode}"
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- File store ---------------------------------------------------------------------------


def test_8_processes_at_once_share_one_file_store_one_request(mock, tmp_path):
    mock.faults({"kind": "delay", "ms": 300})  # every worker asks while the one fetch is in flight
    store = tmp_path / "store"
    results = run_workers(8, **mock.client_kwargs(store="file", store_path=str(store)))
    assert all("fp" in r for r in results), results
    assert len({r["fp"] for r in results}) == 1, "the workers did not get the same token"
    assert sum(r["sent"] for r in results) == 1
    assert mock.token_requests == 1
    # Files 0600 in a 0700 directory, none of them holding the secret.
    assert store.stat().st_mode & 0o777 == 0o700
    files = [f for f in store.iterdir() if f.is_file()]
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert all(DEMO_SECRET.encode() not in f.read_bytes() for f in files)


def test_gunicorn_preload_pattern_forked_workers_share_one_request(mock, tmp_path):
    # The client is made in the "master" (gunicorn --preload) before any token, then 4 workers fork.
    client = TokenClient(**mock.client_kwargs(store="file", store_path=tmp_path / "store"))
    mock.faults({"kind": "delay", "ms": 300})
    go_r, go_w = os.pipe()
    res_r, res_w = os.pipe()
    pids = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() with threads" on 3.12+
        for _ in range(4):
            pid = os.fork()
            if pid == 0:  # worker: wait for "go", fetch, report, exit without pytest's teardown
                status = 1
                try:
                    os.close(go_w)
                    os.close(res_r)
                    os.read(go_r, 1)
                    line = fingerprint(client.token().access_token) + "\n"
                    os.write(res_w, line.encode())  # < PIPE_BUF: one atomic write
                    status = 0
                finally:
                    os._exit(status)
            pids.append(pid)
    os.close(go_r)
    os.close(res_w)
    os.write(go_w, b"x" * len(pids))
    os.close(go_w)
    with os.fdopen(res_r, "rb") as r:
        answers = r.read().decode().split()
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert len(answers) == 4 and len(set(answers)) == 1
    assert mock.token_requests == 1
    # The master reads the workers' token from the store: still one request.
    assert fingerprint(client.token().access_token) == answers[0]
    assert mock.token_requests == 1


def test_from_env_reads_store_and_store_path(mock, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICERND_CLIENT_ID", DEMO_ID)
    monkeypatch.setenv("OFFICERND_CLIENT_SECRET", DEMO_SECRET)
    monkeypatch.setenv("OFFICERND_SCOPES", DEMO_SCOPES)
    monkeypatch.setenv("OFFICERND_TOKEN_URL", mock.token_url)
    monkeypatch.setenv("OFFICERND_STORE", "file")
    monkeypatch.setenv("OFFICERND_STORE_PATH", str(tmp_path / "env-store"))
    # An explicit store wins over the environment.
    TokenClient.from_env(store="memory", share_cache=False).token()
    assert not (tmp_path / "env-store").exists()
    TokenClient.from_env().token()
    assert any(f.is_file() for f in (tmp_path / "env-store").iterdir())
    monkeypatch.setenv("OFFICERND_STORE", "carrier-pigeon")
    with pytest.raises(ConfigError) as e:
        TokenClient.from_env()
    assert e.value.setting == "OFFICERND_STORE"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"store": 5},
        {"store": b"file"},
        {"store": ["file"]},
        {"store": "file", "store_path": 5},
        {"store": "file", "store_path": b"/tmp/officernd"},
    ],
)
def test_store_arguments_of_wrong_type_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        TokenClient(DEMO_ID, DEMO_SECRET, **kwargs)
    with pytest.raises(TypeError):
        TokenClient.from_env(client_id=DEMO_ID, client_secret=DEMO_SECRET, **kwargs)


def test_bad_store_values_raise_config_error(tmp_path):
    def setting(**kwargs: Any) -> "str | None":
        with pytest.raises(ConfigError) as e:
            TokenClient(DEMO_ID, DEMO_SECRET, **kwargs)
        assert DEMO_SECRET not in str(e.value)
        return e.value.setting

    assert setting(store="carrier-pigeon") == "store"
    assert setting(store="memory", store_path=str(tmp_path)) == "store"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real").mkdir(mode=0o700)
    assert setting(store="file", store_path=link) == "store_path"
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert setting(store="file", store_path=shared) == "store_path"


def test_store_path_accepts_str_and_pathlike(mock, tmp_path):
    for i, path in enumerate([str(tmp_path / "a"), tmp_path / "b"]):
        client = TokenClient(**mock.client_kwargs(store="file", store_path=path, share_cache=False))
        client.token()
        assert any(f.is_file() for f in Path(path).iterdir()), i


# ---- Redis store --------------------------------------------------------------------------


def test_3_hosts_share_one_redis_then_hold_back_while_it_is_gone(mock, redis_server):
    mock.faults({"kind": "delay", "ms": 300})
    results = run_workers(3, **mock.client_kwargs(store=redis_server.url))
    assert all("fp" in r for r in results), results
    assert len({r["fp"] for r in results}) == 1
    assert mock.token_requests == 1
    # Redis stops: a new host cannot know what the fleet sent in the last window, so it sends
    # nothing for one window and says so (the quota holds even while the store is down).
    redis_server.stop()
    (late,) = run_workers(1, **mock.client_kwargs(store=redis_server.url))
    assert late == {"error": "rate_limited"}, late
    assert mock.token_requests == 1


def test_redis_password_never_shows(mock, caplog):
    password = "pa55-w0rd-not-for-eyes"
    url = f"redis://:{password}@127.0.0.1:{closed_port()}/0"
    caplog.set_level(logging.DEBUG, logger="officernd_auth")
    texts: "list[str]" = []

    client = TokenClient(**mock.client_kwargs(store=url))
    texts += [repr(client), str(client)]
    # Redis is unreachable: no request for one window, an error that names the store, a log line.
    with pytest.raises(RateLimitedError) as held:
        client.token()
    assert "127.0.0.1" in str(held.value) and mock.token_requests == 0
    texts += [str(held.value), repr(held.value), repr(client.stats())]

    bad = TokenClient(**mock.client_kwargs(store=url, client_secret=DEMO_SECRET + "-wrong"))
    with pytest.raises(OfficeRnDAuthError) as e:
        bad.token()
    texts += [str(e.value), repr(e.value), repr(e.value.args)]

    with pytest.raises(ConfigError) as e:
        TokenClient(DEMO_ID, DEMO_SECRET, store=f"redis://:{password}@127.0.0.1:notaport/0")
    assert e.value.setting == "store"
    texts += [str(e.value), repr(e.value)]

    records = [r.getMessage() for r in caplog.records]
    assert any("redis" in m.lower() for m in records), "the Redis outage was not logged"
    texts += records
    for text in texts:
        assert password not in text
        assert DEMO_SECRET not in text
