// package.json's `engines` is a promise (README: the machine's Node 20 and Node 24, both in CI):
// every installed package must run on every Node it admits, or `npm ci` warns EBADENGINE and the
// package may use what that Node lacks. The `overrides` in package.json keep it true today.
import fs from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import t from 'tap'
import { ROOT } from '../helpers/http.js'

interface Manifest { name?: string, version?: string, engines?: { node?: string } }

const read = (file: string): Manifest => JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest
const promised = read(path.join(ROOT, 'package.json')).engines?.node ?? ''

t.test('engines names the two Node lines CI runs', async (t) => {
  t.equal(promised, '^20.19.0 || ^24.0.0')
})

t.test('every installed package admits every Node that engines promises', async (t) => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>
  }
  const refusing: string[] = []
  let checked = 0
  for (const location of Object.keys(lock.packages)) {
    const file = path.join(ROOT, location, 'package.json')
    // The root itself, and optional packages for other platforms that npm did not install.
    if (location === '' || !fs.existsSync(file)) continue
    const range = read(file).engines?.node
    if (range === undefined) continue
    checked++
    if (!semver.subset(promised, range)) refusing.push(`${location} (${range})`)
  }
  t.ok(checked > 100, `the engines of ${checked} installed packages are checked`)
  t.same(refusing, [], 'no installed package refuses a Node that engines promises')
})

t.test('the check refuses what npm ci warned about', async (t) => {
  t.notOk(semver.subset(promised, '>=22'), 'cookie@2 and content-disposition@3 ask for Node 22')
  t.ok(semver.subset(promised, '^20.17.0 || >=22.9.0'))
})
