// scripts/extract-asvs.ts: from the standard's flat JSON export it keeps the level-1 and level-2
// requirements, in the standard's order, with ids and chapters without the leading V, and notes
// the commit they came from; level 3 is left out.
import t from 'tap'
import { extractRequirements, SOURCE_PATH, type FlatRequirement } from '../../scripts/extract-asvs.js'

const entry = (id: string, L: string, text: string): FlatRequirement => ({
  chapter_id: 'V6',
  chapter_name: 'Authentication',
  section_id: 'V6.2',
  section_name: 'Password Security',
  req_id: id,
  req_description: text,
  L
})

t.test('level 1 and 2 kept in order, level 3 left out, ids without the V', async (t) => {
  const flat = {
    requirements: [
      entry('V6.2.1', '1', 'Verify that user set passwords are at least 8 characters in length. '),
      entry('V6.2.13', '3', 'A level-3 requirement.'),
      entry('V6.2.9', '2', 'Verify that passwords of at least 64 characters are permitted.')
    ]
  }
  const commit = 'fe04986146b0db0a54d3eb2b9c755c78874ce910'
  t.same(extractRequirements(flat, commit), {
    source: { repository: 'https://github.com/OWASP/ASVS', path: SOURCE_PATH, commit },
    requirements: [
      {
        id: '6.2.1',
        level: 1,
        chapter: '6 Authentication',
        section: '6.2 Password Security',
        text: 'Verify that user set passwords are at least 8 characters in length.'
      },
      {
        id: '6.2.9',
        level: 2,
        chapter: '6 Authentication',
        section: '6.2 Password Security',
        text: 'Verify that passwords of at least 64 characters are permitted.'
      }
    ]
  })
})
