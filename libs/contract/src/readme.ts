import { randomBytes } from 'node:crypto';
import MarkdownIt, { type Env, type StateCore, type Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { invalidInput } from '../../domain/index.js';
import { CONTRACT_LIMITS } from './contract-limits.js';

/**
 * A plugin README is untrusted. markdown-it renders it (raw HTML allowed, since
 * everything it produces then goes through sanitize-html under the allowlist
 * below); nothing in the result runs script, loads a resource or names a DOM
 * property the page could confuse with its own.
 */

/** Every link a README makes: no ranking credit, no window.opener, no Referer. */
export const README_LINK_REL = 'nofollow noopener noreferrer ugc';

/** Prefix of every id in a rendered README, so none collides with the page's own. */
export const README_ID_PREFIX = 'readme-';

const ALLOWED_TAGS = [
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code',
  'em', 'strong', 'del', 's', 'b', 'i', 'kbd', 'sub', 'sup', 'a',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
  'details', 'summary', 'span',
];
const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const LINK_SCHEMES = ['http', 'https', 'mailto'];
const IMAGE_SCHEMES = ['http', 'https'];
const LANGUAGE_CLASS = /^language-[A-Za-z0-9_+#.-]{1,32}$/;
const SLUG_LENGTH = 64;
/**
 * Inline HTML tags kept per README; later ones show as text. Thousands of
 * unclosed tags (`<b><b>…`) make the HTML parser's element stack deep and
 * slow; a real README has a few dozen.
 */
const INLINE_HTML_TAGS = 2_000;
/**
 * What a dropped link or image becomes: its text in a bare span. (Transforming
 * to a disallowed tag instead would leave sanitize-html 2.18 renaming a later
 * closing tag at the same depth.)
 */
const TEXT_ONLY = 'span';

type Attributes = Record<string, string>;
const MARKER = Symbol('readme marker');

function markerOf(env: Env | undefined): string {
  const marker = env?.[MARKER];
  if (typeof marker !== 'string') throw new Error('renderReadme: rendering without a marker');
  return marker;
}

const markdown = new MarkdownIt('commonmark', { html: true, linkify: true })
  .enable(['table', 'strikethrough', 'linkify']);
markdown.core.ruler.push('readme_headings_and_tables', markTokens);
markdown.renderer.rules.fence = (tokens, idx, _options, env) => {
  const token = tokens[idx]!;
  const language = `language-${token.info.trim().split(/\s/, 1)[0]}`;
  const languageClass = LANGUAGE_CLASS.test(language) ? ` class="${markerOf(env)}${language}"` : '';
  return `<pre><code${languageClass}>${markdown.utils.escapeHtml(token.content)}</code></pre>\n`;
};

/**
 * The README as sanitized HTML for the version page. A README whose HTML would
 * pass CONTRACT_LIMITS.readmeHtmlBytes is refused (400, `body.readme`): a
 * reference link repeats its URL wherever it is used, so 240 KiB of Markdown
 * can ask for 40 MB of HTML.
 */
export function renderReadme(readme: string): string {
  // Heading ids and code classes are ours only when they carry this marker: the
  // author cannot guess it, so an id or class written in raw HTML never survives.
  const marker = `m${randomBytes(12).toString('hex')}-`;
  const env = { [MARKER]: marker };
  const tokens = markdown.parse(readme, env);
  // Counted before rendering, so an amplifying README costs no more than its parse.
  if (textLengthOf(tokens, marker.length) > CONTRACT_LIMITS.readmeHtmlBytes) throw renderedTooLarge();
  const html = sanitizeHtml(markdown.renderer.render(tokens, markdown.options, env), sanitizerOptions(marker));
  if (Buffer.byteLength(html, 'utf8') > CONTRACT_LIMITS.readmeHtmlBytes) throw renderedTooLarge();
  return html;
}

const renderedTooLarge = () =>
  invalidInput([
    {
      field: 'body.readme',
      message: `would render to more than ${CONTRACT_LIMITS.readmeHtmlBytes / 1024 / 1024} MiB of HTML (a reference link used thousands of times, or tens of thousands of headings or table cells); shorten it`,
    },
  ]);

/** Characters the rendered HTML holds at least: every token's text and attribute values (less our marker), each written once. */
function textLengthOf(tokens: readonly Token[], markerLength: number): number {
  let length = 0;
  for (const token of tokens) {
    length += token.content.length;
    for (const [name, value] of token.attrs ?? []) length += String(value).length - (name === 'id' ? markerLength : 0);
    if (token.children !== null) length += textLengthOf(token.children, markerLength);
  }
  return length;
}

/** Gives each Markdown heading a unique id, table alignment as `align` (style attributes are never kept), and bounds inline HTML. */
function markTokens(state: StateCore): void {
  const marker = markerOf(state.env);
  const ids = new HeadingIds();
  let inlineHtmlTags = 0;
  state.tokens.forEach((token, i) => {
    for (const child of token.children ?? []) {
      if (child.type === 'html_inline' && ++inlineHtmlTags > INLINE_HTML_TAGS) child.type = 'text';
    }
    if (token.type === 'heading_open') {
      const text = (state.tokens[i + 1]?.children ?? [])
        .filter((child) => child.type === 'text' || child.type === 'code_inline')
        .map((child) => child.content)
        .join('');
      token.attrSet('id', `${marker}${ids.claim(slugOf(text) || 'section')}`);
    }
    if (token.type === 'th_open' || token.type === 'td_open') {
      const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
      token.attrs = align === undefined ? null : [['align', align]];
    }
  });
}

class HeadingIds {
  private readonly taken = new Set<string>();
  private readonly lastSuffix = new Map<string, number>();

  claim(slug: string): string {
    let suffix = this.lastSuffix.get(slug) ?? 0;
    let id = suffix === 0 ? slug : `${slug}-${suffix}`;
    while (this.taken.has(id)) {
      suffix += 1;
      id = `${slug}-${suffix}`;
    }
    this.lastSuffix.set(slug, suffix);
    this.taken.add(id);
    return `${README_ID_PREFIX}${id}`;
  }
}

/** GitHub's way: lower case, punctuation dropped, each space a hyphen; so `#fragment` links written for GitHub still land. */
function slugOf(text: string): string {
  return text
    .slice(0, SLUG_LENGTH * 4)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/gu, '-')
    .slice(0, SLUG_LENGTH);
}

/** What a URL means to a browser for our purposes: its scheme once entities are decoded (the parser did that) and whitespace and controls removed. */
function compactUrl(url: string): string {
  return url.replace(/[\p{Cc}\p{Cf}\p{Z}\s]/gu, '');
}

function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
}

