package com.officernd.auth

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.CopyOnWriteArrayList
import java.util.logging.Handler
import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger

/** Core's log records on the JVM: `setLogSink`, and the java.util.logging adapter. */
class LogSinkTest {
    data class Line(
        val level: LogLevel,
        val target: String,
        val message: String,
    )

    class Capture : LogSink {
        val lines = CopyOnWriteArrayList<Line>()

        override fun log(
            level: LogLevel,
            target: String,
            message: String,
        ) {
            lines.add(Line(level, target, message))
        }
    }

    @AfterEach
    fun clear() = clearLogSink()

    private val redisPassword = "redis-pw-s3cr3t-9f2c"

    /** Port 1 on loopback: nothing listens there, every connection is refused at once. */
    private val deadRedis = "redis://:$redisPassword@127.0.0.1:1/0"

    private fun client(
        mock: MockServer,
        store: Store? = null,
    ) = TokenClient(
        TokenClientConfig(
            clientId = MockServer.CLIENT_ID,
            clientSecret = ClientSecret(MockServer.CLIENT_SECRET),
            scopes = MockServer.SCOPES,
            tokenUrl = mock.tokenUrl,
            shareCache = false, // a cache, a budget and a store health of its own
            store = store,
        ),
    )

    @Test
    fun `a Redis store where nothing listens is one warning naming the store, without its password`() {
        MockServer("--no-rate-limit").use { mock ->
            val sink = Capture()
            setLogSink(sink, LogLevel.DEBUG)
            val c = client(mock, Store(deadRedis))

            // Core's outage policy: with the shared store down, at most one request per quota
            // window, and the first only after a whole window (the fleet's last requests are
            // unknown). So the first call is refused locally, without a request.
            val first = assertThrows<OfficeRnDAuthException.RateLimited> { c.token() }
            assertFalse(first.fromServer)
            assertThrows<OfficeRnDAuthException.RateLimited> { c.token() }
            assertEquals(0L, mock.tokenRequests())

            val warnings = sink.lines.filter { it.level <= LogLevel.WARN }
            assertEquals(1, warnings.size, "one warning per outage, however many calls: $warnings")
            val warning = warnings.single()
            assertEquals(LogLevel.WARN, warning.level)
            assertTrue(warning.target.startsWith("officernd_auth"), warning.target)
            assertTrue(warning.message.contains("redis://:***@127.0.0.1:1/0"), warning.message)
            for (line in sink.lines) {
                assertFalse(line.message.contains(redisPassword), "Redis password in: $line")
                assertFalse(line.message.contains(MockServer.CLIENT_SECRET), "client secret in: $line")
            }
        }
    }

    @Test
    fun `own debug records arrive, the HTTP and TLS stack's debug and trace never do`() {
        MockServer("--no-rate-limit").use { mock ->
            val sink = Capture()
            setLogSink(sink, LogLevel.TRACE)
            val token = client(mock).token()

            val own = sink.lines.filter { it.target.startsWith("officernd_auth") }
            assertTrue(own.any { it.level == LogLevel.DEBUG && it.message.contains("requesting a token") }, "$own")
            assertTrue(own.any { it.level == LogLevel.INFO && it.message.contains(token.redacted()) }, "$own")
            val fromDependencies =
                sink.lines.filter {
                    !it.target.startsWith("officernd_auth") && it.level >= LogLevel.DEBUG
                }
            assertEquals(emptyList<Line>(), fromDependencies)
            for (line in sink.lines) {
                assertFalse(line.message.contains(token.accessToken()), "access token in: $line")
                assertFalse(line.message.contains(MockServer.CLIENT_SECRET), "client secret in: $line")
            }

            clearLogSink()
            val before = sink.lines.size
            client(mock).token()
            assertEquals(before, sink.lines.size, "nothing forwarded once cleared")
        }
    }

    @Test
    fun `a sink that throws does not fail the call`() {
        MockServer("--no-rate-limit").use { mock ->
            setLogSink(
                object : LogSink {
                    override fun log(
                        level: LogLevel,
                        target: String,
                        message: String,
                    ): Unit = throw IllegalStateException("broken sink")
                },
                LogLevel.TRACE,
            )
            assertTrue(client(mock).token().accessToken().isNotEmpty())
        }
    }

    @Test
    fun `JavaUtilLogSink publishes the outage warning on the officernd_auth JUL loggers`() {
        val published = CopyOnWriteArrayList<LogRecord>()
        val handler =
            object : Handler() {
                override fun publish(record: LogRecord) {
                    published.add(record)
                }

                override fun flush() {}

                override fun close() {}
            }
        // Held in a local: JUL keeps loggers only weakly.
        val root = Logger.getLogger(JavaUtilLogSink.ROOT_LOGGER)
        root.addHandler(handler)
        root.useParentHandlers = false
        try {
            MockServer("--no-rate-limit").use { mock ->
                JavaUtilLogSink.install() // INFO: JUL's default
                assertThrows<OfficeRnDAuthException.RateLimited> { client(mock, Store(deadRedis)).token() }
            }
            val warnings = published.filter { it.level == Level.WARNING }
            assertEquals(1, warnings.size, warnings.map { it.message }.toString())
            val w = warnings.single()
            assertTrue(w.loggerName.startsWith("officernd_auth."), w.loggerName)
            assertTrue(w.message.contains("redis://:***@127.0.0.1:1/0"), w.message)
            assertTrue(published.none { it.message.contains(redisPassword) })
            assertTrue(published.none { it.level.intValue() < Level.INFO.intValue() }, "no debug at INFO")
        } finally {
            root.removeHandler(handler)
            root.useParentHandlers = true
        }
    }

    @Test
    fun `JUL levels map to the finest level they publish`() {
        val parent = Logger.getLogger("officernd_auth_test_parent")
        val child = Logger.getLogger("officernd_auth_test_parent.child")
        val cases =
            mapOf(
                Level.OFF to LogLevel.ERROR,
                Level.SEVERE to LogLevel.ERROR,
                Level.WARNING to LogLevel.WARN,
                Level.INFO to LogLevel.INFO,
                Level.CONFIG to LogLevel.INFO,
                Level.FINE to LogLevel.DEBUG,
                Level.FINER to LogLevel.DEBUG,
                Level.FINEST to LogLevel.TRACE,
                Level.ALL to LogLevel.TRACE,
            )
        for ((jul, expected) in cases) {
            parent.level = jul
            assertEquals(expected, JavaUtilLogSink.levelEnabledFor(child), "inherited $jul")
        }
        assertEquals("officernd_auth.store.redis", JavaUtilLogSink.loggerName("officernd_auth::store::redis"))
    }
}
