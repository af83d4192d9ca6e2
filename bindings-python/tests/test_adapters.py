"""requests and httpx adapters: the header is added; a 401 invalidates and retries once."""

import asyncio
import http.server
import subprocess
import sys
import threading
from typing import Iterator

import httpx
import pytest
import requests

from officernd_auth import HttpxAuth, RequestsAuth, TokenClient


class Always401:
    """A resource server that refuses every token: proves the adapters retry only once."""

    def __init__(self) -> None:
        hits: "list[str]" = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits.append(self.headers.get("Authorization", ""))
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def always401() -> Iterator[Always401]:
    s = Always401()
    yield s
    s.close()


def test_requests_adds_header_and_retries_after_revocation(mock):
    client = TokenClient(**mock.client_kwargs())
    auth = RequestsAuth(client)
    with requests.Session() as s:
        r = s.get(mock.url + "/api/v2/me", auth=auth, timeout=10)
        assert r.status_code == 200 and not r.history
        first = client.token()
        mock.revoke()  # the application was deleted/recreated: issued tokens now get 401
        r = s.get(mock.url + "/api/v2/me", auth=auth, timeout=10)
        assert r.status_code == 200
        assert [h.status_code for h in r.history] == [401]
    assert client.token() != first
    assert mock.token_requests == 2


def test_requests_retries_only_once(mock, always401):
    client = TokenClient(**mock.client_kwargs())
    r = requests.get(always401.url, auth=RequestsAuth(client), timeout=10)
    assert r.status_code == 401
    assert len(always401.hits) == 2
    assert all(h.startswith("Bearer ") for h in always401.hits)
    assert always401.hits[0] != always401.hits[1]  # the retry carried a new token
    assert mock.token_requests == 2


def test_httpx_sync_adds_header_and_retries_after_revocation(mock):
    client = TokenClient(**mock.client_kwargs())
    with httpx.Client(auth=HttpxAuth(client), timeout=10) as http:
        assert http.get(mock.url + "/api/v2/me").status_code == 200
        mock.revoke()
        r = http.get(mock.url + "/api/v2/me")
        assert r.status_code == 200
        assert [h.status_code for h in r.history] == [401]
    assert mock.token_requests == 2


def test_httpx_sync_retries_only_once(mock, always401):
    client = TokenClient(**mock.client_kwargs())
    with httpx.Client(auth=HttpxAuth(client), timeout=10) as http:
        assert http.get(always401.url).status_code == 401
    assert len(always401.hits) == 2


def test_httpx_async_flow(mock, always401):
    client = TokenClient(**mock.client_kwargs())

    async def main() -> None:
        async with httpx.AsyncClient(auth=HttpxAuth(client), timeout=10) as http:
            assert (await http.get(mock.url + "/api/v2/me")).status_code == 200
            mock.revoke()
            r = await http.get(mock.url + "/api/v2/me")
            assert r.status_code == 200 and [h.status_code for h in r.history] == [401]
            assert (await http.get(always401.url)).status_code == 401

    asyncio.run(main())
    assert len(always401.hits) == 2


def test_adapters_reject_other_objects():
    with pytest.raises(TypeError):
        RequestsAuth("not a client")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        HttpxAuth(object())  # type: ignore[arg-type]


def test_neither_library_is_a_dependency():
    code = (
        "import sys; sys.modules['requests'] = None; sys.modules['httpx'] = None\n"
        "import officernd_auth\n"
        "from officernd_auth import *\n"
        "for name in ('RequestsAuth', 'HttpxAuth'):\n"
        "    try:\n"
        "        getattr(officernd_auth, name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(name + ' imported without its library')\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
