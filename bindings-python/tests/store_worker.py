"""One process of the multi-process store tests (run by test_stores.py, never collected by pytest).

argv[1] is a JSON object of TokenClient keyword arguments. The worker builds its client, prints
"ready", waits for one line on stdin (so that every worker asks at the same moment), fetches a
token and prints one JSON line: a fingerprint of the token (never the token) and its own request
count, or the error code.
"""

import hashlib
import json
import sys

from officernd_auth import OfficeRnDAuthError, TokenClient


def main() -> None:
    client = TokenClient(**json.loads(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        token = client.token()
    except OfficeRnDAuthError as e:
        print(json.dumps({"error": e.code}), flush=True)
        return
    fingerprint = hashlib.sha256(token.access_token.encode()).hexdigest()[:16]
    print(json.dumps({"fp": fingerprint, "sent": client.stats().requests_sent}), flush=True)


if __name__ == "__main__":
    main()
