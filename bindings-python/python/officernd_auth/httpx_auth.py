"""``httpx`` adapter: ``httpx.Client(auth=HttpxAuth(client))`` or ``httpx.AsyncClient(auth=…)``.

Adds ``Authorization: Bearer …`` to every request; when the API answers 401, resends the request
once with the token core's ``token_after_unauthorized`` gives (none: the 401 stands). The async
flow never blocks the event loop (``token_async``; the 401 path runs in a worker thread).
"""

import asyncio
from typing import AsyncGenerator, Generator

import httpx

from ._native import TokenClient

__all__ = ["HttpxAuth"]


class HttpxAuth(httpx.Auth):
    """Bearer authentication for ``httpx`` (sync and async) from a :class:`TokenClient`."""

    # The request may be sent twice (401 → new token → once more): httpx must buffer the body.
    requires_request_body = True

    def __init__(self, client: TokenClient) -> None:
        # Checked at run time too: not every caller is type-checked.
        if not isinstance(client, TokenClient):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"client must be an officernd_auth.TokenClient, not {type(client).__name__}")
        self.client = client

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.client.token()
        request.headers["Authorization"] = token.authorization_header()
        response = yield request
        if response.status_code == 401:
            retry = self.client.token_after_unauthorized(token)
            if retry is not None:
                request.headers["Authorization"] = retry.authorization_header()
                yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.client.token_async()
        request.headers["Authorization"] = token.authorization_header()
        response = yield request
        if response.status_code == 401:
            loop = asyncio.get_running_loop()
            retry = await loop.run_in_executor(None, self.client.token_after_unauthorized, token)
            if retry is not None:
                request.headers["Authorization"] = retry.authorization_header()
                yield request

    def __repr__(self) -> str:
        return f"HttpxAuth({self.client!r})"
