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


def assert_resent_with_new_token(r, refused: str) -> None:
    """`r` answers the resent request; `refused` is the header the 401 answered (captured before:
    httpx resends the same, mutated, request object)."""
    assert [h.status_code for h in r.history] == [401]
    resent = r.request.headers["Authorization"]
    assert resent.startswith("Bearer ")
    reused = resent == refused  # compared apart so a failure never prints the tokens
    assert not reused, "the retry reused the refused token"


def assert_two_different_tokens(hits: "list[str]") -> None:
    """The refused request and its one retry, the retry with a new token."""
    assert len(hits) == 2
    assert all(h.startswith("Bearer ") for h in hits)
    reused = hits[0] == hits[1]  # compared apart so a failure never prints the tokens
    assert not reused, "the retry reused the refused token"


def test_requests_adds_header_and_retries_after_revocation(mock):
    client = TokenClient(**mock.client_kwargs())
    auth = RequestsAuth(client)
    with requests.Session() as s:
        r = s.get(mock.url + "/api/v2/me", auth=auth, timeout=10)
        assert r.status_code == 200 and not r.history
        first = client.token()
        sent_first = r.request.headers["Authorization"] == first.authorization_header()
        assert sent_first  # (booleans, so a failure never prints a token)
        assert mock.token_requests == 1
        mock.revoke()  # the application was deleted/recreated: issued tokens now get 401
        r = s.get(mock.url + "/api/v2/me", auth=auth, timeout=10)
        assert r.status_code == 200
        assert_resent_with_new_token(r, first.authorization_header())
        refused_first = r.history[0].request.headers["Authorization"] == first.authorization_header()
        assert refused_first
        assert mock.token_requests == 2  # exactly one extra token request
    renewed = client.token() != first
    resent_cached = r.request.headers["Authorization"] == client.authorization_header()
    assert renewed and resent_cached
    assert mock.token_requests == 2


def test_requests_retries_only_once(mock, always401):
    client = TokenClient(**mock.client_kwargs())
    r = requests.get(always401.url, auth=RequestsAuth(client), timeout=10)
    assert r.status_code == 401
    assert_two_different_tokens(always401.hits)
    assert mock.token_requests == 2


def test_httpx_sync_adds_header_and_retries_after_revocation(mock):
    client = TokenClient(**mock.client_kwargs())
    with httpx.Client(auth=HttpxAuth(client), timeout=10) as http:
        r = http.get(mock.url + "/api/v2/me")
        assert r.status_code == 200 and not r.history
        refused = r.request.headers["Authorization"]
        assert mock.token_requests == 1
        mock.revoke()
        r = http.get(mock.url + "/api/v2/me")
        assert r.status_code == 200
        assert_resent_with_new_token(r, refused)
    resent_cached = r.request.headers["Authorization"] == client.authorization_header()
    assert resent_cached  # (a boolean, so a failure never prints a token)
    assert mock.token_requests == 2  # exactly one extra token request


def test_httpx_sync_retries_only_once(mock, always401):
    client = TokenClient(**mock.client_kwargs())
    with httpx.Client(auth=HttpxAuth(client), timeout=10) as http:
        assert http.get(always401.url).status_code == 401
    assert_two_different_tokens(always401.hits)
    assert mock.token_requests == 2


def test_httpx_async_flow(mock, always401):
    client = TokenClient(**mock.client_kwargs())

    async def main() -> None:
        async with httpx.AsyncClient(auth=HttpxAuth(client), timeout=10) as http:
            r = await http.get(mock.url + "/api/v2/me")
            assert r.status_code == 200 and not r.history
            refused = r.request.headers["Authorization"]
            assert mock.token_requests == 1
            mock.revoke()
            r = await http.get(mock.url + "/api/v2/me")
            assert r.status_code == 200
            assert_resent_with_new_token(r, refused)
            assert mock.token_requests == 2  # exactly one extra token request
            assert (await http.get(always401.url)).status_code == 401

    asyncio.run(main())
    assert_two_different_tokens(always401.hits)
    assert mock.token_requests == 3


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
