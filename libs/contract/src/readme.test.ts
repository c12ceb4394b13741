import { performance } from 'node:perf_hooks';
import { parseDocument } from 'htmlparser2';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { XSS_PAYLOADS } from '../test/xss-payloads.js';
import { README_LINK_REL, renderReadme } from './readme.js';

// The test keeps its own allowlist so that widening the renderer's is a visible decision.
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  h1: ['id'], h2: ['id'], h3: ['id'], h4: ['id'], h5: ['id'], h6: ['id'],
  p: [], br: [], hr: [], blockquote: [], pre: [], code: ['class'],
  em: [], strong: [], del: [], s: [], b: [], i: [], kbd: [], sub: [], sup: [], span: [],
  a: ['href', 'rel', 'title'],
  ul: [], ol: ['start'], li: [], dl: [], dt: [], dd: [],
  table: [], thead: [], tbody: [], tr: [], th: ['align'], td: ['align'],
  details: [], summary: [],
};
const URL_ATTRIBUTES = ['href', 'src', 'srcset', 'action', 'formaction', 'data', 'poster', 'background', 'cite', 'xlink:href'];

interface RenderedElement { name: string; attributes: Record<string, string>; text: string }

/** Every element of the rendered HTML, as a browser-like parser (htmlparser2, entities decoded) sees it. */
function elementsOf(html: string, withText = true): RenderedElement[] {
  const elements: RenderedElement[] = [];
  // Walked with an explicit stack: a hostile README may nest deeper than the call stack.
  const pending = [...parseDocument(html).children].reverse();
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === 'tag' || node.type === 'script' || node.type === 'style') {
      elements.push({ name: node.name, attributes: node.attribs, text: withText ? textOf(node.children) : '' });
    }
    if ('children' in node) pending.push(...[...node.children].reverse());
  }
  return elements;
}

function textOf(nodes: ReturnType<typeof parseDocument>['children']): string {
  let text = '';
  const pending = [...nodes].reverse();
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === 'text') text += node.data;
    if ('children' in node) pending.push(...[...node.children].reverse());
  }
  return text;
}

/** A URL's scheme as a browser finds it: whitespace and control characters do not hide one. */
function schemeOf(url: string): string | null {
  const compact = url.replace(/[\p{Cc}\p{Cf}\p{Z}\s]/gu, '');
  return /^([a-z][a-z0-9+.-]*):/i.exec(compact)?.[1]?.toLowerCase() ?? null;
}

