// SetMap: values grouped by key, a key gone with its last value, take() empties a key.
import t from 'tap'
import { SetMap } from '../../src/stores/set-map.js'

t.test('add, count, get, delete: the key goes with its last value', async (t) => {
  const map = new SetMap<string, number>()
  map.add('a', 1)
  map.add('a', 2)
  map.add('a', 2)
  map.add('b', 3)
  t.equal(map.count('a'), 2, 'a value added twice counts once')
  t.same([...map.get('a')], [1, 2])
  t.same([...map.keys()], ['a', 'b'])
  map.delete('a', 1)
  t.same([...map.get('a')], [2])
  map.delete('a', 2)
  t.same([...map.keys()], ['b'], 'a is gone with its last value')
  t.equal(map.count('a'), 0)
  t.same([...map.get('a')], [], 'an absent key reads as empty')
  map.delete('a', 2)
  map.delete('zzz', 1)
  t.same([...map.entries()].map(([k, v]) => [k, [...v]]), [['b', [3]]], 'deleting what is not there changes nothing')
})

t.test('take removes a key with its values and returns them', async (t) => {
  const map = new SetMap<string, string>()
  map.add('u', 'x')
  map.add('u', 'y')
  t.same([...map.take('u')], ['x', 'y'])
  t.equal(map.count('u'), 0)
  t.same([...map.keys()], [])
  t.same([...map.take('u')], [], 'taking an absent key gives an empty set')
})

t.test('client-supplied keys such as __proto__ are plain keys', async (t) => {
  const map = new SetMap<string, number>()
  map.add('__proto__', 1)
  map.add('constructor', 2)
  t.equal(map.count('__proto__'), 1)
  t.equal(map.count('constructor'), 1)
  t.equal(map.count('toString'), 0)
})
