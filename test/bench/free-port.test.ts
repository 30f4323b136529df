// Servers that must be told their port (redis-server, nginx) are started through startOnFreePort:
// a port found free and taken by someone else before the server binds it is retried with another.
// Each test takes the first port the helper picks (binds it between the pick and the start, through
// an injected picker) and shows the server starting on another one, the failed start detected
// from the real program's own exit (redis-server, nginx), not guessed.
import { once } from 'node:events'
import net from 'node:net'
import os from 'node:os'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { freeLoopbackPort, PortInUseError, startOnFreePort, type PortPicker } from '../../bench/free-port.js'
import { BenchRedis } from '../../bench/redis-server.js'
import { Nginx } from '../helpers/nginx.js'
import { RedisServer } from '../helpers/redis-server.js'

/** A picker that takes the first `taken` ports it picks (listening on them) before handing them out. */
function takingPicker (t: Test, taken = 1): { pickPort: PortPicker, picked: number[] } {
  const picked: number[] = []
  const pickPort = async (): Promise<number> => {
    const port = await freeLoopbackPort()
    if (picked.length < taken) {
      const squatter = net.createServer()
      squatter.listen(port, '127.0.0.1')
      await once(squatter, 'listening')
      t.teardown(() => { squatter.close() })
    }
    picked.push(port)
    return port
  }
  return { pickPort, picked }
}

/** Listens on `port` with a plain net.Server, reporting EADDRINUSE as PortInUseError. */
async function listenOn (t: Test, port: number): Promise<number> {
  const server = net.createServer()
  try {
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, 'EADDRINUSE')
    throw err
  }
  t.teardown(() => { server.close() })
  return (server.address() as net.AddressInfo).port
}

t.test('startOnFreePort: a taken port is retried with a new one, boundedly; other errors pass at once', async (t) => {
  const once_ = takingPicker(t)
  const port = await startOnFreePort(async (p) => await listenOn(t, p), { pickPort: once_.pickPort })
  t.equal(once_.picked.length, 2, 'a second port was picked')
  t.equal(port, once_.picked[1], 'and the server listens there')
  t.not(port, once_.picked[0])

  const always = takingPicker(t, 10)
  const bounded = startOnFreePort(async (p) => await listenOn(t, p), { pickPort: always.pickPort, attempts: 3 })
  await t.rejects(bounded, PortInUseError)
  t.equal(always.picked.length, 3, 'three attempts, then the error')

  let calls = 0
  await t.rejects(startOnFreePort(async () => { calls++; throw new Error('not a port problem') }), /not a port problem/)
  t.equal(calls, 1, 'not retried')
})

t.test('the bench\'s redis-server starts on another port when its first one is taken', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hero-bench-redis-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const { pickPort, picked } = takingPicker(t)
  const redis = await BenchRedis.start(undefined, dir, { pickPort })
  t.teardown(() => redis.stop())
  t.equal(picked.length, 2, 'redis-server exited on the taken port, and a new one was picked')
  t.equal(redis.url, `redis://127.0.0.1:${picked[1]}`)
  t.match(await redis.version(), /^\d+\.\d+/, 'it answers there')
})

t.test('the tests\' redis-server over TCP moves to another port when its first is taken, and keeps it', async (t) => {
  const { pickPort, picked } = takingPicker(t)
  const redis = await RedisServer.start(t, { tcp: true, pickPort })
  t.equal(picked.length, 2, 'a second port was picked')
  t.equal(redis.url, `redis://127.0.0.1:${picked[1]}`)
  t.equal(await redis.client(t).ping(), 'PONG')
  await redis.stop()
  await redis.startProcess()
  t.equal(redis.url, `redis://127.0.0.1:${picked[1]}`, 'a restart keeps the URL')
  await redis.waitUntilAnswering()
})

t.test('nginx starts on another port when its first one is taken', async (t) => {
  const { pickPort, picked } = takingPicker(t)
  const nginx = await Nginx.start(t, { pickPort })
  t.equal(picked.length, 2, 'nginx exited on the taken port, and a new one was picked')
  t.equal(nginx.url, `https://127.0.0.1:${picked[1]}`)
  const res = await fetch(`${nginx.url}/healthz`)
  t.equal(res.status, 502, 'nginx answers there over TLS (no instance behind it yet)')
})
