"""Smoke test of the UniFFI-generated Python module (ctypes; distinct from the pyo3 package).

Runs with the standard library only, against the mock of scripts/with-mock.sh (make test-uniffi):
    UNIFFI_PYTHON_DIR=bindings-uniffi/generated/python scripts/with-mock.sh --no-rate-limit -- \
        python3 -m unittest -v bindings-uniffi/python/test_uniffi_smoke.py
UNIFFI_PYTHON_DIR holds the generated officernd_auth_uniffi.py next to libofficernd_auth_uniffi.so
(the Makefile copies the library there). The tests count the token requests they cause themselves.
"""

import datetime
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("UNIFFI_PYTHON_DIR", os.path.join(HERE, "..", "generated", "python")))

import officernd_auth_uniffi as oa  # noqa: E402

CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret-s3cr3t"
SCOPES = ["officernd.api.read", "officernd.api.write"]


class Mock:
    """The mock identity server of scripts/with-mock.sh (OFFICERND_MOCK_URL) and its control API."""

    def __init__(self):
        self.url = os.environ.get("OFFICERND_MOCK_URL")
        if not self.url:
            raise RuntimeError("OFFICERND_MOCK_URL is not set: run through scripts/with-mock.sh (make test-uniffi)")
        self.token_url = self.url + "/oauth/token"

    def stats(self):
        with urllib.request.urlopen(self.url + "/_mock/stats") as r:
            return json.load(r)

    def faults(self, faults):
        req = urllib.request.Request(
            self.url + "/_mock/faults",
            data=json.dumps(faults).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req).close()

    def get(self, path, authorization):
        req = urllib.request.Request(self.url + path, headers={"Authorization": authorization})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status
        except urllib.error.HTTPError as e:
            e.close()
            return e.code

    def revoke(self):
        req = urllib.request.Request(self.url + "/_mock/revoke", data=b"{}", method="POST")
        urllib.request.urlopen(req).close()


class UniffiPythonSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mock = Mock()

    def config(self, secret=CLIENT_SECRET, **kw):
        return oa.TokenClientConfig(
            client_id=CLIENT_ID,
            client_secret=oa.ClientSecret(secret),
            scopes=SCOPES,
            token_url=self.mock.token_url,
            share_cache=False,
            max_retries=0,
            **kw,
        )

    def test_token_cache_and_resource(self):
        client = oa.TokenClient(self.config())
        before = self.mock.stats()["token_requests"]
        token = client.token()
        self.assertEqual(token.token_type(), "Bearer")
        self.assertEqual(set(token.scopes()), set(SCOPES))
        self.assertGreater(token.expires_in(), datetime.timedelta(minutes=50))
        self.assertGreater(token.expires_at(), datetime.datetime.now(datetime.timezone.utc))
        self.assertEqual(client.token(), token)
        self.assertEqual(client.authorization_header(), "Bearer " + token.access_token())
        self.assertEqual(self.mock.stats()["token_requests"], before + 1)
        self.assertEqual(self.mock.get("/api/v2/me", client.authorization_header()), 200)
        stats = client.stats()
        self.assertEqual(stats.requests_sent, 1)
        self.assertGreaterEqual(stats.cache_hits, 2)
        self.assertTrue(client.invalidate(token))
        self.assertFalse(client.invalidate(token))

    def test_token_after_unauthorized(self):
        client = oa.TokenClient(self.config())
        refused = client.token()
        self.mock.revoke()
        self.assertEqual(self.mock.get("/api/v2/me", refused.authorization_header()), 401)
        retry = client.token_after_unauthorized(refused)
        self.assertIsNotNone(retry)
        self.assertNotEqual(retry, refused)
        self.assertEqual(self.mock.get("/api/v2/me", retry.authorization_header()), 200)

    def test_log_sink(self):
        class Capture(oa.LogSink):
            def __init__(self):
                self.lines = []

            def log(self, level, target, message):
                self.lines.append((level, target, message))

        sink = Capture()
        oa.set_log_sink(sink, oa.LogLevel.TRACE)
        try:
            token = oa.TokenClient(self.config()).token()
        finally:
            oa.clear_log_sink()
        own = [line for line in sink.lines if line[1].startswith("officernd_auth")]
        self.assertTrue(any(lvl == oa.LogLevel.DEBUG and "requesting a token" in msg for lvl, _, msg in own), own)
        others = [line for line in sink.lines if not line[1].startswith("officernd_auth")]
        self.assertEqual([line for line in others if line[0] in (oa.LogLevel.DEBUG, oa.LogLevel.TRACE)], [])
        for _, _, message in sink.lines:
            self.assertNotIn(token.access_token(), message)
            self.assertNotIn(CLIENT_SECRET, message)

    def test_nothing_prints_a_secret(self):
        config = self.config()
        client = oa.TokenClient(config)
        token = client.token()
        for text in (str(config), repr(config), str(config.client_secret), repr(config.client_secret),
                     str(client), str(token), repr(token), str(client.stats())):
            self.assertNotIn(CLIENT_SECRET, text)
            self.assertNotIn(token.access_token(), text)

    def test_oauth_error_fields(self):
        with self.assertRaises(oa.OfficeRnDAuthError.OAuth) as cm:
            oa.TokenClient(self.config(secret="not-the-secret")).token()
        e = cm.exception
        self.assertIsInstance(e, oa.OfficeRnDAuthError)
        self.assertEqual(e.code(), "oauth")
        self.assertEqual(e.status, 401)
        self.assertEqual(e.error, "invalid_client")
        self.assertFalse(e.retryable)
        self.assertNotIn("not-the-secret", repr(e))

    def test_config_error(self):
        with self.assertRaises(oa.OfficeRnDAuthError.Config) as cm:
            oa.TokenClient(oa.TokenClientConfig(client_id="", client_secret=oa.ClientSecret("x")))
        self.assertEqual(cm.exception.setting, "client_id")

    def test_http_and_rate_limited(self):
        self.mock.faults([{"kind": "status", "status": 503}, {"kind": "too_many_requests", "retry_after": "7"}])
        client = oa.TokenClient(self.config())
        with self.assertRaises(oa.OfficeRnDAuthError.Http) as cm:
            client.token()
        self.assertEqual(cm.exception.status, 503)
        self.assertTrue(cm.exception.retryable)
        with self.assertRaises(oa.OfficeRnDAuthError.RateLimited) as cm:
            client.token()
        self.assertTrue(cm.exception.from_server)
        self.assertEqual(cm.exception.retry_after, datetime.timedelta(seconds=7))


if __name__ == "__main__":
    unittest.main()
