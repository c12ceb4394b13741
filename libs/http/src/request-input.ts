import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { invalidInput, type FieldProblem, describeForbiddenCharacter, forbiddenCharacter, TEXT_RULE, textProblem } from '../../domain/index.js';

/** Enough to say what is wrong without echoing a whole hostile body back. */
const MAX_PROBLEMS = 10;

export const REPEATED_QUERY_RULE = 'Given at most once: a repeated query parameter is refused with 400.';

/**
 * The check every request passes before its handler runs (a preValidation
 * hook, so it covers every route, new ones too): each query parameter is given
 * at most once, and every path parameter, query parameter and string of a JSON
 * body, keys included, follows the text rule (libs/domain/src/text.ts). Handlers
 * and parsers then see single strings that PostgreSQL can store and pages can show;
 * field parsers add their own rules (lengths, formats, single-line fields).
 */
export function requestInputProblems(request: Pick<FastifyRequest, 'params' | 'query' | 'body'> & { url?: string }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries((request.params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string') push(problems, textProblem(`path.${name}`, value));
  }
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const key = forbiddenCharacter(name);
    if (key !== null) {
      push(problems, { field: 'query', message: `a parameter name ${describeForbiddenCharacter(key)}` });
      continue;
    }
    if (Array.isArray(value) && isRepeatable(request.url, name)) {
      for (const item of value.slice(0, MAX_PROBLEMS)) if (typeof item === 'string') push(problems, textProblem(`query.${name}`, item));
    } else if (Array.isArray(value)) push(problems, { field: `query.${name}`, message: `is given ${value.length} times; give it once` });
    else if (typeof value === 'string') push(problems, textProblem(`query.${name}`, value));
  }
  if (isParsedJson(request.body)) bodyProblems(request.body, problems);
  return problems.slice(0, MAX_PROBLEMS);
}

/** The Docker token protocol asks for several scopes by repeating `scope` (a push that mounts from another repository). */
function isRepeatable(url: string | undefined, name: string): boolean {
  return name === 'scope' && url !== undefined && /^\/v2\/token\/?(\?|$)/.test(url);
}

/** Fastify hook: refuses the request with a 400 naming each bad field. */
export async function checkRequestInput(request: FastifyRequest): Promise<void> {
  const problems = requestInputProblems(request);
  if (problems.length > 0) throw invalidInput(problems);
}

/** Modules (application/wasm) and /v2 bodies arrive as streams, multipart bodies not at all: only parsed JSON is walked. */
function isParsedJson(body: unknown): boolean {
  if (body === undefined || body === null) return false;
  if (typeof body !== 'object') return typeof body === 'string';
  return !Buffer.isBuffer(body) && typeof (body as { pipe?: unknown }).pipe !== 'function';
}

/** Every string and key of a JSON value, without recursion: a deeply nested body must not overflow the stack. */
function bodyProblems(body: unknown, problems: FieldProblem[]): void {
  const stack: [string, unknown][] = [['body', body]];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const [field, value] = stack.pop()!;
    if (typeof value === 'string') {
      push(problems, textProblem(field, value, 'lines'));
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([`${field}[${i}]`, value[i]]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value).reverse()) {
        const bad = forbiddenCharacter(key);
        if (bad !== null) push(problems, { field, message: `a key ${describeForbiddenCharacter(bad)}` });
        else stack.push([`${field}.${key}`, item]);
      }
    }
  }
}

function push(problems: FieldProblem[], problem: FieldProblem | null): void {
  if (problem !== null && problems.length < MAX_PROBLEMS) problems.push(problem);
}

/** States the rules in the OpenAPI document: the text rule once, the repeated-parameter rule on every query parameter. */
export function describeRequestInputRules(document: OpenAPIObject): void {
  document.info.description = `${document.info.description ?? ''} Text in path and query parameters and in bodies follows one rule: ${TEXT_RULE} (400 invalid_input naming the field).`.trim();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const operation of Object.values(operations as Record<string, { parameters?: unknown[] }>)) {
      for (const parameter of operation?.parameters ?? []) {
        const query = parameter as { in?: string; name?: string; description?: string };
        if (query.in === 'query' && !isRepeatable(path, query.name ?? '')) query.description = query.description ? `${query.description} ${REPEATED_QUERY_RULE}` : REPEATED_QUERY_RULE;
      }
    }
  }
}
