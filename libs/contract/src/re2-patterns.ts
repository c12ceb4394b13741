import { RE2JS } from 're2js';

/**
 * Every regular expression a schema holds (`pattern`, `patternProperties`
 * keys, values checked as `format: regex`) runs on re2js: linear time in the
 * input, so no pattern can backtrack catastrophically. The price is RE2
 * syntax: no lookaround, no backreferences. ECMAScript spellings RE2 lacks
 * (`\uXXXX`, `(?<name>…)`) are translated first.
 */

/** The compiled pattern, or why RE2 cannot take it. */
export function compileRe2(pattern: string): { ok: true; regex: RE2JS } | { ok: false; reason: string } {
  try {
    return { ok: true, regex: RE2JS.compile(RE2JS.translateRegExp(pattern)) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.replace(/^error parsing regexp: /, '') };
  }
}

export const RE2_RULE = 'patterns run on a linear-time engine and must be written in RE2 syntax (no lookahead, lookbehind or backreferences)';

/** Ajv's `code.regExp`: the engine for every pattern a compiled schema uses. */
export function re2RegExp(pattern: string, _flags: string): { test(input: string): boolean; toString(): string } {
  const compiled = compileRe2(pattern);
  if (!compiled.ok) throw new Error(`the pattern ${JSON.stringify(pattern)} is not RE2 syntax (${compiled.reason}); ${RE2_RULE}`);
  const { regex } = compiled;
  // Ajv keys its pattern cache by toString(): it must differ per pattern.
  return { test: (input) => regex.test(input), toString: () => `re2:${pattern}` };
}
// Ajv emits this in standalone code only; named so that code would say which engine it needs.
re2RegExp.code = 'require("re2js").RE2JS';

/** Ajv's `format: regex`: a value is a regular expression when RE2 compiles it. */
export const isRe2Pattern = (value: string): boolean => compileRe2(value).ok;
