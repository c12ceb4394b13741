import { isOciPath, ociCodeForStatus } from '../../../libs/oci/index.js';
import { errorPage } from '../../../libs/web/index.js';
import { PROBLEM_CONTENT_TYPE, type Problem, BASELINE_SECURITY_HEADERS } from '../../../libs/http/index.js';

/**
 * A problem in the format of the surface it answers: the OCI error body on /v2, an HTML page for a
 * browser on a web page, problem+json everywhere else. Shared by the filter and the answers written
 * straight to the socket (client errors, timeouts), so that every answer has its surface's format
 * and the security headers, whether or not Fastify's hooks ran.
 */
export function problemResponse(problem: Problem, url: string, accept: string | string[] | undefined): { status: number; headers: Record<string, string>; body: string } {
  const { status } = problem;
  // A 503 says when to come back, whatever the surface.
  const retryAfter: Record<string, string> =
    status === 503 && typeof problem.retryAfterSeconds === 'number' ? { 'retry-after': String(problem.retryAfterSeconds) } : {};
  if (isOciPath(url)) {
    // OCI clients read the distribution spec's error body, not a problem document.
    const { ociCode, wwwAuthenticate, code: _code, type: _type, title, detail, instance: _instance, status: _status, ...rest } = problem;
    const code = typeof ociCode === 'string' ? ociCode : ociCodeForStatus(status);
    const body = { errors: [{ code, message: status >= 500 && status !== 503 ? title : detail, detail: rest }] };
    // A 401 says where to get a token and for what (the Docker token protocol every OCI client follows).
    const challenge: Record<string, string> = typeof wwwAuthenticate === 'string' ? { 'www-authenticate': wwwAuthenticate } : {};
    return { status, headers: { ...BASELINE_SECURITY_HEADERS, ...retryAfter, ...challenge, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }
  if (isPagePath(url) && String(accept ?? '').includes('text/html')) {
    // A browser on a web page (a mistyped URL, say) gets a page, not a JSON document.
    const title = status === 404 ? 'Page not found' : status >= 500 ? 'Something went wrong' : problem.title;
    const body = errorPage(status, title, status >= 500 ? 'The registry could not answer; try again in a moment.' : problem.detail);
    return { status, headers: { ...BASELINE_SECURITY_HEADERS, ...retryAfter, 'content-type': 'text/html; charset=utf-8' }, body };
  }
  const headers: Record<string, string> = { ...BASELINE_SECURITY_HEADERS, ...retryAfter, 'content-type': PROBLEM_CONTENT_TYPE };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="wasm-registry"';
  return { status, headers, body: JSON.stringify(problem) };
}

/** Web pages: everything but the API, the OCI endpoint and health checks. */
function isPagePath(url: string): boolean {
  return !/^\/(api|v2|health)(\/|\?|$)/.test(url);
}
