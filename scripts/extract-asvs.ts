// Extracts the OWASP ASVS 5.0 level-1 and level-2 requirements from the standard's own flat JSON
// export (5.0/docs_en/OWASP_Application_Security_Verification_Standard_5.0.0_en.flat.json in
// github.com/OWASP/ASVS) into docs/asvs/requirements.json, with the commit it came from, so that
// test/docs/asvs.test.ts checks docs/asvs.md offline against the real list.
// Run: node dist/scripts/extract-asvs.js <flat.json> <commit>
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** One requirement as the standard's flat export spells it. */
export interface FlatRequirement {
  chapter_id: string
  chapter_name: string
  section_id: string
  section_name: string
  req_id: string
  req_description: string
  L: string
}

/** One requirement as docs/asvs/requirements.json keeps it: `id` without the leading V. */
export interface AsvsRequirement {
  id: string
  level: 1 | 2
  chapter: string
  section: string
  text: string
}

/** The file's shape: where the list came from, and the list in the standard's order. */
export interface AsvsRequirements {
  source: { repository: string, path: string, commit: string }
  requirements: AsvsRequirement[]
}

export const SOURCE_PATH = '5.0/docs_en/OWASP_Application_Security_Verification_Standard_5.0.0_en.flat.json'

/** The level-1 and level-2 requirements of a flat export, level 3 left out. */
export function extractRequirements (flat: { requirements: FlatRequirement[] }, commit: string): AsvsRequirements {
  const requirements = flat.requirements
    .filter((r) => r.L === '1' || r.L === '2')
    .map((r): AsvsRequirement => ({
      id: r.req_id.replace(/^V/, ''),
      level: r.L === '1' ? 1 : 2,
      chapter: `${r.chapter_id.replace(/^V/, '')} ${r.chapter_name}`,
      section: `${r.section_id.replace(/^V/, '')} ${r.section_name}`,
      text: r.req_description.trim()
    }))
  return { source: { repository: 'https://github.com/OWASP/ASVS', path: SOURCE_PATH, commit }, requirements }
}

function main (): void {
  const [file, commit] = process.argv.slice(2)
  if (file === undefined || commit === undefined || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new Error('usage: node dist/scripts/extract-asvs.js <flat.json> <40-hex commit>')
  }
  const flat = JSON.parse(fs.readFileSync(file, 'utf8')) as { requirements: FlatRequirement[] }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  const out = path.join(root, 'docs/asvs/requirements.json')
  fs.writeFileSync(out, JSON.stringify(extractRequirements(flat, commit), null, 2) + '\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
