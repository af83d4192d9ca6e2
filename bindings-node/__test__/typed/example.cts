// Type-checked (tsc --noEmit) as a CommonJS consumer of the package.
import officernd = require('officernd-auth')

export async function header(): Promise<string> {
  const client = new officernd.TokenClient({ clientId: 'id', clientSecret: 'secret' })
  const token: officernd.Token = client.tokenSync()
  const err: officernd.OfficeRnDAuthError | undefined = undefined
  const shared: officernd.TokenClientOptions = { store: 'file', storePath: '/var/cache/app' }
  officernd.TokenClient.fromEnv(shared)
  return `${token.tokenType} ${err ?? ''}${await client.authorizationHeader()}`
}
