import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvHttpProxyAgent, RetryAgent, fetch, type Dispatcher, type Response } from 'undici';
import { CliError, usageError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

export interface ClientOptions {
  registry: string;
  token: string | null;
  /** Seconds to wait for an answer's headers (and between body chunks). */
  timeoutSeconds: number;
  /** A PEM file of CAs to trust beside the system's, for registries behind a private CA. */
  caFile: string | null;
  /** Attempts after the first for idempotent requests. */
  retries: number;
  userAgent: string;
}

/** problem+json as the registry sends it (RFC 9457, with `code` and field `errors`). */
export interface Problem {
  status: number;
  code?: string;
  title?: string;
  detail?: string;
  errors?: { field?: string; message?: string }[];
}

/** A refusal or failure the registry answered with; its message is the problem as a sentence. */
export class RegistryRefusal extends CliError {
  constructor(
    readonly problem: Problem,
    hint: string | null,
  ) {
    super(problemSentence(problem), problem.status >= 500 ? EXIT.unavailable : EXIT.refused, hint);
  }
}

/** "Invalid input (400 invalid_input): body.manifest.version is "2.0.0" but …; body.readme …" */
export function problemSentence(problem: Problem): string {
  const head = `${problem.title ?? 'The registry refused the request'} (${problem.status}${problem.code ? ` ${problem.code}` : ''})`;
  const errors = (problem.errors ?? []).slice(0, 20).map((e) => `${e.field ?? 'request'} ${e.message ?? ''}`.trim());
  const more = (problem.errors?.length ?? 0) > 20 ? [`and ${problem.errors!.length - 20} more`] : [];
  const detail = errors.length > 0 ? errors.concat(more).join('; ') : problem.detail;
  return detail ? `${head}: ${detail}` : head;
}

function hintFor(problem: Problem, registry: string): string | null {
  if (problem.status === 401) return `log in again: wpr login --registry ${registry} (or set WPR_TOKEN)`;
  if (problem.status === 403) return 'wpr whoami shows the namespaces this token may publish to';
  if (problem.status === 429 || problem.status === 503) return 'the registry is busy or a dependency is down; try again in a little while';
  return null;
}

const RETRIED_STATUS = [429, 502, 503, 504];
const RETRIED_ERRORS = ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'ENETDOWN', 'ENETUNREACH', 'EHOSTDOWN', 'EHOSTUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'];

/**
 * The registry's HTTP API as the CLI uses it. One connection pool that honours
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY (undici's EnvHttpProxyAgent) and a
 * custom CA; idempotent requests go through undici's RetryAgent (exponential
 * backoff, Retry-After honoured). Never logs or prints the token.
 */
export class RegistryClient {
  readonly registry: string;
  private readonly direct: Dispatcher;
  private readonly retrying: Dispatcher;

  constructor(private readonly options: ClientOptions) {
    this.registry = options.registry;
    const ca = options.caFile === null ? undefined : [...rootCertificates, readCaFile(options.caFile)];
    const timeout = options.timeoutSeconds * 1000;
    this.direct = new EnvHttpProxyAgent({ connect: { timeout: Math.min(timeout, 30_000), ...(ca ? { ca } : {}) }, headersTimeout: timeout, bodyTimeout: timeout });
    this.retrying = new RetryAgent(this.direct, {
      maxRetries: options.retries,
      minTimeout: 500,
      maxTimeout: 10_000,
      timeoutFactor: 2,
      methods: ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'],
      statusCodes: RETRIED_STATUS,
      errorCodes: RETRIED_ERRORS,
      // After the last retry, the last answer (its problem document) is what the user sees, not a generic retry error.
      throwOnError: false,
    });
  }

  get token(): string | null {
    return this.options.token;
  }

  /** A path of the registry's API, or a full URL the registry handed out (an upload session's Location). */
  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.registry}${path}`;
  }

  /** A JSON request; a JSON body is sent as is. Throws RegistryRefusal on 4xx and 5xx. */
  async json<T>(method: string, path: string, body?: unknown, init: { auth?: boolean; accept?: string } = {}): Promise<T> {
    const response = await this.send(method, path, {
      body: body === undefined ? undefined : JSON.stringify(body),
      contentType: body === undefined ? undefined : 'application/json',
      auth: init.auth,
      accept: init.accept ?? 'application/json',
    });
    return (await response.json()) as T;
  }

  /** Any request; the response is returned when its status is below 400. */
  async send(
    method: string,
    path: string,
    init: { body?: string | Uint8Array | ReadableStream<Uint8Array>; contentType?: string; auth?: boolean; accept?: string; headers?: Record<string, string>; retry?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: init.accept ?? '*/*', ...init.headers };
    if (init.contentType) headers['content-type'] = init.contentType;
    if (init.auth !== false && this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const streamed = init.body instanceof ReadableStream;
    const retry = init.retry ?? (!streamed && method !== 'POST' && method !== 'PATCH');
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: init.body,
        dispatcher: retry ? this.retrying : this.direct,
        ...(streamed ? { duplex: 'half' as const } : {}),
      });
    } catch (error) {
      throw networkError(error, this.registry);
    }
    if (response.status >= 400) throw new RegistryRefusal(await readProblem(response), hintFor({ status: response.status }, this.registry));
    return response;
  }

  /** Retries `attempt` (which builds its request afresh, e.g. a streamed upload) on network errors and 502-504, with backoff. */
  async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tried = 0; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        const retriable = error instanceof CliError && error.exitCode === EXIT.unavailable && !(error instanceof RegistryRefusal && error.problem.status === 500);
        if (!retriable || tried >= this.options.retries) throw error;
        await sleep(Math.min(10_000, 500 * 2 ** tried) * (0.5 + Math.random() / 2));
      }
    }
  }

  async close(): Promise<void> {
    await this.retrying.close();
    await this.direct.close().catch(() => {});
  }
}

function readCaFile(path: string): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (error) {
    throw usageError(`cannot use --ca-file ${path}: ${(error as Error).message}`, 'give a PEM file of one or more CA certificates');
  }
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as Omit<Problem, 'errors'> & { errors?: { code?: string; message?: string; field?: string }[] };
    if (typeof parsed === 'object' && parsed !== null && Array.isArray(parsed.errors) && parsed.errors.some((e) => e.code !== undefined && e.field === undefined)) {
      // The OCI endpoints answer {"errors": [{"code", "message"}]} (distribution spec), not problem+json.
      const first = parsed.errors[0]!;
      return { status: response.status, code: first.code, title: 'The registry refused the upload', detail: parsed.errors.map((e) => `${e.code}: ${e.message}`).join('; ') };
    }
    if (typeof parsed === 'object' && parsed !== null) return { ...(parsed as Problem), status: response.status };
  } catch {
    // Not problem+json (a proxy's error page): say what came back, shortly.
  }
  return { status: response.status, title: response.statusText || 'HTTP error', detail: text.slice(0, 200).replace(/\s+/g, ' ').trim() || undefined };
}

function networkError(error: unknown, registry: string): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const reason = cause?.message ?? (error as Error).message;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new CliError(`the registry at ${registry} did not answer in time (${code})`, EXIT.unavailable, 'raise --timeout, or check the registry is up');
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new CliError(`the registry's TLS certificate is not trusted: ${reason}`, EXIT.unavailable, 'pass the CA that signed it with --ca-file ca.pem');
  }
  return new CliError(`cannot reach the registry at ${registry}: ${reason}${code ? ` (${code})` : ''}`, EXIT.unavailable, 'check the URL, your network and the HTTP(S)_PROXY variables');
}
