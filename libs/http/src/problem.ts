import { HttpException } from '@nestjs/common';
import { RegistryError } from '../../domain/index.js';
import { StorageNotFoundError } from '../../storage/index.js';
import { RETRY_AFTER_SECONDS, unavailableDependency } from './dependency-errors.js';
import { PATH_PARAMETER_RULE } from './path-parameters.js';

/** An RFC 9457 problem document with the registry's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemType = (code: string): string => `urn:wasm-registry:problem:${code}`;

const FASTIFY_CODES: Readonly<Record<string, { code: string; title: string; detail?: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    title: 'Unsupported media type',
    detail: 'this Content-Type is not accepted: send modules as application/wasm and metadata as application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'body_too_large', title: 'Body too large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', title: 'Invalid JSON body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', title: 'Invalid JSON body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_content_length', title: 'Invalid Content-Length' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', title: 'URI too long', detail: PATH_PARAMETER_RULE },
  FST_ERR_BAD_URL: { code: 'invalid_url', title: 'Invalid URL', detail: 'the path is not a valid URL: a percent sign must start an escape such as %2F' },
};

const STATUS_CODES: Readonly<Record<number, { code: string; title: string }>> = {
  400: { code: 'bad_request', title: 'Bad request' },
  401: { code: 'unauthenticated', title: 'Authentication required' },
  403: { code: 'forbidden', title: 'Forbidden' },
  404: { code: 'not_found', title: 'Not found' },
  405: { code: 'method_not_allowed', title: 'Method not allowed' },
  406: { code: 'not_acceptable', title: 'Not acceptable' },
  408: { code: 'request_timeout', title: 'Request timeout' },
  413: { code: 'body_too_large', title: 'Body too large' },
  414: { code: 'uri_too_long', title: 'URI too long' },
  415: { code: 'unsupported_media_type', title: 'Unsupported media type' },
  429: { code: 'too_many_requests', title: 'Too many requests' },
  431: { code: 'headers_too_large', title: 'Request headers too large' },
  503: { code: 'unavailable', title: 'Service unavailable' },
};

/**
 * Turns anything thrown into a problem document. Only RegistryError and
 * framework errors with a 4xx status say what happened; everything else is a
 * 500 that tells the client nothing about the server's insides.
 */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof RegistryError) {
    return {
      ...error.extensions,
      type: problemType(error.code),
      title: error.title,
      status: error.status,
      detail: error.detail,
      code: error.code,
      ...(instance ? { instance } : {}),
    };
  }
  if (error instanceof StorageNotFoundError) {
    // A module the database records but storage lost (or an admin just deleted): gone, not a failure of this server.
    return {
      type: problemType('blob_not_found'),
      title: 'Not found',
      status: 404,
      detail: 'the module is not in storage (any more)',
      code: 'blob_not_found',
      ociCode: 'BLOB_UNKNOWN',
      ...(instance ? { instance } : {}),
    };
  }
  const dependency = unavailableDependency(error);
  if (dependency !== null) {
    // Not this server's fault, and it passes: say which part is down and when to ask again.
    return {
      type: problemType('service_unavailable'),
      title: 'Service unavailable',
      status: 503,
      detail: `the ${dependency} is unavailable right now; try again in ${RETRY_AFTER_SECONDS} seconds`,
      code: 'service_unavailable',
      dependency,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      ociCode: 'UNAVAILABLE',
      ...(instance ? { instance } : {}),
    };
  }
  const status = statusOf(error);
  if (status !== null && status < 500) {
    // Nest wraps Fastify's own errors (body parsing, content types) in an HttpException whose cause keeps the FST_ code.
    const frameworkCode = ((error instanceof HttpException ? error.cause : error) as { code?: unknown } | undefined)?.code;
    const known: { code: string; title: string; detail?: string } = FASTIFY_CODES[typeof frameworkCode === 'string' ? frameworkCode : ''] ??
      STATUS_CODES[status] ?? { code: 'bad_request', title: 'Bad request' };
    const detail = known.detail ?? (error instanceof HttpException ? messageOf(error.getResponse()) : (error as Error).message);
    return { type: problemType(known.code), title: known.title, status, detail, code: known.code, ...(instance ? { instance } : {}) };
  }
  if (status === 503) {
    return { type: problemType('unavailable'), title: 'Service unavailable', status, detail: 'the service is temporarily unavailable', code: 'unavailable' };
  }
  return {
    type: problemType('internal_error'),
    title: 'Internal server error',
    status: 500,
    detail: 'the registry failed to handle this request; the error was logged',
    code: 'internal_error',
    ...(instance ? { instance } : {}),
  };
}

function statusOf(error: unknown): number | null {
  if (error instanceof HttpException) return error.getStatus();
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : null;
}

function messageOf(response: string | object): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : 'the request was refused';
}
