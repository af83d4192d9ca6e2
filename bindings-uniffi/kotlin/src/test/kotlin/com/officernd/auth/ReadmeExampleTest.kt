package com.officernd.auth

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The README's Kotlin snippet, as written, against the mock that scripts/with-mock.sh started. */
class ReadmeExampleTest {
    @Test
    fun `README snippet runs`() {
        assertNotNull(
            System.getenv("OFFICERND_TOKEN_URL"),
            "OFFICERND_TOKEN_URL not set: run the suite under scripts/with-mock.sh (make test-uniffi)",
        )
        // ---- as in README.md ----
        JavaUtilLogSink.install() // the library's warnings → java.util.logging
        val client = TokenClient.fromEnv() // OFFICERND_CLIENT_ID, _SECRET, _SCOPES, _TOKEN_URL
        val header = client.authorizationHeader() // "Bearer …", from the cache when fresh
        val token = client.token() // Token: accessToken(), tokenType(), scopes(),
        //   expiresAt(): Instant, expiresIn(): Duration
        // an API call sent `token` and got 401: the 401 rule, on the token that call sent
        val retryWith: Token? = client.tokenAfterUnauthorized(token) // retry once with it; null: don't
        println(client.stats()) // requestsSent, requestsOk, cacheHits, budgetRemaining, …

        try {
            client.token()
        } catch (e: OfficeRnDAuthException) {
            // sealed: one subclass per error code
            when (e) {
                is OfficeRnDAuthException.OAuth -> println("${e.status} ${e.error}: ${e.errorDescription}")
                is OfficeRnDAuthException.RateLimited -> println("retry after ${e.retryAfter}")
                else -> println("${e.code()}: $e (retryable: ${e.isRetryable()})")
            }
        }
        // ---- end ----
        clearLogSink() // the rest of the suite runs without it
        assertEquals("Bearer " + token.accessToken(), header)
        assertNotNull(retryWith)
        assertNotEquals(token, retryWith, "a new token once the refused one was dropped")
        assertTrue(client.stats().requestsOk >= 1)

        val configured =
            TokenClient(
                TokenClientConfig(
                    clientId = System.getenv("OFFICERND_CLIENT_ID"),
                    clientSecret = ClientSecret(System.getenv("OFFICERND_CLIENT_SECRET")),
                    scopes = listOf("officernd.api.read"),
                    tokenUrl = System.getenv("OFFICERND_TOKEN_URL"),
                    timeout = java.time.Duration.ofSeconds(5),
                ),
            )
        assertEquals(listOf("officernd.api.read"), configured.token().scopes())
    }
}