/** What is wrong with rendered README HTML; empty when nothing is. */
function unsafePartsOf(html: string): string[] {
  const problems: string[] = [];
  for (const { name, attributes } of elementsOf(html, false)) {
    const allowed = ALLOWED_ATTRIBUTES[name];
    if (allowed === undefined) {
      problems.push(`element <${name}> is not allowed`);
      continue;
    }
    for (const [attribute, value] of Object.entries(attributes)) {
      if (/^on/i.test(attribute)) problems.push(`<${name} ${attribute}>: event handler`);
      else if (!allowed.includes(attribute)) problems.push(`<${name} ${attribute}>: attribute not allowed`);
      if (URL_ATTRIBUTES.includes(attribute)) {
        const scheme = schemeOf(value);
        const fragment = scheme === null && /^#readme-/.test(value);
        if (!fragment && !['http', 'https', 'mailto'].includes(scheme ?? '')) {
          problems.push(`<${name} ${attribute}="${value}">: only http, https, mailto or #readme- fragments`);
        }
      }
      if (attribute === 'id' && !value.startsWith('readme-')) problems.push(`<${name} id="${value}">: id without the readme- prefix`);
      if (attribute === 'class' && !/^language-[\w+#.-]+$/.test(value)) problems.push(`<${name} class="${value}">: class other than one language-*`);
    }
    if (name === 'a' && attributes.rel !== README_LINK_REL) problems.push(`<a rel="${attributes.rel}">: rel must be "${README_LINK_REL}"`);
  }
  return problems;
}

const linksOf = (html: string) => elementsOf(html).filter((e) => e.name === 'a');

describe('renderReadme: hostile READMEs', () => {
  it('has at least 40 payloads, each with its own name', () => {
    expect(XSS_PAYLOADS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(XSS_PAYLOADS.map((p) => p.name)).size).toBe(XSS_PAYLOADS.length);
  });

  it.each(XSS_PAYLOADS)('$name: only allowlisted elements and attributes, no handler, no unsafe URL, no img', ({ markdown }) => {
    const html = renderReadme(markdown);
    expect(unsafePartsOf(html)).toEqual([]);
    // The same payload inside a README with real content around it.
    expect(unsafePartsOf(renderReadme(`# Title\n\nSome text.\n\n${markdown}\n\n- item ${markdown}\n\n> ${markdown}\n`))).toEqual([]);
  });

  it('the checker itself catches what the renderer must never emit', () => {
    expect(unsafePartsOf('<img src="https://x.example/a.png">')).toEqual(['element <img> is not allowed']);
    expect(unsafePartsOf('<p onclick="x">a</p>')).toEqual(['<p onclick>: event handler']);
    expect(unsafePartsOf(`<a href="jav&#x09;ascript:alert(1)" rel="${README_LINK_REL}">a</a>`)).toHaveLength(1);
    expect(unsafePartsOf(`<a href="./x.md" rel="${README_LINK_REL}">a</a>`)).toHaveLength(1);
    expect(unsafePartsOf('<h2 id="config">a</h2>')).toHaveLength(1);
    expect(unsafePartsOf('<code class="evil">a</code>')).toHaveLength(1);
    expect(unsafePartsOf('<a href="https://x.example">a</a>')).toHaveLength(1);
  });

  it('keeps the text of a dropped link or element, escaped', () => {
    const html = renderReadme('<a href="javascript:alert(1)">click me</a> and <x-widget>inner</x-widget>');
    expect(linksOf(html)).toEqual([]);
    expect(elementsOf(html).find((e) => e.name === 'p')?.text).toBe('click me and inner');
  });

  it('drops script and style content entirely', () => {
    const html = renderReadme('before <script>alert("s")</script><style>p{color:red}</style> after');
    expect(html).not.toContain('alert');
    expect(html).not.toContain('color:red');
    expect(html).toContain('before');
  });
});

describe('renderReadme: what a README author gets', () => {
  it('gives headings unique readme-<slug> ids, and points #fragment links at them', () => {
    const html = renderReadme('# Install\n\n## Install\n\n## Usage & `config`\n\n## !!!\n\nSee [usage](#usage--config) and [the second](#install-1).');
    const headings = elementsOf(html).filter((e) => /^h\d$/.test(e.name)).map((e) => [e.name, e.attributes.id, e.text]);
    expect(headings).toEqual([
      ['h1', 'readme-install', 'Install'],
      ['h2', 'readme-install-1', 'Install'],
      ['h2', 'readme-usage--config', 'Usage & config'],
      ['h2', 'readme-section', '!!!'],
    ]);
    expect(linksOf(html).map((a) => [a.attributes.href, a.text])).toEqual([
      ['#readme-usage--config', 'usage'],
      ['#readme-install-1', 'the second'],
    ]);
  });

  it('never keeps an id the author wrote, even one with our prefix', () => {
    const html = renderReadme('<h2 id="readme-install">Raw</h2>\n\n# Install\n');
    const ids = elementsOf(html).flatMap((e) => (e.attributes.id === undefined ? [] : [e.attributes.id]));
    expect(ids).toEqual(['readme-install']);
    expect(elementsOf(html).find((e) => e.name === 'h1')?.attributes.id).toBe('readme-install');
  });

  it('keeps ids unique across many headings with the same text', () => {
    const html = renderReadme('# a\n\n# a-1\n\n'.repeat(200) + '# a\n');
    const ids = elementsOf(html).map((e) => e.attributes.id).filter((id) => id !== undefined);
    expect(ids).toHaveLength(401);
    expect(new Set(ids).size).toBe(401);
  });

  it('renders a table, with column alignment as align attributes', () => {
    const html = renderReadme('| name | size |\n|:-----|-----:|\n| jwt-auth | ~~12~~ 10 KiB |\n');
    const cells = elementsOf(html).filter((e) => e.name === 'th' || e.name === 'td').map((e) => [e.name, e.attributes.align, e.text]);
    expect(cells).toEqual([
      ['th', 'left', 'name'],
      ['th', 'right', 'size'],
      ['td', 'left', 'jwt-auth'],
      ['td', 'right', '12 10 KiB'],
    ]);
    expect(elementsOf(html).map((e) => e.name)).toEqual(expect.arrayContaining(['table', 'thead', 'tbody', 's']));
  });

  it('renders a fenced code block with its language class, escaped; classes the author wrote are dropped', () => {
    const html = renderReadme('```rust title="x"\nlet x = "<b>";\n```\n\n<code class="language-js">y</code>\n');
    const codes = elementsOf(html).filter((e) => e.name === 'code').map((e) => [e.attributes.class, e.text]);
    expect(codes).toEqual([
      ['language-rust', 'let x = "<b>";\n'],
      [undefined, 'y'],
    ]);
  });

  it('keeps link text and http, https and mailto targets, each with rel', () => {
    const html = renderReadme('[the spec](https://spec.example/a "Spec") <http://plain.example> <me@mail.example> [mail](mailto:a@b.example)');
    expect(linksOf(html).map((a) => [a.attributes.href, a.text, a.attributes.rel])).toEqual([
      ['https://spec.example/a', 'the spec', README_LINK_REL],
      ['http://plain.example', 'http://plain.example', README_LINK_REL],
      ['mailto:me@mail.example', 'me@mail.example', README_LINK_REL],
      ['mailto:a@b.example', 'mail', README_LINK_REL],
    ]);
    expect(linksOf(html)[0]!.attributes.title).toBe('Spec');
  });

  it('turns relative links into their text: they would resolve against the registry, not the repository', () => {
    const html = renderReadme('[docs](./docs/a.md), [root](/x), [host](//evil.example)');
    expect(linksOf(html)).toEqual([]);
    expect(elementsOf(html).find((e) => e.name === 'p')?.text).toBe('docs, root, host');
  });

  it('never loads an image: http(s) images become links named by their alt text, others only their alt text', () => {
    const html = renderReadme([
      '![diagram](https://img.example/d.png)',
      '![](https://img.example/blank.png)',
      '<img src="http://img.example/h.png" alt="html image">',
      '![local](./d.png)',
      '![inline](data:image/png;base64,iVBORw0KGgo=)',
    ].join(' '));
    expect(elementsOf(html).filter((e) => e.name === 'img')).toEqual([]);
    expect(linksOf(html).map((a) => [a.attributes.href, a.text])).toEqual([
      ['https://img.example/d.png', 'diagram'],
      ['https://img.example/blank.png', 'image'],
      ['http://img.example/h.png', 'html image'],
    ]);
    expect(elementsOf(html).find((e) => e.name === 'p')?.text).toContain('local inline');
  });

  it('drops http(s) links and images that name no host: on a page of the same scheme they resolve into the registry', () => {
    const html = renderReadme('[tokens](https:/api/v1/tokens) [x](http:evil.example) ![i](https:/i.png) [ok](https://ok.example/p) <a href="https:\\\\back.example">back</a>');
    expect(linksOf(html).map((a) => [a.attributes.href, a.text])).toEqual([
      ['https://ok.example/p', 'ok'],
      ['https:\\\\back.example', 'back'],
    ]);
    expect(elementsOf(html).find((e) => e.name === 'p')?.text).toBe('tokens x i ok back');
  });

  it('refuses a README whose HTML would pass 2 MiB (one reference link used thousands of times), naming body.readme', () => {
    const readme = `[r]: https://example.com/${'a'.repeat(600)}\n\n${'[r] '.repeat(60_000)}`;
    expect(readme.length).toBeLessThanOrEqual(README_BYTES);
    let refusal: unknown;
    try {
      renderReadme(readme);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RegistryError);
    expect((refusal as RegistryError).status).toBe(400);
    expect((refusal as RegistryError).extensions.errors).toEqual([{ field: 'body.readme', message: expect.stringContaining('more than 2 MiB of HTML') }]);
    expect(Buffer.byteLength(renderReadme(`[r]: https://example.com/${'a'.repeat(600)}\n\n${'[r] '.repeat(1_000)}`))).toBeLessThan(2 * 1024 * 1024);
  });

  it('turns a badge (an image inside a link) into the link with the alt text, not a link inside a link', () => {
    const html = renderReadme('[![build passing](https://ci.example/badge.svg)](https://ci.example/job) after');
    expect(linksOf(html).map((a) => [a.attributes.href, a.text])).toEqual([['https://ci.example/job', 'build passing']]);
    expect(elementsOf(html).find((e) => e.name === 'p')?.text).toBe('build passing after');
  });
});

/** 256 KiB of one pattern: the largest README a publisher may send. */
const README_BYTES = 256 * 1024;
const filled = (unit: string, prefix = ''): string => prefix + unit.repeat(Math.floor((README_BYTES - prefix.length) / unit.length));

const PATHOLOGICAL: { name: string; markdown: string }[] = [
  { name: 'nested lists on one line', markdown: filled('- ') },
  { name: 'nested lists, indented', markdown: Array.from({ length: 700 }, (_, i) => `${' '.repeat(i * 2)}- x`).join('\n').slice(0, README_BYTES) },
  { name: 'nested ordered lists', markdown: filled('1. ') },
  { name: 'nested blockquotes', markdown: filled('>') },
  { name: 'nested blockquotes with spaces', markdown: filled('> ') },
  { name: '50,000 [ then text', markdown: '['.repeat(50_000) + filled('a', '') .slice(50_000) },
  { name: '[ only', markdown: filled('[') },
  { name: '* only', markdown: filled('*') },
  { name: '50,000 * then text', markdown: '*'.repeat(50_000) + 'a'.repeat(README_BYTES - 50_000) },
  { name: 'unclosed link labels with text', markdown: filled('[a ') },
  { name: 'unclosed link destinations', markdown: filled('[a](b ') },
  { name: 'nested link brackets', markdown: '['.repeat(131_000) + 'a' + ']'.repeat(131_000) + '(b)' },
  { name: 'unclosed images', markdown: filled('![a](') },
  { name: 'emphasis chain *a **a', markdown: filled('*a **a ') },
  { name: 'emphasis chain _a __a', markdown: filled('_a __a ') },
  { name: 'emphasis openers only', markdown: filled('*a ') },
  { name: 'alternating *_', markdown: filled('*_') },
  { name: 'strikethrough chain', markdown: filled('~~a ') },
  { name: 'backticks of growing length', markdown: Array.from({ length: 700 }, (_, i) => '`'.repeat(i + 1) + 'a').join(' ').slice(0, README_BYTES) },
  { name: 'unclosed HTML tags', markdown: filled('<b>') },
  { name: 'unclosed HTML divs', markdown: filled('<div>') },
  { name: 'unclosed links in HTML', markdown: filled('<a href="https://x.example/">') },
  { name: 'HTML images', markdown: filled('<img src="https://i.example/x.png" alt="y">') },
  { name: 'unclosed comments', markdown: filled('<!-- ') },
  { name: 'unclosed attributes', markdown: filled('<a href="') },
  { name: 'table with many cells auto-completed', markdown: `${'|a'.repeat(1000)}|\n${'|-'.repeat(1000)}|\n${filled('|\n', '').slice(0, README_BYTES - 8004)}` },
  { name: 'many headings with the same text', markdown: filled('# a\n') },
  { name: 'one enormous heading', markdown: filled('a', '# ') },
  { name: 'many fragment links', markdown: filled('[x](#Some-Heading) ') },
  { name: 'linkified URLs', markdown: filled('https://a.example/x ') },
  { name: 'one enormous URL', markdown: filled('a', 'https://a.example/') },
  { name: 'many reference definitions', markdown: Array.from({ length: 12_000 }, (_, i) => `[r${i}]: https://a.example/${i}`).join('\n').slice(0, README_BYTES) },
  { name: 'entities', markdown: filled('&#x6A;&amp;') },
];

describe('renderReadme: a pathological README renders quickly', () => {
  const times: string[] = [];
  afterAll(() => {
    console.log(`renderReadme on 256 KiB pathological READMEs (ms):\n${times.join('\n')}`);
  });

  it.each(PATHOLOGICAL)('$name', ({ name, markdown }) => {
    expect(markdown.length).toBeGreaterThan(README_BYTES * 0.9);
    expect(markdown.length).toBeLessThanOrEqual(README_BYTES);
    const started = performance.now();
    const html = renderReadme(markdown);
    times.push(`${(performance.now() - started).toFixed(0).padStart(6)}  ${name}  (${(html.length / 1024).toFixed(0)} KiB out)`);
    // Some render to (nearly) nothing: markdown-it stops nesting at 20 levels, and tags or comments alone have no text.
    expect(unsafePartsOf(html)).toEqual([]);
  });
});
