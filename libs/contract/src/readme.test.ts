import { parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { renderReadme } from '../index.js';
import { XSS_PAYLOADS } from '../test/xss-payloads.js';
import { README_HTML_LIMIT } from './readme.js';

/**
 * The policy, written out here on its own so that the test does not trust the
 * renderer's allowlist: every element and attribute a rendered README may hold.
 */
const ALLOWED_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [h, ['id', 'align']])),
  p: ['align'], div: ['align'], th: ['align'], td: ['align'],
  a: ['href', 'title', 'rel'],
  code: ['class'],
  ol: ['start'],
  details: ['open'],
  br: [], hr: [], blockquote: [], pre: [], kbd: [], span: [], ul: [], li: [], dl: [], dt: [], dd: [],
  em: [], strong: [], b: [], i: [], s: [], del: [], ins: [], sub: [], sup: [], mark: [],
  table: [], caption: [], thead: [], tbody: [], tfoot: [], tr: [], summary: [],
};
const NEVER = ['script', 'style', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'svg', 'math', 'img', 'base', 'meta', 'link', 'template'];
const LINK_REL = 'nofollow noopener noreferrer ugc';
const PAGE = 'https://registry.example/plugins/acme/jwt-auth/1.0.0';

interface ParsedElement {
  name: string;
  attribs: Record<string, string>;
  depth: number;
}

interface DomNode {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: DomNode[];
}

/** Every element of `html` as a real HTML parser (htmlparser2, entities decoded) sees it. */
function elementsOf(html: string): ParsedElement[] {
  const found: ParsedElement[] = [];
  const walk = (nodes: readonly DomNode[], depth: number): void => {
    for (const node of nodes) {
      if (node.name !== undefined && node.attribs !== undefined) found.push({ name: node.name, attribs: node.attribs, depth });
      if (node.children !== undefined) walk(node.children, node.name !== undefined ? depth + 1 : depth);
    }
  };
  walk(parseDocument(html).children as unknown as DomNode[], 1);
  return found;
}

/** A URL's scheme once the characters a browser ignores are gone; '' for a relative URL. */
function schemeOf(url: string): string {
  const stripped = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  return /^([a-z][a-z0-9+.-]*):/i.exec(stripped)?.[1]?.toLowerCase() ?? '';
}

