package com.officernd.auth

import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.TimeUnit

/**
 * One mock identity server (testkit's `officernd-mock-identity`) on a free loopback port.
 * Started from OFFICERND_MOCK_BIN (set by the Makefile); synchronised on its single
 * "listening on" stdout line, never on a sleep. A fresh server is a fresh cache key.
 */
class MockServer(vararg args: String) : AutoCloseable {
    private val process: Process
    val url: String
    val tokenUrl: String get() = "$url/oauth/token"

    // A fresh HttpClient (so a fresh connection) per control request: a pooled keep-alive
    // connection the server has since closed would make the control call itself flaky.
    private val http: HttpClient get() = HttpClient.newHttpClient()

    init {
        val bin = System.getenv("OFFICERND_MOCK_BIN")
            ?: error("OFFICERND_MOCK_BIN is not set (run through `make test-uniffi`)")
        process = ProcessBuilder(listOf(bin, "--port", "0") + args)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val reader = BufferedReader(InputStreamReader(process.inputStream))
        val line = reader.readLine() ?: error("mock identity server exited before listening")
        check(line.contains("listening on http")) { "unexpected first line from the mock: $line" }
        url = line.substringAfterLast(' ').trim()
        // Keep draining stdout so the server can never block on a full pipe.
        Thread { reader.useLines { it.forEach { } } }.apply { isDaemon = true }.start()
    }

    /** The mock's counters: token_requests, tokens_issued, resource_requests, faults_queued. */
    fun stats(): Map<String, Long> {
        val body = get("/_mock/stats").body()
        return Regex("\"(\\w+)\"\\s*:\\s*(\\d+)").findAll(body)
            .associate { it.groupValues[1] to it.groupValues[2].toLong() }
    }

    fun tokenRequests(): Long = stats().getValue("token_requests")

    /** Queues faults (a JSON array) for the next token requests. */
    fun faults(json: String) {
        val r = post("/_mock/faults", json)
        check(r.statusCode() in 200..299) { "POST /_mock/faults answered ${r.statusCode()}" }
    }

    fun get(path: String, authorization: String? = null): HttpResponse<String> {
        val b = HttpRequest.newBuilder(URI.create(url + path)).GET()
        if (authorization != null) b.header("Authorization", authorization)
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString())
    }

    fun post(path: String, json: String): HttpResponse<String> = http.send(
        HttpRequest.newBuilder(URI.create(url + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString(),
    )

    override fun close() {
        process.destroy() // SIGTERM
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    companion object {
        const val CLIENT_ID = "demo-client-id"
        const val CLIENT_SECRET = "demo-client-secret-s3cr3t"
        val SCOPES = listOf("officernd.api.read", "officernd.api.write")
    }
}
