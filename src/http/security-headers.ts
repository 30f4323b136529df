// Security headers on every response (@fastify/helmet): a strict Content-Security-Policy whose
// connect-src is our own wss origins, HSTS, no framing, and a referrer policy that keeps the
// Origin header on our own form posts.
import fastifyHelmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import type { AllowedOrigins } from './allowed-origins.js'

/** Registers helmet; the CSP's socket origins are read from `allowedOrigins` per response. */
export async function registerSecurityHeaders (app: FastifyInstance, allowedOrigins: AllowedOrigins): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", () => allowedOrigins.list().map((o) => o.replace(/^http/, 'ws')).join(' ')],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"]
      }
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    // Not no-referrer: under it Chromium sends `Origin: null` on our own form posts (login, logout).
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' }
  })
}
