// Security headers on every response Fastify writes: the fixed set (fixed-headers.ts: HSTS,
// nosniff, no framing, a referrer policy that keeps the Origin header on our own form posts...),
// and a strict Content-Security-Policy (@fastify/helmet) whose connect-src is our own wss origins.
// Answers written past Fastify (the gate's, Node's clientError) carry the same fixed set.
import fastifyHelmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import type { AllowedOrigins } from '../edge/allowed-origins.js'
import { FIXED_SECURITY_HEADERS } from '../edge/fixed-headers.js'

/**
 * Registers the fixed headers and helmet's CSP; the CSP's socket origins are read from `allowedOrigins` per
 * response.
 */
export async function registerSecurityHeaders (app: FastifyInstance, allowedOrigins: AllowedOrigins): Promise<void> {
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(FIXED_SECURITY_HEADERS)
  })
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
    // Every other header is the fixed set's, written above: one source for all answers.
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    strictTransportSecurity: false,
    xContentTypeOptions: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false
  })
}
