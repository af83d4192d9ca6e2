"""``requests`` adapter: ``requests.get(url, auth=RequestsAuth(client))``.

Adds ``Authorization: Bearer …`` to every request; when the API answers 401, resends the request
once with the token core's ``token_after_unauthorized`` gives (none: the 401 stands).
"""

from typing import Any

import requests
from requests.auth import AuthBase

from ._native import TokenClient

__all__ = ["RequestsAuth"]


class RequestsAuth(AuthBase):
    """Bearer authentication for ``requests`` from an officernd_auth :class:`TokenClient`."""

    def __init__(self, client: TokenClient) -> None:
        # Checked at run time too: not every caller is type-checked.
        if not isinstance(client, TokenClient):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"client must be an officernd_auth.TokenClient, not {type(client).__name__}")
        self.client = client

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.client.token()
        r.headers["Authorization"] = token.authorization_header()
        body_pos = _body_position(r)

        def retry_on_401(response: requests.Response, **kwargs: Any) -> requests.Response:
            if response.status_code != 401 or getattr(response.request, "_officernd_retried", False):
                return response
            fresh = self.client.token_after_unauthorized(token)
            if fresh is None:
                return response  # the same token again: resending cannot help
            if body_pos is not None:
                r.body.seek(body_pos)  # type: ignore[union-attr]
            # Release the connection of the refused answer before sending again.
            response.content  # noqa: B018
            response.close()
            retry = response.request.copy()
            retry.headers["Authorization"] = fresh.authorization_header()
            retry._officernd_retried = True  # type: ignore[attr-defined]
            new = response.connection.send(retry, **kwargs)
            new.history.append(response)
            new.request = retry
            return new

        r.hooks["response"].append(retry_on_401)  # what r.register_hook does (untyped in types-requests)
        return r

    def __repr__(self) -> str:
        return f"RequestsAuth({self.client!r})"


def _body_position(r: requests.PreparedRequest) -> "int | None":
    tell = getattr(r.body, "tell", None)
    if tell is None:
        return None
    try:
        return int(tell())
    except OSError:
        return None
