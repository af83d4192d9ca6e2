'use strict'
// Test helpers: the mock identity server from testkit, one per test file (or per test where a
// clean cache matters: a new port is a new token URL, so a new cache key in core).
//
// The suite runs under scripts/with-mock.sh (make test-node does that): the run's mock starts
// each test's own over HTTP (POST /_mock/servers), so no test starts the binary or reads its output.

const { spawn } = require('node:child_process')
const net = require('node:net')
const readline = require('node:readline')

const DEMO = Object.freeze({
  clientId: 'demo-client-id',
  clientSecret: 'demo-client-secret-s3cr3t',
  scopes: ['officernd.api.read', 'officernd.api.write'],
})

// with-mock.sh also exports the demo app's OFFICERND_* settings for its command; the tests set the
// ones they mean to read (fromEnv), so they start from none.
for (const name of ['OFFICERND_TOKEN_URL', 'OFFICERND_CLIENT_ID', 'OFFICERND_CLIENT_SECRET', 'OFFICERND_SCOPES']) {
  delete process.env[name]
}

async function request(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`mock ${method} ${url}: HTTP ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

/** The run's mock (scripts/with-mock.sh), which starts and stops the tests' own. */
function launcherUrl() {
  const url = process.env.OFFICERND_MOCK_URL
  if (!url) throw new Error('OFFICERND_MOCK_URL is not set: run the suite through scripts/with-mock.sh (make test-node)')
  return url
}

/**
 * Starts a mock of one's own (its own port and counters); `args` are the mock binary's flags
 * (testkit/README.md), e.g. `['--no-rate-limit']`. Resolves once it accepts connections.
 */
async function startMock(args = []) {
  const launcher = launcherUrl()
  const { url, port } = await request('POST', `${launcher}/_mock/servers`, { args })
  const control = (method, p, body) => request(method, url + p, body)
  let stopped
  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    resourceUrl: `${url}/api/v2/me`,
    stats: () => control('GET', '/_mock/stats'),
    faults: (list) => control('POST', '/_mock/faults', list),
    reset: () => control('POST', '/_mock/reset'),
    revoke: () => control('POST', '/_mock/revoke'),
    config: (cfg) => control('POST', '/_mock/config', cfg),
    /** Resolves once the server has stopped (its port is closed); idempotent. */
    stop() {
      stopped ??= request('DELETE', `${launcher}/_mock/servers/${port}`)
      return stopped
    },
  }
}

/** A free loopback TCP port (for servers that cannot pick one themselves). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Starts a throw-away redis-server on a free loopback port (no persistence) and waits for its
 * "Ready to accept connections" line (no sleeps). Fails — never skips — when redis-server is
 * missing (it is in scripts/apt-packages.txt). `args` are extra server flags.
 */
async function startRedis(args = []) {
  let lastError
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    const ready = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`redis-server not ready in 30 s: ${output}`)), 30_000)
      const done = (v) => {
        clearTimeout(timer)
        resolve(v)
      }
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        output += line + '\n'
        if (line.includes('Ready to accept connections')) done(true)
      })
      child.stderr.on('data', (d) => {
        output += d
      })
      child.once('error', (e) =>
        done(new Error(`cannot start redis-server (${e.code}): install it (scripts/apt-packages.txt)`)),
      )
      child.once('exit', (code) => done(new Error(`redis-server exited (${code}): ${output}`)))
    })
    if (ready === true) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        /** Freezes the server (SIGSTOP): connections open, nothing answers until `resume()`. */
        pause() {
          child.kill('SIGSTOP')
        },
        resume() {
          child.kill('SIGCONT')
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return
          const exited = new Promise((r) => child.once('exit', r))
          child.kill('SIGTERM')
          child.kill('SIGCONT') // a paused server handles SIGTERM once continued
          await exited
        },
      }
    }
    lastError = ready
    child.kill('SIGKILL')
    if (!/address already in use/i.test(output)) break // only a lost port race is worth a retry
  }
  throw lastError
}

/**
 * Runs `node script` with `env` added; resolves with its exit code, stdout and stderr.
 */
function runNode(script, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Options of a client of the demo app against `mock`. */
function demoOptions(mock, extra = {}) {
  return { ...DEMO, tokenUrl: mock.tokenUrl, ...extra }
}

module.exports = { startMock, startRedis, freePort, runNode, demoOptions, DEMO }
