package com.officernd.auth

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

/**
 * A mock identity server of one's own (testkit's `officernd-mock-identity`): its own loopback
 * port, so a fresh cache key, and its own counters. `args` are the mock binary's flags
 * (testkit/README.md), e.g. `--no-rate-limit`.
 *
 * The suite runs under scripts/with-mock.sh (`make test-uniffi`); the run's mock
 * (OFFICERND_MOCK_URL) starts this one over HTTP (`POST /_mock/servers`) and answers once it
 * accepts connections, so no test starts the binary or reads its output.
 */
class MockServer(
    vararg args: String,
) : AutoCloseable {
    private val launcher: String =
        System.getenv("OFFICERND_MOCK_URL")
            ?: error("OFFICERND_MOCK_URL is not set: run through scripts/with-mock.sh (`make test-uniffi`)")
    val url: String
    private val port: Long
    val tokenUrl: String get() = "$url/oauth/token"

    // A fresh HttpClient (so a fresh connection) per control request: a pooled keep-alive
    // connection the server has since closed would make the control call itself flaky.
    private val http: HttpClient get() = HttpClient.newHttpClient()

    init {
        val flags = args.joinToString(",", "[", "]") { "\"" + it.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" }
        val r = send("$launcher/_mock/servers", "POST", """{"args": $flags}""")
        check(r.statusCode() == 201) { "POST /_mock/servers answered ${r.statusCode()}: ${r.body()}" }
        url = jsonString(r.body(), "url")
        port = jsonNumbers(r.body()).getValue("port")
    }

    /** The mock's counters: token_requests, tokens_issued, resource_requests, faults_queued. */
    fun stats(): Map<String, Long> = jsonNumbers(get("/_mock/stats").body())

    fun tokenRequests(): Long = stats().getValue("token_requests")

    /** Queues faults (a JSON array) for the next token requests. */
    fun faults(json: String) {
        val r = post("/_mock/faults", json)
        check(r.statusCode() in 200..299) { "POST /_mock/faults answered ${r.statusCode()}" }
    }

    fun get(
        path: String,
        authorization: String? = null,
    ): HttpResponse<String> {
        val b = HttpRequest.newBuilder(URI.create(url + path)).GET()
        if (authorization != null) b.header("Authorization", authorization)
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString())
    }

    fun post(
        path: String,
        json: String,
    ): HttpResponse<String> = send(url + path, "POST", json)

    /** Answers once the server has stopped (its port is closed). */
    override fun close() {
        val r = send("$launcher/_mock/servers/$port", "DELETE", null)
        check(r.statusCode() == 200) { "DELETE /_mock/servers/$port answered ${r.statusCode()}: ${r.body()}" }
    }

    private fun send(
        uri: String,
        method: String,
        json: String?,
    ): HttpResponse<String> =
        http.send(
            HttpRequest
                .newBuilder(URI.create(uri))
                .header("Content-Type", "application/json")
                .method(method, json?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString(),
        )

    companion object {
        const val CLIENT_ID = "demo-client-id"
        const val CLIENT_SECRET = "demo-client-secret-s3cr3t"
        val SCOPES = listOf("officernd.api.read", "officernd.api.write")

        /** The top-level number fields of a flat JSON object. */
        private fun jsonNumbers(body: String): Map<String, Long> =
            Regex("\"(\\w+)\"\\s*:\\s*(\\d+)")
                .findAll(body)
                .associate { it.groupValues[1] to it.groupValues[2].toLong() }

        private fun jsonString(
            body: String,
            name: String,
        ): String =
            Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(body)?.groupValues?.get(1)
                ?: error("no \"$name\" in $body")
    }
}
