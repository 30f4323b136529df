// Fastify's own lines about each request (its logController): one line per request at info, so a
// flood of any kind writes one line per request, never more. The line is "request completed"
// with the request (method, URL and Host bounded, the client as the limits see it) and its
// status; a refused request's line is instead its refusal line (error-handler.ts), which says
// the same and why. "incoming request" is at debug, and so are the health probes' lines.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A probe's route (health): its requests are logged at debug, not once per probe at info. */
    probe?: boolean
  }
}

/** The logController the app gives Fastify. */
export class RequestLogLines extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error !== null && error !== undefined) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
      return
    }
    // A refusal wrote its own line (error-handler.ts), naming the client and the reason.
    if (request.refusal !== null) return
    const level = request.routeOptions.config?.probe === true ? 'debug' : 'info'
    reply.log[level]({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}
