"""officernd-auth from Python: one client from the environment, a token fetched once and then
served from cache, the protected resource called with urllib and through the httpx adapter.

    OFFICERND_CLIENT_ID=… OFFICERND_CLIENT_SECRET=… OFFICERND_TOKEN_URL=… python fetch_token.py

(`make demo` runs it against the mock identity server.) Never prints the token or the secret.
"""

import logging
import os
import urllib.request

from officernd_auth import OfficeRnDAuthError, TokenClient

logging.basicConfig(level=logging.INFO, format="  log %(name)s %(levelname)s: %(message)s")


def main() -> int:
    client = TokenClient.from_env()  # OFFICERND_CLIENT_ID, _CLIENT_SECRET, _SCOPES, _TOKEN_URL
    print(f"client: {client!r}")
    try:
        first = client.token()  # a request to the token endpoint
        second = client.token()  # from the cache: no request
    except OfficeRnDAuthError as e:
        print(f"could not get a token: [{e.code}] {e} (retryable: {e.retryable})")
        return 1
    print(f"token: {first} (type {first.token_type}, scopes {list(first.scopes)}, expires {first.expires_at:%H:%M:%S} UTC)")
    print(f"second call served from cache: {second == first}")

    api = os.environ.get("OFFICERND_MOCK_URL", "https://app.officernd.com") + "/api/v2/me"
    req = urllib.request.Request(api, headers={"Authorization": client.authorization_header()})
    with urllib.request.urlopen(req, timeout=10) as resp:
        print(f"urllib GET {api}: HTTP {resp.status}")

    try:
        import httpx

        from officernd_auth import HttpxAuth
    except ImportError:
        print("httpx not installed: adapter example skipped")
    else:
        with httpx.Client(auth=HttpxAuth(client), timeout=10) as http:
            r = http.get(api)
            print(f"httpx  GET {api}: HTTP {r.status_code} (a 401 would invalidate the token and retry once)")

    s = client.stats()
    print(
        f"stats: requests sent {s.requests_sent}, cache hits {s.cache_hits}, "
        f"budget left {s.budget_remaining}/{s.budget_capacity}, expires in {s.expires_in:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
