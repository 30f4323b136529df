// The tests' CA (test/helpers/test-ca.ts) keeps TLS verification on: the clients the tests use
// (fetch, https, tls, ws, openssl, python) accept a test server's certificate because the tests' CA
// signed it, and refuse the same server once it presents a certificate from another CA, or the
// self-signed development certificate. Nothing turns verification off for the process.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import t from 'tap'
import WebSocket from 'ws'
import { generateDevelopmentCertificate, type TlsCredentials } from '../../src/config/tls-credentials.js'
import { ROOT } from '../helpers/http.js'
import { createPrivateCa } from '../helpers/private-ca.js'
import { TEST_CA } from '../helpers/test-ca.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

/** How each client fared against `server`: 'ok', or the error code it refused with. */
async function clientsAgainst (server: TestServer): Promise<Record<string, string>> {
  const outcome = async (attempt: Promise<unknown>): Promise<string> => await attempt.then(
    () => 'ok',
    (err: Error & { code?: string, cause?: { code?: string } }) => err.cause?.code ?? err.code ?? err.message
  )
  return {
    fetch: await outcome(fetch(`${server.url}/healthz`)),
    https: await outcome(
      new Promise(
        (resolve, reject) => https.get(
          `${server.url}/healthz`,
          { agent: false },
          (res) => { res.resume(); resolve(res.statusCode) }
        ).once('error', reject)
      )
    ),
    tls: await outcome(new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port }, () => { socket.end(); resolve(undefined) })
      socket.once('error', reject)
    })),
    ws: await outcome(new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, { origin: server.origin })
      // No session: 401 is an answer over a verified connection.
      ws.once('unexpected-response', (_req, res) => { res.resume(); ws.terminate(); resolve(res.statusCode) })
      ws.once('error', reject)
    })),
    openssl: await opensslVerifies(server.port),
    python: await pythonVerifies(server.port)
  }
}

/** openssl s_client verifying against the tests' CA: 'ok' or 'refused'. */
function opensslVerifies (port: number): Promise<string> {
  return runs('openssl', [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-CAfile',
    TEST_CA.caFile,
    '-verify_return_error',
    '-verify_ip',
    '127.0.0.1'
  ])
}

/** Python's ssl with a default context trusting the tests' CA: 'ok' or 'refused'. */
function pythonVerifies (port: number): Promise<string> {
  const script = 'import socket, ssl, sys\n' +
    'c = ssl.create_default_context(cafile=sys.argv[1])\n' +
    'with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as s:\n' +
    '  with c.wrap_socket(s, server_hostname="127.0.0.1"): pass\n'
  return runs('python3', ['-c', script, TEST_CA.caFile, String(port)])
}

function runs (command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'ignore', 'ignore'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('error', reject)
    child.once('close', (code) => { clearTimeout(timer); resolve(code === 0 ? 'ok' : 'refused') })
    child.stdin.end()
  })
}

const ALL_OK = { fetch: 'ok', https: 'ok', tls: 'ok', ws: 'ok', openssl: 'ok', python: 'ok' }

t.test('verification is on in this process: no NODE_TLS_REJECT_UNAUTHORIZED', async (t) => {
  t.equal(process.env.NODE_TLS_REJECT_UNAUTHORIZED, undefined)
  t.equal(path.resolve(process.env.NODE_EXTRA_CA_CERTS ?? ''), TEST_CA.caFile, 'the tests\' CA is trusted instead')
})

t.test('every client accepts a test server\'s certificate: the tests\' CA signed it', async (t) => {
  t.same(await clientsAgainst(await startTestServer(t)), ALL_OK)
})

t.test('every client refuses a certificate another CA signed', async (t) => {
  const other = createPrivateCa(t.testdir({}))
  const tls: TlsCredentials = {
    cert: fs.readFileSync(other.certFile, 'utf8'),
    key: fs.readFileSync(other.keyFile, 'utf8'),
    development: false,
    certFile: other.certFile
  }
  const outcomes = await clientsAgainst(await startTestServer(t, {}, { tls }))
  t.same(outcomes, {
    fetch: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    https: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    tls: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ws: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    openssl: 'refused',
    python: 'refused'
  })
})

t.test('every client refuses the self-signed development certificate', async (t) => {
  const { cert, key } = await generateDevelopmentCertificate()
  const outcomes = await clientsAgainst(
    await startTestServer(t, {}, { tls: { cert, key, development: true, certFile: '' } })
  )
  t.same(outcomes, {
    fetch: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    https: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    tls: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    ws: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    openssl: 'refused',
    python: 'refused'
  })
})
