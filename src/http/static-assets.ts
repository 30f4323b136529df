// The client's assets under /assets/ (@fastify/static): no listings, no dotfiles (a 404, as if
// absent), nothing outside public/assets/, no ranges (the files are small), and revalidated on
// every load so a deploy never leaves a browser on an old client. Every text asset says its
// charset: @fastify/static adds it to text/*, JavaScript and JSON, not to SVG.
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { PUBLIC_DIR } from './pages.js'

/** Text types @fastify/static serves without a charset, by file extension, as we serve them. */
const TYPES_WITH_CHARSET: ReadonlyMap<string, string> = new Map([
  ['.svg', 'image/svg+xml; charset=utf-8']
])

export async function registerStaticAssets (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(PUBLIC_DIR, 'assets'),
    prefix: '/assets/',
    index: false,
    list: false,
    dotfiles: 'ignore',
    acceptRanges: false,
    maxAge: 0,
    setHeaders: (reply, file) => {
      const type = TYPES_WITH_CHARSET.get(path.extname(file).toLowerCase())
      if (type !== undefined) reply.header('content-type', type)
    }
  })
}
