// Type-checked (tsc --noEmit) as an ES module consumer of the package: every public type is used
// the way the README shows. Not run.
import { TokenClient, Token, ErrorCode, isOfficeRnDAuthError } from 'officernd-auth'
import type { OfficeRnDAuthError, Stats, TokenClientOptions, TokenJSON } from 'officernd-auth'
import officernd from 'officernd-auth'

const options: TokenClientOptions = {
  clientId: 'id',
  clientSecret: 'secret',
  scopes: ['officernd.api.read'],
  tokenUrl: 'https://identity.officernd.com/oauth/token',
  timeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  refreshAheadMs: 300_000,
  minValidityMs: 60_000,
  maxRequests: 5,
  quotaWindowMs: 60_000,
  maxRetries: 2,
  terminalErrorTtlMs: 60_000,
  shareCache: true,
  store: 'memory',
}
const shipped: TokenClientOptions = { budget: { maxRequests: 5, windowMs: 60_000 } }

export async function main(): Promise<void> {
  const client: TokenClient = process.env.OFFICERND_CLIENT_ID ? TokenClient.fromEnv() : new TokenClient(options)
  const alsoScopes = new officernd.TokenClient({ clientId: 'a', clientSecret: 'b', scopes: 'x y' })
  const token: Token = await client.token()
  const expires: Date = token.expiresAt
  const seconds: number = token.expiresIn + expires.getTime()
  const scopes: string[] = token.scopes
  const json: TokenJSON = token.toJSON()
  const header: string = await client.authorizationHeader()
  const access: string = await client.accessToken()
  const sync: string = client.accessTokenSync() + client.authorizationHeaderSync() + client.tokenSync().tokenType
  const dropped: boolean = (await client.invalidate(token)) || client.invalidateSync(token)
  const retry: Token | null = await client.tokenAfterUnauthorized(token)
  const bearer: string = token.authorizationHeader()
  const stats: Stats = client.stats()
  const left: number | undefined = stats.expiresIn
  const lastCode: ErrorCode | undefined = stats.lastErrorCode
  const res: Response = await client.fetch('https://app.officernd.com/api/v2/me', { headers: { accept: 'json' } })
  try {
    await alsoScopes.token()
  } catch (e) {
    if (isOfficeRnDAuthError(e)) {
      const err: OfficeRnDAuthError = e
      const code: ErrorCode = err.code
      if (code === ErrorCode.RATE_LIMITED && err.retryAfter !== undefined && err.lastError?.status) {
        console.log(err.retryAfter, err.retryable, err.error, err.errorDescription, err.errorUri, err.setting)
      }
    }
  }
  console.log(seconds, scopes, json, header, access, sync, dropped, retry, bearer, left, lastCode, res.status, shipped)
}
