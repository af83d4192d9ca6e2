// TypeScript consumer (compiled by tsc against the installed package's own types).
import { TokenClient, type Token } from 'officernd-auth'

async function main(): Promise<void> {
  const client: TokenClient = TokenClient.fromEnv()
  const token: Token = await client.token()
  const header: string = await client.authorizationHeader()
  if (!header.startsWith('Bearer ')) throw new Error('no Bearer header')
  console.log(`TypeScript: token ${token.toString()} fetched, expires in ${token.expiresIn} s`)
}

main().catch((e: unknown) => {
  console.error(e)
  throw e
})
