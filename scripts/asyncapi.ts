// The protocol as an AsyncAPI 3.0 document, built from schemas/ (and the package's name and
// version): one channel at /ws, each message with its JSON Schema as payload, the operations
// from the server's side (it receives the client's messages and sends its own), and the session
// cookie as the security scheme. scripts/generate-protocol.ts writes it to docs/asyncapi.json;
// test/scripts/asyncapi.test.ts validates it against the official schema (@asyncapi/specs).
import fs from 'node:fs'
import path from 'node:path'
import type { ProtocolSchema } from '../src/protocol/schema-files.js'

/** snake_case type to camelCase operation stem: get_name to getName. */
function camel (type: string): string {
  return type.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())
}

/** The AsyncAPI 3.0 document for `schemas` (as JSON-ready data). */
export function asyncApiDocument (schemas: readonly ProtocolSchema[], root: string): Record<string, unknown> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string, version: string, description: string
  }
  const messages = Object.fromEntries(schemas.map((s) => [s.type, {
    name: s.type,
    title: s.schema.title,
    summary: s.schema.description,
    contentType: 'application/json',
    payload: s.schema
  }]))
  const operations = asyncApiOperations(schemas)
  return {
    asyncapi: '3.0.0',
    info: {
      title: pkg.name,
      version: pkg.version,
      description: `${pkg.description} Every message is one JSON text frame; ` +
        'the error codes and close codes are in docs/protocol.md.'
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:8443',
        protocol: 'wss',
        pathname: '/ws',
        description: 'npm start: the development server. ' +
          'The socket opens only for a logged-in browser of an allowed origin.',
        security: [{ $ref: '#/components/securitySchemes/sessionCookie' }]
      }
    },
    channels: {
      heroes: {
        address: '/ws',
        title: 'The hero socket',
        description: 'One WebSocket per page. The server greets with user_authorized, then answers each get_name.',
        messages: Object.fromEntries(schemas.map((s) => [s.type, { $ref: `#/components/messages/${s.type}` }]))
      }
    },
    operations,
    components: {
      messages,
      securitySchemes: {
        sessionCookie: {
          type: 'httpApiKey',
          name: '__Host-sid',
          in: 'cookie',
          description: 'The session cookie set by POST /login (a form post from an allowed origin). ' +
            'The Origin header must be one of ALLOWED_ORIGINS.'
        }
      }
    }
  }
}

/** One operation per message: the server receives what the client sends, and sends the rest. */
function asyncApiOperations (schemas: readonly ProtocolSchema[]): Record<string, unknown> {
  return Object.fromEntries(schemas.map((s) => [
    `${s.from === 'client' ? 'receive' : 'send'}${camel(s.type).replace(/^./, (c) => c.toUpperCase())}`,
    {
      action: s.from === 'client' ? 'receive' : 'send',
      channel: { $ref: '#/channels/heroes' },
      summary: s.from === 'client'
        ? `The client sends ${s.type}; the server answers it.`
        : `The server sends ${s.type}.`,
      messages: [{ $ref: `#/channels/heroes/messages/${s.type}` }]
    }
  ]))
}

/** The document as written to docs/asyncapi.json. */
export function asyncApiSource (schemas: readonly ProtocolSchema[], root: string): string {
  return JSON.stringify(asyncApiDocument(schemas, root), null, 2) + '\n'
}
