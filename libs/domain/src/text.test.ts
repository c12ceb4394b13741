import { describe, expect, it } from 'vitest';
import { forbiddenCharacter, textProblem } from './text.js';

describe('the text rule', () => {
  it.each([
    ['plain ASCII', 'jwt auth'],
    ['accents and scripts', 'Vérifie les jetons · 検証 · проверка'],
    ['right-to-left text with its marks', 'عربي \u200f(RLM) עברית \u200e'],
    ['emoji and joiners', '👩‍💻 🇪🇺'],
    ['zero-width space and a BOM inside', 'a\u200bb\ufeffc'],
    ['SQL and HTML as text', `'; DROP TABLE plugins; -- <script>alert(1)</script>`],
    ['empty', ''],
  ])('accepts %s', (_what, text) => {
    expect(forbiddenCharacter(text, 'line')).toBeNull();
    expect(forbiddenCharacter(text, 'lines')).toBeNull();
  });

  it.each([
    ['NUL', 'a\u0000b', 1, 0x0000, 'NUL'],
    ['a lone high surrogate', 'ab\ud800', 2, 0xd800, 'a lone surrogate'],
    ['a lone low surrogate', '\udc00z', 0, 0xdc00, 'a lone surrogate'],
    ['a high surrogate followed by a high one', '\ud83d\ud83d\ude00', 0, 0xd83d, 'a lone surrogate'],
    ['ESC (terminal escapes)', 'x\u001b[31m', 1, 0x1b, 'a control character'],
    ['DEL', '\u007f', 0, 0x7f, 'a control character'],
    ['a C1 control (CSI)', 'a\u009b', 1, 0x9b, 'a control character'],
    ['a right-to-left override', 'txt.\u202egnp', 4, 0x202e, 'a bidirectional control'],
    ['a first-strong isolate', '\u2068x', 0, 0x2068, 'a bidirectional control'],
    ['a noncharacter', 'a\uffff', 1, 0xffff, 'a noncharacter'],
  ])('refuses %s everywhere, saying where', (_what, text, index, codePoint, what) => {
    for (const kind of ['line', 'lines'] as const) expect(forbiddenCharacter(text, kind)).toEqual({ index, codePoint, what });
  });

  it('keeps tab and line breaks for multi-line text only', () => {
    for (const text of ['two\nlines', 'tab\tbed', 'windows\r\nline']) {
      expect(forbiddenCharacter(text, 'lines')).toBeNull();
      expect(forbiddenCharacter(text, 'line')?.what).toContain('single-line');
    }
    expect(forbiddenCharacter('form\ffeed', 'lines')?.codePoint).toBe(0x0c);
  });

  it('names the field and the character without echoing the text', () => {
    const problem = textProblem('body.description', 'secret\u0000tail', 'lines');
    expect(problem?.field).toBe('body.description');
    expect(problem?.message).toMatch(/^holds U\+0000 \(NUL\) at position 7; text may not hold/);
    expect(problem?.message).not.toContain('secret');
    expect(textProblem('query.q', 'fine')).toBeNull();
  });
});
