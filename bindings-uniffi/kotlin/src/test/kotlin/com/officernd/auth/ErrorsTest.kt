package com.officernd.auth

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration

/**
 * Every error variant with its fields. One mock without its rate limit (the 429 is injected as
 * a fault); each client has its own cache and budget (shareCache = false), so tests do not
 * see each other's tokens, and retries are off so one fault is one answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorsTest {
    private lateinit var mock: MockServer

    @BeforeAll
    fun start() {
        mock = MockServer("--no-rate-limit")
    }

    @AfterAll
    fun stop() = mock.close()

    @BeforeEach
    fun reset() {
        assertEquals(200, mock.post("/_mock/reset", "{}").statusCode())
    }

    private fun client(
        secret: String = MockServer.CLIENT_SECRET,
        scopes: List<String> = MockServer.SCOPES,
        tokenUrl: String = mock.tokenUrl,
        timeout: Duration? = null,
        maxRequests: Int? = null,
    ) = TokenClient(
        TokenClientConfig(
            clientId = MockServer.CLIENT_ID,
            clientSecret = ClientSecret(secret),
            scopes = scopes,
            tokenUrl = tokenUrl,
            timeout = timeout,
            maxRequests = maxRequests,
            maxRetries = 0,
            shareCache = false,
        ),
    )

    @Test
    fun `config error names the setting`() {
        val e =
            assertThrows<OfficeRnDAuthException.Config> {
                TokenClient(TokenClientConfig(clientId = "", clientSecret = ClientSecret("x")))
            }
        assertEquals("config", e.code())
        assertEquals("client_id", e.setting)
        assertTrue(e.reason.isNotEmpty())
        assertFalse(e.retryable)
        assertTrue(e.toString().contains("client_id"), e.toString())

        val url = assertThrows<OfficeRnDAuthException.Config> { client(tokenUrl = "http://example.com/token") }
        assertEquals("token_url", url.setting)

        val negative = assertThrows<OfficeRnDAuthException.Config> { client(maxRequests = -1) }
        assertEquals("max_requests", negative.setting)
    }

    @Test
    fun `invalid_client is an oauth error with the RFC 6749 fields`() {
        val e = assertThrows<OfficeRnDAuthException.OAuth> { client(secret = "not-the-secret").token() }
        assertEquals("oauth", e.code())
        assertEquals(401, e.status)
        assertEquals("invalid_client", e.error)
        assertNotNull(e.errorDescription)
        assertFalse(e.retryable)
        assertEquals(1L, mock.tokenRequests())
    }

    @Test
    fun `invalid_scope is an oauth error`() {
        val e =
            assertThrows<OfficeRnDAuthException.OAuth> {
                client(scopes = listOf("officernd.api.admin")).token()
            }
        assertEquals(400, e.status)
        assertEquals("invalid_scope", e.error)
    }

    @Test
    fun `oauth error_uri is carried`() {
        mock.faults("""[{"kind":"oauth_error","status":400,"error":"invalid_request","description":"bad request"}]""")
        val e = assertThrows<OfficeRnDAuthException.OAuth> { client().token() }
        assertEquals(400, e.status)
        assertEquals("invalid_request", e.error)
        assertEquals("bad request", e.errorDescription)
        // The mock sends no error_uri: the field is there and empty.
        assertNull(e.errorUri)
    }

    @Test
    fun `429 from the server is rate_limited with its Retry-After`() {
        mock.faults("""[{"kind":"too_many_requests","retry_after":"7"}]""")
        val e = assertThrows<OfficeRnDAuthException.RateLimited> { client().token() }
        assertEquals("rate_limited", e.code())
        assertTrue(e.fromServer)
        assertEquals(Duration.ofSeconds(7), e.retryAfter)
        assertTrue(e.retryable)
    }

    @Test
    fun `spent budget is rate_limited locally with the last error`() {
        val c = client(maxRequests = 1)
        mock.faults("""[{"kind":"status","status":503}]""")
        val first = assertThrows<OfficeRnDAuthException.Http> { c.token() }
        assertEquals(503, first.status)
        val e = assertThrows<OfficeRnDAuthException.RateLimited> { c.token() }
        assertFalse(e.fromServer)
        assertTrue(e.retryAfter > Duration.ZERO)
        assertEquals("http", e.lastErrorCode)
        assertNotNull(e.lastErrorMessage)
        assertEquals(1L, mock.tokenRequests(), "refused without a request")
        assertEquals(1L, c.stats().refusedLocally)
    }

    @Test
    fun `5xx is an http error, retryable`() {
        mock.faults("""[{"kind":"status","status":503}]""")
        val e = assertThrows<OfficeRnDAuthException.Http> { client().token() }
        assertEquals("http", e.code())
        assertEquals(503, e.status)
        assertTrue(e.retryable)
    }

    @Test
    fun `a redirect is an http error and is not followed`() {
        mock.faults("""[{"kind":"redirect","location":"http://127.0.0.1:1/x"}]""")
        val e = assertThrows<OfficeRnDAuthException.Http> { client().token() }
        assertTrue(e.status in 300..399, "status ${e.status}")
    }

    @Test
    fun `connection failure is a transport error`() {
        mock.faults("""[{"kind":"connection_reset"}]""")
        val e = assertThrows<OfficeRnDAuthException.Transport> { client().token() }
        assertEquals("transport", e.code())
        assertTrue(e.detail.isNotEmpty())
        assertTrue(e.retryable)
    }

    @Test
    fun `slow answer is a timeout`() {
        mock.faults("""[{"kind":"delay","ms":2000}]""")
        val e = assertThrows<OfficeRnDAuthException.Timeout> { client(timeout = Duration.ofMillis(300)).token() }
        assertEquals("timeout", e.code())
        assertEquals(Duration.ofMillis(300), e.after, "the configured timeout, exactly")
        assertTrue(e.retryable)
    }

    @Test
    fun `unusable 200 is invalid_response`() {
        mock.faults("""[{"kind":"malformed_json"}]""")
        val e = assertThrows<OfficeRnDAuthException.InvalidResponse> { client().token() }
        assertEquals("invalid_response", e.code())
        assertEquals(200, e.status)
        assertTrue(e.reason.isNotEmpty())
        assertFalse(e.retryable)

        mock.faults("""[{"kind":"wrong_token_type"}]""")
        assertThrows<OfficeRnDAuthException.InvalidResponse> { client().token() }
    }

    /** One server answer, the subclass it must map to, its code() literal and its fields. */
    private class Case(
        val name: String,
        val faults: String?,
        val expected: Class<out OfficeRnDAuthException>,
        val code: String,
        val call: () -> Unit,
        val fields: (OfficeRnDAuthException) -> Unit,
    )

    @TestFactory
    fun `each server answer maps to its subclass and code literal`(): List<DynamicTest> =
        listOf(
            Case(
                "wrong secret",
                null,
                OfficeRnDAuthException.OAuth::class.java,
                "oauth",
                { client(secret = "not-the-secret").token() },
            ) {
                it as OfficeRnDAuthException.OAuth
                assertEquals(401, it.status)
                assertEquals("invalid_client", it.error)
                assertFalse(it.retryable)
            },
            Case(
                "unknown scope",
                null,
                OfficeRnDAuthException.OAuth::class.java,
                "oauth",
                { client(scopes = listOf("officernd.api.admin")).token() },
            ) {
                it as OfficeRnDAuthException.OAuth
                assertEquals(400, it.status)
                assertEquals("invalid_scope", it.error)
            },
            Case(
                "injected 503",
                """[{"kind":"status","status":503}]""",
                OfficeRnDAuthException.Http::class.java,
                "http",
                { client().token() },
            ) {
                it as OfficeRnDAuthException.Http
                assertEquals(503, it.status)
                assertTrue(it.retryable)
            },
            Case(
                "injected 429",
                """[{"kind":"too_many_requests","retry_after":"7"}]""",
                OfficeRnDAuthException.RateLimited::class.java,
                "rate_limited",
                { client().token() },
            ) {
                it as OfficeRnDAuthException.RateLimited
                assertTrue(it.fromServer)
                assertEquals(Duration.ofSeconds(7), it.retryAfter)
            },
            Case(
                "connection reset",
                """[{"kind":"connection_reset"}]""",
                OfficeRnDAuthException.Transport::class.java,
                "transport",
                { client().token() },
            ) {
                it as OfficeRnDAuthException.Transport
                assertTrue(it.detail.isNotEmpty())
            },
            Case(
                "delay past the timeout",
                """[{"kind":"delay","ms":2000}]""",
                OfficeRnDAuthException.Timeout::class.java,
                "timeout",
                { client(timeout = Duration.ofMillis(300)).token() },
            ) {
                it as OfficeRnDAuthException.Timeout
                assertEquals(Duration.ofMillis(300), it.after)
            },
            Case(
                "malformed JSON",
                """[{"kind":"malformed_json"}]""",
                OfficeRnDAuthException.InvalidResponse::class.java,
                "invalid_response",
                { client().token() },
            ) {
                it as OfficeRnDAuthException.InvalidResponse
                assertEquals(200, it.status)
            },
            Case(
                "empty client id",
                null,
                OfficeRnDAuthException.Config::class.java,
                "config",
                { TokenClient(TokenClientConfig(clientId = "", clientSecret = ClientSecret("x"))) },
            ) {
                it as OfficeRnDAuthException.Config
                assertEquals("client_id", it.setting)
            },
        ).map { case ->
            DynamicTest.dynamicTest(case.name) {
                assertEquals(200, mock.post("/_mock/reset", "{}").statusCode())
                case.faults?.let { mock.faults(it) }
                val e = assertThrows<OfficeRnDAuthException> { case.call() }
                assertEquals(case.expected, e.javaClass, "${case.name}: $e")
                assertEquals(case.code, e.code())
                case.fields(e)
            }
        }
}
