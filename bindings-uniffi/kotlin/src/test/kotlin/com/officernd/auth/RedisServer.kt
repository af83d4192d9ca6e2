package com.officernd.auth

import java.io.BufferedReader
import java.io.IOException
import java.io.InputStreamReader
import java.net.ServerSocket
import java.util.concurrent.TimeUnit

/**
 * A throw-away `redis-server` on a free loopback port, with no persistence and a password.
 * Synchronised on its "Ready to accept connections" log line, never on a sleep. A missing
 * redis-server is a failure, not a skip (CI installs it from scripts/apt-packages.txt).
 */
class RedisServer(
    val password: String,
) : AutoCloseable {
    private val process: Process
    val port: Int = ServerSocket(0).use { it.localPort }

    /** The store URL, password included: give it to [Store], never print it. */
    val url: String get() = "redis://:$password@127.0.0.1:$port/0"

    init {
        process =
            try {
                ProcessBuilder(
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    port.toString(),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--requirepass",
                    password,
                ).redirectErrorStream(true).start()
            } catch (e: IOException) {
                throw AssertionError("redis-server is required by the Redis store test (apt-get install redis-server)", e)
            }
        val reader = BufferedReader(InputStreamReader(process.inputStream))
        val seen = StringBuilder()
        while (true) {
            val line =
                reader.readLine()
                    ?: throw AssertionError("redis-server exited before it was ready:\n$seen")
            seen.appendLine(line)
            if (line.contains("Ready to accept connections")) break
        }
        // Keep draining its log so it can never block on a full pipe (the stream closes when
        // the server is stopped: that end is expected).
        Thread { runCatching { reader.useLines { it.forEach { } } } }.apply { isDaemon = true }.start()
    }

    override fun close() {
        process.destroy() // SIGTERM
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
    }
}
