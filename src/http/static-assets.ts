// The client's assets under /assets/ (@fastify/static): no listings, no dotfiles (a 404, as if
// absent), nothing outside public/assets/, no ranges (the files are small), and revalidated on
// every load so a deploy never leaves a browser on an old client.
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { PUBLIC_DIR } from './pages.js'

export async function registerStaticAssets (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(PUBLIC_DIR, 'assets'),
    prefix: '/assets/',
    index: false,
    list: false,
    dotfiles: 'ignore',
    acceptRanges: false,
    maxAge: 0
  })
}
