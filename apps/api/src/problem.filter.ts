import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientWentAway, describeError } from './client-errors.js';
import { describeDependencyError, lingerAfterAnswer, toProblem } from '../../../libs/http/index.js';
import { problemResponse } from './problem-response.js';

/** The one place where errors become responses. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), error, this.logger);
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown, logger: Logger): void {
  if (clientWentAway(request, error)) {
    // Nobody is left to answer, and nothing failed here: not an error, and no stack to log.
    logger.debug(`${request.method} ${request.url}: the client went away (${describeError(error)})`);
    return;
  }
  const problem = toProblem(error, request.url);
  if (problem.code === 'service_unavailable') {
    // An outage fails every request alike: one line each, no stack.
    logger.warn(`${request.method} ${request.url}: ${String(problem.dependency)} unavailable (${describeDependencyError(error)}), answered 503`);
  } else if (problem.status >= 500) {
    logger.error(`${request.method} ${request.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  if (reply.sent || reply.raw.headersSent) {
    // The body had started; all we can do is cut the connection so the client sees a failure.
    reply.raw.destroy();
    return;
  }
  // A refused upload is not read to the end: close the connection rather than drain it.
  if (!request.raw.readableEnded && request.raw.headers['content-length'] !== '0' && hasBody(request)) {
    void reply.header('connection', 'close');
    lingerAfterAnswer(request.raw);
  }
  const response = problemResponse(problem, request.url, request.headers.accept);
  void reply.status(response.status).headers(response.headers).send(response.body);
}

function hasBody(request: FastifyRequest): boolean {
  return request.raw.headers['content-length'] !== undefined || request.raw.headers['transfer-encoding'] !== undefined;
}
