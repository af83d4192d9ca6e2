package com.officernd.auth

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Test

/** The Redis store (core's `redis` feature, on in these bindings) against a real redis-server. */
class RedisStoreTest {
    @Test
    fun `two clients that share no memory share one token through Redis`() {
        val password = "redis-pw-hunter2"
        RedisServer(password).use { redis ->
            MockServer("--no-rate-limit").use { mock ->
                val store = Store(redis.url)

                fun client() =
                    TokenClient(
                        TokenClientConfig(
                            clientId = MockServer.CLIENT_ID,
                            clientSecret = ClientSecret(MockServer.CLIENT_SECRET),
                            scopes = MockServer.SCOPES,
                            tokenUrl = mock.tokenUrl,
                            shareCache = false, // no memory shared: only Redis can answer the second
                            store = store,
                        ),
                    )
                val a = client()
                val b = client()
                val token = a.token()
                assertEquals(token, b.token(), "the second client read the token from Redis")
                assertEquals(1L, mock.tokenRequests(), "exactly one token request for both clients")

                val config =
                    TokenClientConfig(
                        clientId = MockServer.CLIENT_ID,
                        clientSecret = ClientSecret(MockServer.CLIENT_SECRET),
                        store = store,
                    )
                assertEquals("Store(redis://:***@127.0.0.1:${redis.port}/0)", store.toString())
                for (text in listOf(store.toString(), config.toString(), a.toString())) {
                    assertFalse(text.contains(password), text)
                }
            }
        }
    }
}