/**
 * Where a README link may point: an absolute http, https or mailto URL, or a
 * `#fragment`, rewritten to the id our heading slugs give (`#usage` → `#readme-usage`).
 * Any other relative link (`./docs/x.md`, `/path`, `//host`) would resolve
 * against the registry's own pages, not the author's repository, so it is
 * dropped and its text kept.
 */
function linkTarget(href: string | undefined): string | null {
  if (href === undefined) return null;
  const url = compactUrl(href);
  if (url.startsWith('#')) {
    let fragment = url.slice(1);
    try {
      fragment = decodeURIComponent(fragment);
    } catch {
      // A malformed escape: slug the text as written.
    }
    const slug = slugOf(fragment);
    return slug === '' ? null : `#${README_ID_PREFIX}${slug}`;
  }
  const scheme = schemeOf(url);
  if (scheme === undefined || !LINK_SCHEMES.includes(scheme)) return null;
  return scheme === 'mailto' || namesItsHost(url) ? url : null;
}

function imageSource(src: string | undefined): string | null {
  const url = compactUrl(src ?? '');
  const scheme = schemeOf(url);
  return scheme !== undefined && IMAGE_SCHEMES.includes(scheme) && namesItsHost(url) ? url : null;
}

/**
 * An http(s) URL that names a host of its own. `https:/api/v1/tokens` or
 * `http:x` is relative to a page of the same scheme, so it would lead into the
 * registry while looking like an external link.
 */
function namesItsHost(url: string): boolean {
  if (!/^[a-z]+:[\\/]{2}/i.test(url)) return false;
  try {
    return new URL(url).hostname !== '';
  } catch {
    return false;
  }
}

function sanitizerOptions(marker: string): sanitizeHtml.IOptions {
  // Kept links that are open where an image starts: a link inside a link would
  // break the outer one (a badge `[![build](svg)](ci)`), so such an image is only its alt text.
  const openLinks: boolean[] = [];
  let keptLinksOpen = 0;

  const ourAttribute = (attribs: Attributes, name: string): Attributes => {
    const value = attribs[name];
    return value?.startsWith(marker) ? { [name]: value.slice(marker.length) } : {};
  };
  const headings = Object.fromEntries(
    HEADINGS.map((tag) => [tag, (tagName: string, attribs: Attributes) => ({ tagName, attribs: ourAttribute(attribs, 'id') })]),
  );

  return {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      ...Object.fromEntries(HEADINGS.map((tag) => [tag, ['id']])),
      code: ['class'],
      ol: ['start'],
      th: [{ name: 'align', multiple: false, values: ['left', 'center', 'right'] }],
      td: [{ name: 'align', multiple: false, values: ['left', 'center', 'right'] }],
    },
    allowedClasses: { code: [LANGUAGE_CLASS] },
    allowedSchemes: LINK_SCHEMES,
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    disallowedTagsMode: 'discard',
    // Dropped with their content, not only their tags.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'template', 'xmp', 'noembed', 'noframes', 'iframe', 'select'],
    onOpenTag: (name, attribs) => {
      if (name !== 'a') return;
      const kept = linkTarget(attribs.href) !== null;
      openLinks.push(kept);
      if (kept) keptLinksOpen += 1;
    },
    onCloseTag: (name) => {
      if (name === 'a' && openLinks.pop() === true) keptLinksOpen -= 1;
    },
    transformTags: {
      ...headings,
      code: (tagName, attribs) => ({ tagName, attribs: ourAttribute(attribs, 'class') }),
      a: (_tagName, attribs) => {
        const href = linkTarget(attribs.href);
        if (href === null) return { tagName: TEXT_ONLY, attribs: {} };
        const kept: Attributes = { href, rel: README_LINK_REL };
        if (attribs.title !== undefined) kept.title = attribs.title;
        return { tagName: 'a', attribs: kept };
      },
      // Images are never loaded by the page: each becomes a link to its source.
      img: (_tagName, attribs) => {
        const alt = attribs.alt?.trim() ?? '';
        const src = imageSource(attribs.src);
        if (src === null || keptLinksOpen > 0) return { tagName: TEXT_ONLY, attribs: {} as Attributes, text: alt };
        return { tagName: 'a', attribs: { href: src, rel: README_LINK_REL } as Attributes, text: alt || 'image' };
      },
    },
  };
}
