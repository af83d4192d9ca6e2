package com.officernd.auth

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration
import java.time.Instant
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** Success path, cache, invalidate, stats and redaction against one mock. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenClientTest {
    private lateinit var mock: MockServer

    @BeforeAll
    fun start() {
        mock = MockServer("--no-rate-limit")
    }

    @AfterAll
    fun stop() = mock.close()

    private fun config(
        secret: String = MockServer.CLIENT_SECRET,
        shareCache: Boolean = true,
    ) = TokenClientConfig(
        clientId = MockServer.CLIENT_ID,
        clientSecret = ClientSecret(secret),
        scopes = MockServer.SCOPES,
        tokenUrl = mock.tokenUrl,
        shareCache = shareCache,
    )

    @Test
    fun `fetches a token, serves it from cache and it opens the protected resource`() {
        val client = TokenClient(config(shareCache = false))
        val before = mock.tokenRequests()

        val token = client.token()
        assertEquals("Bearer", token.tokenType())
        assertTrue(token.accessToken().isNotEmpty())
        assertEquals(MockServer.SCOPES.toSet(), token.scopes().toSet())
        assertTrue(token.expiresIn() > Duration.ofMinutes(50), "expires in ${token.expiresIn()}")
        assertTrue(token.expiresAt().isAfter(Instant.now().plusSeconds(3000)))
        assertEquals("Bearer " + token.accessToken(), token.authorizationHeader())

        val again = client.token()
        assertEquals(token, again, "second call answered from the cache")
        assertEquals(token.hashCode(), again.hashCode())
        assertEquals(token.authorizationHeader(), client.authorizationHeader())
        assertEquals(token.accessToken(), client.accessToken())
        assertEquals(token, client.cached())
        assertEquals(before + 1, mock.tokenRequests(), "one token request for every call")

        val me = mock.get("/api/v2/me", client.authorizationHeader())
        assertEquals(200, me.statusCode())

        val stats = client.stats()
        assertEquals(1L, stats.requestsOk)
        assertEquals(1L, stats.requestsSent)
        assertTrue(stats.cacheHits >= 3, "cache hits ${stats.cacheHits}")
        assertEquals(5, stats.budgetCapacity)
        assertEquals(4, stats.budgetRemaining)
        assertNotNull(stats.expiresIn)
        assertNull(stats.lastErrorCode)

        assertEquals(mock.tokenUrl, client.tokenUrl())
        assertEquals(MockServer.CLIENT_ID, client.clientId())
        assertEquals(MockServer.SCOPES.sorted(), client.scopes().sorted())
    }

    @Test
    fun `invalidate drops only the cached token`() {
        val client = TokenClient(config(shareCache = false))
        val first = client.token()
        assertTrue(client.invalidate(first))
        assertFalse(client.invalidate(first), "already dropped")
        assertNull(client.cached())
        val second = client.token()
        assertFalse(first == second, "a new token after invalidate")
        assertFalse(client.invalidate(first), "not the cached one any more")
        assertEquals(2L, client.stats().requestsOk)
    }

    @Test
    fun `clients with the same settings share one cache`() {
        val a = TokenClient(config())
        val b = TokenClient(config())
        assertEquals(a.token(), b.token())
    }

    @Test
    fun `no toString shows the secret or the token`() {
        val cfg = config(shareCache = false)
        val client = TokenClient(cfg)
        val token = client.token()
        val secret = MockServer.CLIENT_SECRET
        val access = token.accessToken()
        assertEquals("[redacted]", cfg.clientSecret.toString())

        val badSecret = "wrong-secret-value-xyz123"
        val err =
            assertThrows<OfficeRnDAuthException.OAuth> {
                TokenClient(config(secret = badSecret, shareCache = false)).token()
            }
        val printed =
            listOf(
                cfg.toString(),
                cfg.clientSecret.toString(),
                client.toString(),
                token.toString(),
                client.stats().toString(),
                err.toString(),
                err.message.toString(),
                err.stackTraceToString(),
            )
        for (s in printed) {
            assertFalse(s.contains(secret), "secret in: $s")
            assertFalse(s.contains(badSecret), "secret in: $s")
            assertFalse(s.contains(access), "access token in: $s")
        }
        assertTrue(token.toString().contains(token.redacted()), token.toString())
        assertTrue(token.redacted().endsWith("[redacted]"))
        assertTrue(client.toString().contains(MockServer.CLIENT_ID))
    }

    @Test
    fun `a file store shares the token between clients that share no memory`(
        @TempDir dir: Path,
    ) {
        val store = Store("file", dir.toString())
        val before = mock.tokenRequests()
        val a = TokenClient(config(shareCache = false).copy(store = store))
        val b = TokenClient(config(shareCache = false).copy(store = store))
        assertEquals(a.token(), b.token())
        assertEquals(before + 1, mock.tokenRequests(), "the second client read the file")
        assertEquals("Store(file:$dir)", store.toString())

        val redis = Store("redis://user:hunter2@127.0.0.1:6379/0")
        assertEquals("Store(redis://user:***@127.0.0.1:6379/0)", redis.toString())
        val cfg = config().copy(store = redis)
        assertFalse(cfg.toString().contains("hunter2"), cfg.toString())
        val bad = assertThrows<OfficeRnDAuthException.Config> { TokenClient(config().copy(store = Store("nope"))) }
        assertEquals("store", bad.setting)
    }

    @Test
    fun `version is the crate's`() {
        assertEquals("0.1.0", version())
    }

    @Test
    fun `from_env reads OFFICERND_ variables`() {
        // The Makefile runs the suite under scripts/with-mock.sh, which exports the demo
        // app's variables pointing at a mock of its own.
        val url = System.getenv("OFFICERND_TOKEN_URL")
        assertNotNull(url, "OFFICERND_TOKEN_URL not set: run the suite under scripts/with-mock.sh (make test-uniffi)")
        val client = TokenClient.fromEnv()
        assertEquals(url, client.tokenUrl())
        assertEquals(System.getenv("OFFICERND_CLIENT_ID"), client.clientId())
        assertTrue(client.authorizationHeader().startsWith("Bearer "))
    }
}

/** 16 JVM threads on an empty cache: exactly one token request reaches the server. */
class ConcurrencyTest {
    @Test
    fun `16 threads on an empty cache send one request`() {
        MockServer().use { mock ->
            val threads = 16
            val pool = Executors.newFixedThreadPool(threads)
            val ready = CountDownLatch(threads)
            val go = CountDownLatch(1)
            try {
                val futures =
                    (1..threads).map {
                        pool.submit<String> {
                            // Each thread builds its own client: same settings, one shared cache.
                            val client =
                                TokenClient(
                                    TokenClientConfig(
                                        clientId = MockServer.CLIENT_ID,
                                        clientSecret = ClientSecret(MockServer.CLIENT_SECRET),
                                        scopes = MockServer.SCOPES,
                                        tokenUrl = mock.tokenUrl,
                                    ),
                                )
                            ready.countDown()
                            go.await()
                            client.token().accessToken()
                        }
                    }
                assertTrue(ready.await(30, TimeUnit.SECONDS))
                go.countDown()
                val tokens = futures.map { it.get(30, TimeUnit.SECONDS) }.toSet()
                assertEquals(1, tokens.size, "every thread got the same token")
                assertEquals(1L, mock.tokenRequests(), "single-flight: one request")
            } finally {
                pool.shutdownNow()
            }
        }
    }
}
