import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isOciPath, ociCodeForStatus } from '../../oci/src/oci-errors.js';
import { errorPage } from '../../web/src/pages/catalog-pages.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

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
  const problem = toProblem(error, request.url);
  if (problem.status >= 500) {
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
  }
  if (isOciPath(request.url)) {
    // OCI clients read the distribution spec's error body, not a problem document.
    const { ociCode, code: _code, type: _type, title, status, detail, instance: _instance, ...rest } = problem;
    const code = typeof ociCode === 'string' ? ociCode : ociCodeForStatus(status);
    const body = { errors: [{ code, message: status >= 500 ? title : detail, detail: rest }] };
    void reply.status(status).header('content-type', 'application/json').send(JSON.stringify(body));
    return;
  }
  if (isPagePath(request.url) && String(request.headers.accept ?? '').includes('text/html')) {
    // A browser on a web page (a mistyped URL, say) gets a page, not a JSON document.
    const title = problem.status === 404 ? 'Page not found' : problem.status >= 500 ? 'Something went wrong' : problem.title;
    void reply.status(problem.status).header('content-type', 'text/html; charset=utf-8').send(errorPage(problem.status, title, problem.status >= 500 ? 'The registry could not answer; try again in a moment.' : problem.detail));
    return;
  }
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="wasm-registry"');
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

function hasBody(request: FastifyRequest): boolean {
  return request.raw.headers['content-length'] !== undefined || request.raw.headers['transfer-encoding'] !== undefined;
}

/** Web pages: everything but the API, the OCI endpoint and health checks. */
function isPagePath(url: string): boolean {
  return !/^\/(api|v2|health)(\/|\?|$)/.test(url);
}
