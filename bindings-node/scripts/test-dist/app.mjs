// ESM consumer of the installed package (make test-dist-node, against the mock).
import { TokenClient } from 'officernd-auth'

const client = TokenClient.fromEnv()
const token = await client.token()
if (token.tokenType !== 'Bearer') throw new Error(`token type ${token.tokenType}`)
console.log(`ESM: token ${token} fetched; stats ${JSON.stringify(client.stats().requestsSent)} request(s)`)
