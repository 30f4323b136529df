// A listener that cannot take its address (src/config/listen-error.ts): real listen errors, each
// turned into the one sentence start-up stops with, naming the variable to change.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { explainListenFailure, ListenError } from '../../src/config/listen-error.js'
import { builtFile, childEnv } from '../helpers/http.js'

/** The error a real listen on host:port fails with (undefined: it listened). */
async function listenFailure (host: string, port: number): Promise<unknown> {
  const server = net.createServer()
  return await new Promise((resolve) => {
    server.once('error', resolve)
    server.listen(port, host, () => { server.close(); resolve(undefined) })
  })
}

const PUBLIC = { portVariable: 'PORT', hostVariable: 'HOST' } as const
const OPERATORS = { portVariable: 'METRICS_PORT', hostVariable: 'METRICS_HOST' } as const

t.test('a port in use names PORT or METRICS_PORT and says what to do', async (t) => {
  const busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const port = (busy.address() as net.AddressInfo).port
  const err = await listenFailure('127.0.0.1', port)
  const publicError = explainListenFailure(err, { ...PUBLIC, host: '127.0.0.1', port })
  t.ok(publicError instanceof ListenError)
  t.equal((publicError as Error).message, `PORT ${port} is already in use on 127.0.0.1: stop the other server or ` +
    'set PORT to a free port.')
  t.equal((explainListenFailure(err, { ...OPERATORS, host: '127.0.0.1', port }) as Error).message,
    `METRICS_PORT ${port} is already in use on 127.0.0.1: stop the other server or set METRICS_PORT to a free port.`)
})

t.test('an address this machine does not have names HOST', async (t) => {
  // 192.0.2.0/24 is TEST-NET-1: documentation only, on no interface.
  const err = await listenFailure('192.0.2.1', 0)
  t.equal((explainListenFailure(err, { ...PUBLIC, host: '192.0.2.1', port: 0 }) as Error).message,
    'HOST 192.0.2.1 is not an address of this machine: set HOST to one of its addresses, like 127.0.0.1.')
})

t.test('a name this machine cannot resolve names HOST', async (t) => {
  const err = await listenFailure('no-such-host.invalid', 0)
  t.equal((explainListenFailure(err, { ...OPERATORS, host: 'no-such-host.invalid', port: 9090 }) as Error).message,
    'METRICS_HOST no-such-host.invalid is a name this machine cannot resolve: set METRICS_HOST to an address, ' +
    'like 127.0.0.1.')
})

t.test('a privileged port without the privilege names PORT', async (t) => {
  const unprivilegedFrom = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'))
  if (unprivilegedFrom === 0) return void t.pass('every port is unprivileged on this machine: nothing to refuse')
  // As root, the listen runs in a child without the capability to bind low ports (util-linux's
  // setpriv drops it from the bounding set): the error is the kernel's. Not as another user: that
  // user may not be allowed to run this Node (CI's Node 24 lives in a 0700 temporary folder).
  const module = JSON.stringify(pathToFileURL(builtFile('dist/src/config/listen-error.js')).href)
  const script = `const net = await import('node:net')
    const { explainListenFailure } = await import(${module})
    const server = net.createServer()
    server.once('error', (err) => { process.stdout.write(explainListenFailure(err, { portVariable: 'PORT',
      hostVariable: 'HOST', host: '127.0.0.1', port: 443 }).message); process.exit(0) })
    server.listen(443, '127.0.0.1', () => { process.stdout.write('listened'); process.exit(0) })`
  const node = [process.execPath, '--input-type=module', '-e', script]
  const command = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-net_bind_service', ...node] : node
  const child = spawn(command[0] as string, command.slice(1), { env: childEnv({}) })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  await new Promise((resolve) => child.on('close', resolve))
  t.equal(out, 'PORT 443 needs privileges this process does not have on 127.0.0.1: set PORT to a port above 1023 ' +
    '(put a proxy in front for 443).')
})

t.test('any other failure is left as it is', async (t) => {
  const err = new Error('something else')
  t.equal(explainListenFailure(err, { ...PUBLIC, host: '127.0.0.1', port: 8443 }), err)
})
