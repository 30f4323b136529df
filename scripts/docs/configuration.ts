// The generated blocks of docs/configuration.md: one table per group of configuration variables
// (name, default, unit, what it does), and the retired variables, all rendered from the table in
// src/config/variables.ts. The prose around them in the page is written by hand.
import {
  GROUPS, RETIRED_VARIABLES, VARIABLE_ENTRIES, type GroupName, type Variable
} from '../../src/config/variables.js'
import type { DocBlock } from './doc-block.js'

/** The page the blocks live in. */
export const CONFIGURATION_PAGE = 'docs/configuration.md'

/** One cell's text, safe inside a table row. */
function cell (text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

/** The default as the page shows it: the environment string in code, or (none). */
function shownDefault (variable: Variable): string {
  const shown = variable.shownDefault ?? variable.default
  return shown === '' ? '(none)' : '`' + cell(shown) + '`'
}

/** The table of one group's variables, in the order of the table in code. */
export function renderGroup (group: GroupName): string {
  const rows = VARIABLE_ENTRIES.filter(([, variable]) => variable.group === group).map(([name, variable]) =>
    `| \`${name}\` | ${shownDefault(variable)} | ${variable.unit ?? ''} | ${cell(variable.doc)} |`)
  return ['| variable | default | unit | what it does |', '|---|---|---|---|', ...rows].join('\n')
}

/** The variables no longer read, and what replaced each. */
export function renderRetired (): string {
  const rows = [...RETIRED_VARIABLES].map(([name, replacement]) => `| \`${name}\` | ${cell(replacement)} |`)
  return ['| retired variable (setting it stops start-up) | use instead |', '|---|---|', ...rows].join('\n')
}

/** Every generated block of the configuration page. */
export const configurationBlocks: DocBlock[] = [
  ...(Object.keys(GROUPS) as GroupName[]).map((group) => ({
    page: CONFIGURATION_PAGE,
    name: `configuration-${group}`,
    render: () => renderGroup(group)
  })),
  { page: CONFIGURATION_PAGE, name: 'configuration-retired', render: renderRetired }
]