/** What in `html` breaks the README policy; empty when nothing does. */
function policyBreaches(html: string): string[] {
  const breaches: string[] = [];
  // Without a parser: every '<' opens or closes an allowed element (no comment, CDATA, doctype or processing instruction).
  for (const [markup, name] of html.matchAll(/<\/?([^\s/>]*)/g)) {
    if (!Object.hasOwn(ALLOWED_ATTRIBUTES, name!.toLowerCase())) breaches.push(`markup ${markup}`);
  }
  for (const { name, attribs } of elementsOf(html)) {
    if (NEVER.includes(name) || !Object.hasOwn(ALLOWED_ATTRIBUTES, name)) breaches.push(`element <${name}>`);
    for (const [attribute, value] of Object.entries(attribs)) {
      if (/^on/i.test(attribute)) breaches.push(`event handler ${attribute} on <${name}>`);
      else if (!(ALLOWED_ATTRIBUTES[name] ?? []).includes(attribute)) breaches.push(`attribute ${attribute} on <${name}>`);
      if (attribute === 'id' && !/^readme-/.test(value)) breaches.push(`id ${value}`);
      if (attribute === 'class' && !/^language-[\w+#.-]+$/.test(value)) breaches.push(`class ${value}`);
    }
    if (name === 'a' && attribs.href !== undefined) {
      const href = attribs.href;
      const resolved = new URL(href, PAGE);
      if (href.startsWith('#')) {
        if (!/^#readme-/.test(href)) breaches.push(`fragment ${href}`);
      } else if (!['http', 'https', 'mailto'].includes(schemeOf(href)) || !['http:', 'https:', 'mailto:'].includes(resolved.protocol)) {
        breaches.push(`href ${JSON.stringify(href)}`);
      }
      if (attribs.rel !== LINK_REL) breaches.push(`rel ${attribs.rel} on ${href}`);
    }
  }
  return breaches;
}

const linksOf = (html: string) => elementsOf(html).filter((e) => e.name === 'a');
const textOf = (html: string) => html.replace(/<[^>]*>/g, '');

describe('renderReadme against hostile READMEs', () => {
  it('has at least 40 payloads, each with a unique name', () => {
    expect(XSS_PAYLOADS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(XSS_PAYLOADS.map((p) => p.name)).size).toBe(XSS_PAYLOADS.length);
  });

  it('the policy check itself catches what it must', () => {
    expect(policyBreaches('<img src="https://x.example/a.png">')).not.toEqual([]);
    expect(policyBreaches('<a href="jav&#x09;ascript:alert(1)" rel="nofollow noopener noreferrer ugc">x</a>')).not.toEqual([]);
    expect(policyBreaches('<a href="docs/x.md" rel="nofollow noopener noreferrer ugc">x</a>')).not.toEqual([]);
    expect(policyBreaches('<p onclick="x">x</p>')).not.toEqual([]);
    expect(policyBreaches('<!-- x --><p>x</p>')).not.toEqual([]);
    expect(policyBreaches('<p><a href="https://x.example/" rel="nofollow noopener noreferrer ugc">x</a></p>')).toEqual([]);
  });

  it.each(XSS_PAYLOADS.map((p) => [p.name, p.markdown]))('%s', (_name, markdown) => {
    expect(policyBreaches(renderReadme(markdown))).toEqual([]);
  });

  it('keeps the visible text of a payload but no alert in a live position', () => {
    const html = renderReadme('<a href="javascript:alert(1)">click me</a>');
    expect(textOf(html)).toContain('click me');
    expect(linksOf(html)).toEqual([]);
  });

  it('never lets the author set an id, name or class', () => {
    const html = renderReadme('<h2 id="readme-usage" name="x" class="verdict ok">Forged</h2>\n\n# Usage\n\n<code class="language-js">x</code>');
    expect(elementsOf(html).filter((e) => e.attribs.id !== undefined).map((e) => e.attribs.id)).toEqual(['readme-usage']);
    expect(elementsOf(html).find((e) => e.name === 'h1')?.attribs.id).toBe('readme-usage');
    expect(html).not.toMatch(/class=|name=/);
  });
});

describe('renderReadme renders what a README needs', () => {
  it('gives headings stable, unique ids prefixed readme-', () => {
    const html = renderReadme('# Hello *World*\n\n## Usage\n\n## Usage\n\n### `config` & Options!\n\n## Über Straße\n\n## ???');
    expect(elementsOf(html).filter((e) => /^h\d$/.test(e.name)).map((e) => e.attribs.id)).toEqual([
      'readme-hello-world',
      'readme-usage',
      'readme-usage-1',
      'readme-config--options',
      'readme-über-straße',
      'readme-section',
    ]);
    expect(renderReadme('## Usage')).toBe(renderReadme('## Usage'));
  });

  it('points fragment links at the README headings', () => {
    const html = renderReadme('- [Usage](#usage)\n\n## Usage');
    expect(linksOf(html).map((a) => a.attribs.href)).toEqual(['#readme-usage']);
    expect(elementsOf(html).find((e) => e.name === 'h2')?.attribs.id).toBe('readme-usage');
  });

  it('renders GFM tables with alignment as attributes, not styles', () => {
    const html = renderReadme('| name | size |\n|:-----|-----:|\n| a | 1 |');
    expect(html).toContain('<th align="left">name</th>');
    expect(html).toContain('<td align="right">1</td>');
    expect(html).not.toContain('style');
  });

  it('renders strikethrough, emphasis and inline code', () => {
    expect(renderReadme('~~old~~ *new* **bold** `code`')).toBe('<p><s>old</s> <em>new</em> <strong>bold</strong> <code>code</code></p>\n');
  });

  it('shows entities written in code and text as written', () => {
    expect(renderReadme('```html\n&lt;div&gt; &amp;\n```\n\n`&lt;` &amp;lt;')).toBe(
      '<pre><code class="language-html">&amp;lt;div&amp;gt; &amp;amp;\n</code></pre>\n<p><code>&amp;lt;</code> &amp;lt;</p>\n',
    );
  });

  it('marks code fences with their language class only', () => {
    expect(renderReadme('```yaml\nissuer: "<x>"\n```')).toBe('<pre><code class="language-yaml">issuer: "&lt;x&gt;"\n</code></pre>\n');
    expect(renderReadme('```c++ extra words\nx\n```')).toContain('<code class="language-c++">');
    expect(renderReadme('```{weird}\nx\n```')).toContain('<pre><code>x');
  });

  it('keeps links with their text, normalized, with rel and no target', () => {
    const html = renderReadme('[the docs](<https://Example.com/a b?q=1&r=2> "Docs") <https://example.org> https://example.net/x and <me@example.com>');
    expect(linksOf(html).map((a) => a.attribs)).toEqual([
      { href: 'https://example.com/a%20b?q=1&r=2', title: 'Docs', rel: LINK_REL },
      { href: 'https://example.org/', rel: LINK_REL },
      { href: 'https://example.net/x', rel: LINK_REL },
      { href: 'mailto:me@example.com', rel: LINK_REL },
    ]);
    expect(textOf(html)).toContain('the docs');
  });

  it('drops relative and path-absolute links but keeps their text', () => {
    const html = renderReadme('[guide](docs/guide.md) [api](/api/v1/plugins) [up](../other) <a href="x.html">raw</a>');
    expect(linksOf(html)).toEqual([]);
    expect(textOf(html)).toBe('guide api up raw\n');
  });

  it('turns images into links to their source, never loading them', () => {
    const html = renderReadme('![Architecture](https://example.com/arch.png) ![](https://example.com/x.png) <img src="https://example.com/logo.svg" alt="Logo">');
    expect(elementsOf(html).some((e) => e.name === 'img')).toBe(false);
    expect(html).toBe(
      '<p><a href="https://example.com/arch.png" rel="nofollow noopener noreferrer ugc">Architecture</a> ' +
        '<a href="https://example.com/x.png" rel="nofollow noopener noreferrer ugc">image</a> ' +
        '<a href="https://example.com/logo.svg" rel="nofollow noopener noreferrer ugc">Logo</a></p>\n',
    );
  });

  it('shows an image inside a link, or with a non-http source, as its alt text', () => {
    const badge = renderReadme('[![build passing](https://ci.example/badge.svg)](https://ci.example/acme) and <a href="https://acme.example"><img src="https://acme.example/logo.png" alt="Acme"></a>');
    expect(linksOf(badge).map((a) => a.attribs.href)).toEqual(['https://ci.example/acme', 'https://acme.example/']);
    expect(textOf(badge)).toBe('build passing and Acme\n');
    const local = renderReadme('![diagram](docs/diagram.png) ![inline](data:image/png;base64,iVBORw0KGgo=)');
    expect(linksOf(local)).toEqual([]);
    expect(textOf(local)).toBe('diagram inline\n');
  });

  it('keeps harmless raw HTML: details, kbd, sup, centered paragraphs', () => {
    expect(renderReadme('<details open><summary>More</summary>\n\nPress <kbd>Ctrl</kbd>+<kbd>C</kbd><sup>1</sup>\n\n</details>')).toBe(
      '<details open><summary>More</summary>\n<p>Press <kbd>Ctrl</kbd>+<kbd>C</kbd><sup>1</sup></p>\n</details>',
    );
    expect(renderReadme('<p align="center" style="color:red">Hi</p>')).toBe('<p align="center">Hi</p>');
    expect(renderReadme('3. three\n4. four')).toContain('<ol start="3">');
  });

  it('refuses a README whose HTML would pass the limit (reference links repeating a long URL)', () => {
    const url = `https://example.com/${'a'.repeat(2000)}`;
    const readme = `[r]: ${url}\n\n${'[r] '.repeat(50_000)}`;
    expect(readme.length).toBeLessThan(256 * 1024);
    let refusal: unknown;
    try {
      renderReadme(readme);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RegistryError);
    expect((refusal as RegistryError).status).toBe(400);
    expect((refusal as RegistryError).extensions).toMatchObject({ errors: [{ field: 'body.readme' }] });
  });
});

describe('renderReadme on 256 KiB pathological READMEs', () => {
  const SIZE = 256 * 1024;
  const fill = (unit: string): string => unit.repeat(Math.floor(SIZE / unit.length));
  const PATHOLOGICAL: Record<string, string> = {
    '50,000+ opening brackets': fill('['),
    'opening brackets of images': fill('!['),
    'unclosed link destinations': fill('[a]('),
    'a run of asterisks': fill('*'),
    'alternating emphasis': fill('*a'),
    'a long emphasis chain': fill('*a **b ***c '),
    'underscore emphasis chain': fill('_a __b '),
    'backtick runs of growing length': Array.from({ length: 2000 }, (_, i) => '`'.repeat((i % 60) + 1) + 'a').join('').slice(0, SIZE),
    'nested lists on one line': fill('- + '),
    'nested ordered lists': fill('1. '),
    'deeply indented list': Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}- a`).join('\n').padEnd(SIZE, 'a'),
    'nested blockquotes': fill('>'),
    'nested blockquotes on every line': fill('> > > > > > > > > > > > > > > > a\n'),
    'deeply nested HTML': `${'<div>'.repeat(25_000)}${'a'.repeat(SIZE - 125_000)}`,
    'links nested in links': fill('<a href="https://x.example/">'),
    'images in links': fill('<a href="https://x.example/"><img src="https://x.example/i.png">'),
    'a wide table': `|${'a|'.repeat(20_000)}\n|${'-|'.repeat(20_000)}\n${'a\n'.repeat(40_000)}`,
    'bare URLs': fill('https://a.'),
    'at signs': fill('a@'),
    'less-than signs': fill('<'),
    'ampersands': fill('&'),
    'reference definitions': fill('[a]: https://x.example/\n'),
  };

  it.each(Object.entries(PATHOLOGICAL))('%s: bounded and within the policy', (name, readme) => {
    expect(readme.length).toBeLessThanOrEqual(SIZE);
    const started = performance.now();
    const html = renderReadme(readme);
    const elapsed = performance.now() - started;
    // Timing is reported, not asserted (the machine is shared); the deadline is the worker's.
    console.log(`renderReadme ${name}: ${elapsed.toFixed(0)} ms, ${html.length} characters`);
    expect(html.length).toBeLessThanOrEqual(README_HTML_LIMIT);
    expect(Math.max(0, ...elementsOf(html).map((e) => e.depth))).toBeLessThanOrEqual(101);
    expect(policyBreaches(html)).toEqual([]);
  });
});
