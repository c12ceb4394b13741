import { parseDocument } from 'yaml';
import { invalidInput, jsonTextDepth, textProblem } from '../../domain/index.js';
import { CONTRACT_LIMITS } from './contract-limits.js';

/**
 * Untrusted text made into a document, bounded at every step: bytes before
 * decoding, UTF-8 strictly, nesting before anything recursive walks it. Every
 * refusal is a 400 naming the field the text came from.
 */
export type DocumentFormat = 'json' | 'yaml';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a part: at most `maxBytes`, valid UTF-8, no NUL or other forbidden character (see TEXT_RULE). */
export function decodePartText(bytes: Uint8Array, field: string, maxBytes: number): string {
  if (bytes.byteLength > maxBytes) {
    throw invalidInput([{ field, message: `must be at most ${maxBytes} bytes (got ${bytes.byteLength})` }]);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidInput([{ field, message: 'must be UTF-8 text (the bytes are not valid UTF-8)' }]);
  }
  const problem = textProblem(field, text, 'lines');
  if (problem !== null) throw invalidInput([problem]);
  return text;
}

/** Parses JSON or YAML (one document, the YAML 1.2 core schema) no deeper than `maxDepth` objects and arrays. */
export function parseBoundedDocument(text: string, format: DocumentFormat, field: string, maxDepth: number): unknown {
  const refuse = (message: string): never => {
    throw invalidInput([{ field, message }]);
  };
  let value: unknown;
  if (format === 'json') {
    // Counted on the text, so no parser ever sees a deeper document.
    if (jsonTextDepth(text) > maxDepth) refuse(`nests objects and arrays deeper than ${maxDepth} levels`);
    try {
      value = JSON.parse(text);
    } catch (error) {
      refuse(`is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    let yamlProblem: string | null = null;
    try {
      const document = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
      const [problem] = [...document.errors, ...document.warnings];
      if (problem !== undefined) yamlProblem = problem.message;
      else value = document.toJS({ maxAliasCount: CONTRACT_LIMITS.yamlAliases });
    } catch (error) {
      yamlProblem = error instanceof Error ? error.message : String(error);
    }
    if (yamlProblem !== null) {
      // The yaml composer recurses: deep nesting ends as a stack overflow (RangeError, or wrapped
      // into a parse error), a flood of aliases as "Excessive alias count".
      refuse(/call stack/i.test(yamlProblem) ? `nests deeper than ${maxDepth} levels` : `is not valid YAML: ${firstLine(yamlProblem)}`);
    }
  }
  const problem = jsonValueProblem(value, maxDepth);
  if (problem !== null) refuse(problem);
  return value;
}

/** Why `value` is not a JSON value no deeper than `maxDepth`, or null. Iterative: safe on any depth. */
export function jsonValueProblem(value: unknown, maxDepth: number): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (node === null || typeof node === 'string' || typeof node === 'boolean') continue;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return 'holds a number JSON cannot represent (.inf or .nan)';
      continue;
    }
    if (typeof node !== 'object') return `holds a value JSON cannot represent (${typeof node})`;
    if (depth + 1 > maxDepth) return `nests objects and arrays deeper than ${maxDepth} levels`;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push({ value: child, depth: depth + 1 });
  }
  return null;
}

/** Compact JSON size in UTF-8 bytes. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

const firstLine = (message: string): string => message.split('\n')[0]!.replace(/:$/, '');
