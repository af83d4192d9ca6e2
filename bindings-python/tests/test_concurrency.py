"""Threads, the GIL, asyncio and fork: one request for many callers, nothing blocked."""

import asyncio
import os
import threading
import time
import warnings

import pytest

import officernd_auth as oa
from officernd_auth import TokenClient


def test_stampede_32_threads_one_request(mock):
    mock.faults({"kind": "delay", "ms": 300})  # every thread arrives while the fetch is in flight
    client = TokenClient(**mock.client_kwargs())
    barrier = threading.Barrier(32)
    results: "list[object]" = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            value: object = client.access_token()
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            value = e
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 32
    assert all(isinstance(r, str) for r in results), [type(r) for r in results]
    assert len(set(results)) == 1
    assert mock.token_requests == 1


def test_clients_with_same_settings_share_one_cache(mock):
    app_client = TokenClient(**mock.client_kwargs())  # e.g. the one made at start-up
    tokens = {TokenClient(**mock.client_kwargs()).access_token() for _ in range(50)}
    assert tokens == {app_client.access_token()}
    assert mock.token_requests == 1


def test_one_throwaway_client_per_request_shares_the_cache(mock):
    tokens = {TokenClient(**mock.client_kwargs()).access_token() for _ in range(6)}
    assert len(tokens) == 1
    assert mock.token_requests == 1


def test_gil_is_released_during_a_slow_fetch(mock):
    mock.faults({"kind": "delay", "ms": 800})
    client = TokenClient(**mock.client_kwargs())
    ticks = 0
    stop = threading.Event()
    running = threading.Event()

    def spin() -> None:
        nonlocal ticks
        running.set()
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=spin)
    t.start()
    running.wait()
    try:
        before = ticks
        started = time.monotonic()
        client.token()
        elapsed = time.monotonic() - started
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert elapsed >= 0.7
    # With the GIL held for 0.8 s the other thread could not have run at all.
    assert during > 10_000, during


def test_async_cached_path_needs_no_thread(mock):
    client = TokenClient(**mock.client_kwargs())

    async def main() -> None:
        first = client.token_async()
        assert asyncio.iscoroutine(first)  # empty cache: runs in a worker thread
        token = await first
        again = client.token_async()
        assert not asyncio.iscoroutine(again)  # cached: an already-done awaitable
        assert await again == token
        header = await client.authorization_header_async()
        assert header == "Bearer " + token.access_token

    asyncio.run(main())
    assert mock.token_requests == 1


def test_async_does_not_block_the_event_loop(mock):
    mock.faults({"kind": "delay", "ms": 500})
    client = TokenClient(**mock.client_kwargs())

    async def main() -> int:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        tokens = await asyncio.gather(*(client.token_async() for _ in range(20)))
        done.set()
        await task
        assert len({t.access_token for t in tokens}) == 1
        return ticks

    ticks = asyncio.run(main())
    assert ticks >= 10, ticks
    assert mock.token_requests == 1


def test_async_errors_raise_the_exception_class(mock):
    client = TokenClient(**mock.client_kwargs(client_secret="wrong"))

    async def main() -> None:
        with pytest.raises(oa.OAuthError) as e:
            await client.token_async()
        assert e.value.status == 401

    asyncio.run(main())


def test_fork_child_reuses_the_cached_token(mock):
    client = TokenClient(**mock.client_kwargs())
    token = client.token()
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() with threads" on 3.12+
        pid = os.fork()
    if pid == 0:  # child: report and exit without running pytest's teardown
        status = 1
        try:
            os.close(read_fd)
            same = client.token() == token
            # The child's own HTTP agent works too (no socket or lock inherited).
            client.invalidate(token)
            fresh = client.token()
            ok = same and fresh != token and mock.me(fresh.authorization_header()) == 200
            os.write(write_fd, b"ok" if ok else b"bad")
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as r:
        answer = r.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert answer == b"ok"
    # Parent: one request before the fork, one by the child after invalidate; parent cache intact.
    assert mock.token_requests == 2
    assert client.token() == token
