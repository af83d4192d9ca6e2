// officernd-auth from Node: one client from the environment, two token calls (the second from
// the cache), one call to the API with global fetch, then the client's stats. Never prints a token.
//
//   OFFICERND_CLIENT_ID=… OFFICERND_CLIENT_SECRET=… OFFICERND_SCOPES='officernd.api.read' \
//   OFFICERND_MOCK_URL=http://127.0.0.1:PORT node examples/node/fetch_token.mjs
// (`make demo` sets all of these against the mock identity server.)
import { TokenClient, isOfficeRnDAuthError } from 'officernd-auth'

const apiBase = process.env.OFFICERND_MOCK_URL ?? 'https://app.officernd.com'

try {
  const client = TokenClient.fromEnv()

  const first = await client.token() // a request to the token endpoint (on the libuv pool)
  const second = await client.token() // from the cache: no request, no thread hop
  console.log(`token ${first} (same token again from cache: ${first.accessToken === second.accessToken})`)

  const res = await fetch(`${apiBase}/api/v2/me`, {
    headers: { Authorization: await client.authorizationHeader() },
  })
  console.log(`GET /api/v2/me -> ${res.status} ${await res.text()}`)

  // client.fetch() does the same, and on a 401 invalidates the token and retries once.
  const again = await client.fetch(`${apiBase}/api/v2/me`)
  console.log(`client.fetch(/api/v2/me) -> ${again.status}`)
  await again.arrayBuffer()

  const s = client.stats()
  console.log(
    `stats: ${s.requestsSent} token request(s) sent, ${s.cacheHits} cache hits, ` +
      `budget ${s.budgetRemaining}/${s.budgetCapacity} left, token expires in ${Math.round(s.expiresIn ?? 0)} s`,
  )
} catch (err) {
  if (!isOfficeRnDAuthError(err)) throw err
  console.error(`officernd-auth: ${err.code}: ${err.message}${err.retryAfter ? ` (retry in ${err.retryAfter} s)` : ''}`)
  process.exitCode = 1
}
