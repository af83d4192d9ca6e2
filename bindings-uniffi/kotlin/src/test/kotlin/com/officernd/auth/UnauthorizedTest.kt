package com.officernd.auth

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Test

/**
 * The 401 rule (`tokenAfterUnauthorized`) against a mock of its own: the mock revokes every
 * token it issued (`POST /_mock/revoke`, like deleting the app), so the resource answers 401.
 */
class UnauthorizedTest {
    @Test
    fun `a revoked token is replaced once and the replacement opens the resource`() {
        MockServer("--no-rate-limit").use { mock ->
            val client =
                TokenClient(
                    TokenClientConfig(
                        clientId = MockServer.CLIENT_ID,
                        clientSecret = ClientSecret(MockServer.CLIENT_SECRET),
                        scopes = MockServer.SCOPES,
                        tokenUrl = mock.tokenUrl,
                        shareCache = false,
                    ),
                )
            val refused = client.token()
            assertEquals(200, mock.get("/api/v2/me", refused.authorizationHeader()).statusCode())

            assertEquals(200, mock.post("/_mock/revoke", "{}").statusCode())
            assertEquals(401, mock.get("/api/v2/me", refused.authorizationHeader()).statusCode())
            assertEquals(refused, client.token(), "the client cannot know: it still serves the cached token")

            val next = client.tokenAfterUnauthorized(refused)
            assertNotNull(next, "a different token to retry with")
            next!!
            assertNotEquals(refused, next)
            assertEquals(200, mock.get("/api/v2/me", next.authorizationHeader()).statusCode())
            assertEquals(2L, mock.tokenRequests(), "one request for the replacement")
            assertEquals(next, client.token(), "the replacement is the cached token now")

            // A second caller that was refused with the same old token gets the replacement
            // already cached, without a request of its own (the old token is not dropped twice).
            assertEquals(next, client.tokenAfterUnauthorized(refused))
            assertEquals(2L, mock.tokenRequests())
        }
    }
}
