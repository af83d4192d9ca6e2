"""``httpx`` adapter: ``httpx.Client(auth=HttpxAuth(client))`` or ``httpx.AsyncClient(auth=…)``.

Adds ``Authorization: Bearer …`` to every request; when the API answers 401, invalidates that
token (only if it is still the cached one) and resends the request once with a new token. The
async flow never blocks the event loop (``token_async``).
"""

from typing import AsyncGenerator, Generator

import httpx

from ._native import TokenClient

__all__ = ["HttpxAuth"]


class HttpxAuth(httpx.Auth):
    """Bearer authentication for ``httpx`` (sync and async) from a :class:`TokenClient`."""

    # The request may be sent twice (401 → new token → once more): httpx must buffer the body.
    requires_request_body = True

    def __init__(self, client: TokenClient) -> None:
        if not isinstance(client, TokenClient):
            raise TypeError(f"client must be an officernd_auth.TokenClient, not {type(client).__name__}")
        self.client = client

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.client.token()
        request.headers["Authorization"] = token.authorization_header()
        response = yield request
        if response.status_code == 401:
            self.client.invalidate(token)
            request.headers["Authorization"] = self.client.authorization_header()
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.client.token_async()
        request.headers["Authorization"] = token.authorization_header()
        response = yield request
        if response.status_code == 401:
            self.client.invalidate(token)
            request.headers["Authorization"] = await self.client.authorization_header_async()
            yield request

    def __repr__(self) -> str:
        return f"HttpxAuth({self.client!r})"
