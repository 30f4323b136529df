// The context words: the documented list is the service's name and every hero's id, name and
// real name; they and the username are found inside a password ignoring case, spaces and
// punctuation; words shorter than MIN_CONTEXT_WORD_LENGTH are not looked for.
import t from 'tap'
import {
  MIN_CONTEXT_WORD_LENGTH,
  SERVICE_CONTEXT_WORDS,
  contextForm,
  contextWordIn
} from '../../../src/accounts/password-rules/context-words.js'
import { HEROES } from '../../../src/protocol/heroes.js'

t.test('the service\'s words are its name and every hero\'s id, name and real name, folded', async (t) => {
  t.same(SERVICE_CONTEXT_WORDS, [
    'herosocket', 'ironman', 'tonystark', 'hulk', 'brucebanner', 'wonderwoman', 'diana', 'batman', 'brucewayne',
    'blackpanther', 'tchalla'
  ])
  for (const hero of HEROES.values()) t.ok(SERVICE_CONTEXT_WORDS.includes(contextForm(hero.realName)), hero.realName)
})

t.test('folding keeps letters and digits of any script, in lower case, after NFC', async (t) => {
  t.equal(contextForm("T'Challa"), 'tchalla')
  t.equal(contextForm('Iron-Man 3!'), 'ironman3')
  t.equal(contextForm('Cafe\u0301 Ωμέγα'), 'caféωμέγα')
})

t.test('a password containing a context word is caught, however it is spelled', async (t) => {
  for (const [password, username, found] of [
    ['my name is Alice-Smith forever', 'alice.smith', 'username'],
    ['ALICE in wonderland again', 'Alice', 'username'],
    ['i love iron man so very much', 'bob', 'service'],
    ['Wonder Woman is the best one', 'bob', 'service'],
    ["t'challa rules wakanda", 'bob', 'service'],
    ['HERO-SOCKET is my password', 'bob', 'service'],
    ['what a hero socket this is', 'bob', 'service'],
    ['hulk smash hulk smash', 'bob', 'service']
  ] as const) {
    t.equal(contextWordIn(password, username), found, `${password} (user ${username})`)
  }
})

t.test('words shorter than the floor are not looked for; no leetspeak folding', async (t) => {
  t.equal(MIN_CONTEXT_WORD_LENGTH, 4)
  t.equal(contextWordIn('bob has a long password', 'bo'), undefined, 'a two-letter username')
  t.equal(contextWordIn('a long password for ann', 'ann'), undefined, 'a three-letter one')
  t.equal(contextWordIn('a long password for anna', 'anna'), 'username', 'four letters are looked for')
  t.equal(contextWordIn('1r0n m4n is my favourite', 'bob'), undefined, 'leetspeak is not folded')
  t.equal(contextWordIn('correct horse battery staple', 'alice'), undefined)
})
