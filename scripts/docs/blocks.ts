// Every generated block of docs/, in one list: `npm run docs` writes them and
// test/scripts/generate-docs.test.ts checks each page is current. A new page's blocks are added here.
import { configurationBlocks } from './configuration.js'
import type { DocBlock } from './doc-block.js'
import { operationsBlocks } from './operations.js'
import { protocolBlocks } from './protocol.js'

/** The blocks `npm run docs` renders, every page's. */
export const DOC_BLOCKS: readonly DocBlock[] = [
  ...configurationBlocks,
  ...protocolBlocks,
  ...operationsBlocks
]
