// A throwaway npm registry on loopback serving release tarballs, so `npm install officernd-auth`
// (the README's line, nothing else) can be run against locally built packages exactly as against
// the npm registry (make test-dist-node):
//   node scripts/registry.mjs TARBALL... -- COMMAND [ARGS...]
// Serves one packument per tarball (its package.json + dist.tarball/integrity/shasum, the way the
// registry answers) and the tarballs, on 127.0.0.1 at a free port; runs COMMAND with
// npm_config_registry pointing at it and a fresh, empty npm cache; answers 404 for any other name
// (npm then skips an optional dependency, as it does for a platform package it cannot get) and
// logs every request, so a test can see what npm asked for. Exits with COMMAND's status.
import { execFileSync, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

const args = process.argv.slice(2)
const sep = args.indexOf('--')
if (sep < 1 || sep === args.length - 1) throw new Error('usage: registry.mjs TARBALL... -- COMMAND [ARGS...]')
const tarballs = args.slice(0, sep).map((t) => path.resolve(t))
const command = args.slice(sep + 1)

const packages = new Map() // name -> { manifest, file, data }
for (const file of tarballs) {
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }))
  const data = fs.readFileSync(file)
  packages.set(manifest.name, { manifest, file: path.basename(file), data })
}

const server = http.createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://x').pathname).slice(1)
  const port = server.address().port
  console.error(`registry: ${req.method} /${url}`)
  const tgz = url.match(/^(.+)\/-\/([^/]+\.tgz)$/)
  if (tgz && packages.get(tgz[1])?.file === tgz[2]) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    return res.end(packages.get(tgz[1]).data)
  }
  const pkg = packages.get(url)
  if (!pkg) {
    res.writeHead(404, { 'content-type': 'application/json' })
    return res.end(JSON.stringify({ error: 'Not found' }))
  }
  const { manifest, file, data } = pkg
  const version = {
    ...manifest,
    _id: `${manifest.name}@${manifest.version}`,
    dist: {
      tarball: `http://127.0.0.1:${port}/${manifest.name}/-/${file}`,
      integrity: `sha512-${crypto.createHash('sha512').update(data).digest('base64')}`,
      shasum: crypto.createHash('sha1').update(data).digest('hex'),
    },
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({
    _id: manifest.name,
    name: manifest.name,
    'dist-tags': { latest: manifest.version },
    versions: { [manifest.version]: version },
  }))
})

server.listen(0, '127.0.0.1', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'officernd-npm-cache-'))
  const env = {
    ...process.env,
    npm_config_registry: `http://127.0.0.1:${server.address().port}/`,
    npm_config_cache: cache,
    npm_config_offline: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }
  console.error(`registry: serving ${[...packages.keys()].join(', ')} on ${env.npm_config_registry}`)
  const child = spawn(command[0], command.slice(1), { env, stdio: 'inherit' })
  child.on('exit', (code, signal) => {
    server.close()
    fs.rmSync(cache, { recursive: true, force: true })
    process.exit(signal ? 1 : code)
  })
})
