// Loopback hosts, and the names that look like one mistyped (the suggestion start-up makes).
import t from 'tap'
import { isLoopbackHost, loopbackTypoOf } from '../../src/config/loopback-host.js'

t.test('loopback hosts', async (t) => {
  for (const host of ['localhost', 'LOCALHOST', 'LocalHost', '127.0.0.1', '127.1.2.3', '::1']) {
    t.ok(isLoopbackHost(host), host)
  }
  for (const host of ['0.0.0.0', '10.0.0.1', 'localhost.example.com', '::']) t.notOk(isLoopbackHost(host), host)
})

t.test('a loopback name mistyped gets the name it looks like', async (t) => {
  const typos: Array<[string, string]> = [
    ['localhst', 'localhost'],
    ['locahost', 'localhost'],
    ['lcoalhost', 'localhost'],
    ['localhots', 'localhost'],
    ['localhosst', 'localhost'],
    ['LOCALHST', 'localhost'],
    ['locallhostt', 'localhost'],
    ['127.0.0.l', '127.0.0.1'],
    ['l27.0.0.1', '127.0.0.1'],
    ['127.o.o.1', '127.0.0.1']
  ]
  for (const [typo, meant] of typos) t.equal(loopbackTypoOf(typo), meant, typo)
})

t.test('real names and addresses are not taken for typos', async (t) => {
  for (const host of [
    'localhost', '127.0.0.1', '::1', '0.0.0.0', '::', '10.0.0.5', 'heroes.example.com', 'local', 'loc', 'host',
    'localdomain', 'web-01', '127.0.0.256', 'l27.0.0.300', 'lo'
  ]) {
    t.equal(loopbackTypoOf(host), undefined, host)
  }
})
