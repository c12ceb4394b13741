import type { FieldProblem } from './registry-error.js';

/**
 * What text the registry accepts wherever a client gives it (path and query
 * parameters, JSON bodies, multipart text, declared dependency files). One rule
 * for every field, checked before anything reaches the database:
 *
 * - U+0000: PostgreSQL (and PGlite) cannot store it in text or jsonb.
 * - Lone surrogates: not Unicode text; they cannot be written as UTF-8.
 * - Other control characters (C0, DEL, C1): invisible, they forge log lines
 *   and drive terminals (ESC, CSI), and XML 1.0 (the XML SBOM) cannot hold C0.
 *   Multi-line text (descriptions, reasons, dependency files) keeps tab, line
 *   feed and carriage return; single-line text (names, parameters) keeps none.
 * - U+FFFE and U+FFFF: noncharacters, not allowed in XML either.
 * - Bidirectional embedding, override and isolate controls (U+202A-U+202E,
 *   U+2066-U+2069): they make shown text read other than it is stored ("Trojan
 *   Source"). Right-to-left text needs none of them; the marks U+200E, U+200F
 *   and U+061C stay allowed.
 */
export type TextKind = 'line' | 'lines';

export const TEXT_RULE =
  'text may not hold U+0000, lone surrogates, control characters (tab and line breaks only in multi-line text), ' +
  'U+FFFE/U+FFFF or bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069)';

export interface ForbiddenCharacter {
  /** 0-based, in UTF-16 code units. */
  index: number;
  codePoint: number;
  what: string;
}

// One class for the fast path; the slow path below names the character.
const FORBIDDEN_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/;
const FORBIDDEN_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/;

/** The first character `text` may not hold, or null when it is acceptable. */
export function forbiddenCharacter(text: string, kind: TextKind = 'line'): ForbiddenCharacter | null {
  const wellFormed = text.isWellFormed();
  if (wellFormed && !(kind === 'line' ? FORBIDDEN_LINE : FORBIDDEN_LINES).test(text)) return null;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        index++; // a well-formed pair
        continue;
      }
      return { index, codePoint: unit, what: 'a lone surrogate' };
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return { index, codePoint: unit, what: 'a lone surrogate' };
    const what = describe(unit, kind);
    if (what !== null) return { index, codePoint: unit, what };
  }
  return null;
}

function describe(unit: number, kind: TextKind): string | null {
  if (unit === 0) return 'NUL';
  if (unit === 0x09 || unit === 0x0a || unit === 0x0d) return kind === 'line' ? 'a tab or line break (this is single-line text)' : null;
  if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return 'a control character';
  if ((unit >= 0x202a && unit <= 0x202e) || (unit >= 0x2066 && unit <= 0x2069)) return 'a bidirectional control';
  if (unit === 0xfffe || unit === 0xffff) return 'a noncharacter';
  return null;
}

const hex = (codePoint: number): string => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/** Describes a forbidden character without echoing the text (which may be long, or unprintable). */
export function describeForbiddenCharacter(found: ForbiddenCharacter): string {
  return `holds ${hex(found.codePoint)} (${found.what}) at position ${found.index + 1}; ${TEXT_RULE}`;
}

/** The FieldProblem for text that breaks the rule, or null. */
export function textProblem(field: string, text: string, kind: TextKind = 'line'): FieldProblem | null {
  const found = forbiddenCharacter(text, kind);
  return found === null ? null : { field, message: describeForbiddenCharacter(found) };
}
