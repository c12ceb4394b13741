import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class FieldProblemView {
  @ApiProperty({ example: 'path.version', description: 'Where the bad value came from: path.*, query.*, header.* or body.*.' })
  field!: string;
  @ApiProperty({ example: '"1.0" must be a semantic version such as 1.2.0' })
  message!: string;
}

/** RFC 9457 problem details; `code` is stable and meant for programs. */
export class ProblemView {
  @ApiProperty({ example: 'urn:wasm-registry:problem:invalid_input' })
  type!: string;
  @ApiProperty({ example: 'Invalid input' })
  title!: string;
  @ApiProperty({ example: 400 })
  status!: number;
  @ApiProperty({ example: 'path.version: "1.0" must be a semantic version such as 1.2.0' })
  detail!: string;
  @ApiProperty({ example: 'invalid_input' })
  code!: string;
  @ApiPropertyOptional({ example: '/api/v1/plugins/acme/jwt-auth/versions/1.0' })
  instance?: string;
  @ApiPropertyOptional({ type: [FieldProblemView], description: 'For invalid_input: every invalid field.' })
  errors?: FieldProblemView[];
  @ApiPropertyOptional({ enum: ['database', 'object storage', 'job queue'], description: 'For service_unavailable: the dependency that is down.' })
  dependency?: string;
  @ApiPropertyOptional({ example: 5, description: 'Seconds to wait before trying again (503: also the Retry-After header).' })
  retryAfterSeconds?: number;
}

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid input (`invalid_input`, `invalid_module`, `invalid_json`).',
  401: 'No valid bearer token (`unauthenticated`).',
  403: 'The token lacks the right (`forbidden`).',
  404: 'No such resource (`*_not_found`).',
  408: 'The request body stopped arriving, or the request took too long (`request_timeout`).',
  409: 'Conflicts with the current state (`version_exists`, `version_pending`, `version_rejected`, `version_failed`, `version_not_failed`, `version_not_ready`, `version_in_use`, `analysis_pending`, `not_a_proxy_wasm_plugin`).',
  413: 'The module is larger than the limit (`module_too_large`).',
  415: 'Wrong Content-Type (`unsupported_media_type`).',
  416: 'The Range lies outside the module (`range_not_satisfiable`).',
  429: 'Too many requests from this client address (`too_many_requests`); Retry-After says when to try again.',
  503:
    'A dependency is down (`service_unavailable`: `dependency` says which: database, object storage or job queue; ' +
    '`not_ready` from /health/ready). Retry-After says when to try again, and retrying is safe.',
};

/**
 * Documents the problem responses an operation can return. Every operation reaches the database
 * or storage, so each can also answer 503 while one is down.
 */
export const ApiProblems = (...statuses: number[]): MethodDecorator =>
  applyDecorators(
    ApiExtraModels(ProblemView),
    ...[...new Set([...statuses, 503])].map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemView) } } },
      }),
    ),
  );
