import { randomBytes } from 'node:crypto';
import MarkdownIt, { type Env, type Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { invalidInput } from '../../domain/index.js';

/**
 * A plugin's README, rendered for the version page. The Markdown is untrusted:
 * markdown-it renders it (CommonMark, GFM tables and strikethrough, bare URLs
 * as links, raw HTML passed through) and sanitize-html then keeps only an
 * explicit allowlist, so the raw HTML an author writes is exactly as safe as
 * the Markdown. The page's Content-Security-Policy is the second wall, not the
 * first.
 *
 * What survives:
 * - Links to http(s) and mailto only, rewritten to the URL a browser would
 *   resolve, each with rel="nofollow noopener noreferrer ugc" and no target.
 *   Relative and path-absolute links are dropped (their text stays): the page
 *   lives at /plugins/<ns>/<name>/<version>, so they would point into the
 *   registry, not into the author's repository. `#fragment` links stay and
 *   are prefixed like the heading ids, so a table of contents keeps working.
 * - Images are never loaded: each <img> becomes a link to its http(s) source
 *   whose text is its alt text (or "image"); inside a link it is only that text.
 * - Headings get ids `readme-<slug>` (deduplicated), so they never clash with
 *   the page's own ids; the author's `id`, `name` and `class` attributes are
 *   dropped (DOM clobbering, borrowing the page's styles). The only class is
 *   the renderer's own `language-*` on a code fence.
 * - No style attribute (table alignment becomes `align`), no event handler, no
 *   script, style, frame, object, form, SVG or MathML.
 */

/** Rendered HTML past this is refused: reference links let a few bytes of Markdown repeat a long URL many times. */
export const README_HTML_LIMIT = 2 * 1024 * 1024;

/** Deeper than this, elements are dropped and their text kept (markdown-it stops nesting at the same depth). */
const NESTING_LIMIT = 100;

const LINK_REL = 'nofollow noopener noreferrer ugc';
const HEADING_ID_PREFIX = 'readme-';
const SLUG_LENGTH = 64;
const FENCE_LANGUAGE = /^[A-Za-z0-9_+#.-]{1,32}$/;
const ALIGNMENTS = new Set(['left', 'center', 'right']);

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const ALLOWED_TAGS = [
  ...HEADINGS,
  'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'kbd', 'div', 'span',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'em', 'strong', 'b', 'i', 's', 'del', 'ins', 'sub', 'sup', 'mark',
  'a',
  'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td',
  'details', 'summary',
];
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title', 'rel'],
  ...Object.fromEntries(HEADINGS.map((h) => [h, ['id', 'align']])),
  code: ['class'],
  p: ['align'],
  div: ['align'],
  th: ['align'],
  td: ['align'],
  ol: ['start'],
  details: ['open'],
};
/** Disallowed elements whose content is not text for a reader: dropped with the element. */
const DROPPED_WITH_CONTENT = ['script', 'style', 'textarea', 'option', 'select', 'xmp', 'noscript', 'noembed', 'noframes', 'plaintext', 'title', 'template', 'iframe'];

/**
 * The env key of the mark on the ids and classes the renderer generates. The
 * mark is fresh for every render, so raw HTML in the README cannot forge it;
 * the sanitizer keeps an id or class only if it carries the mark, and removes it.
 */
const GENERATED_MARK = 'readmeGeneratedMark';
const generatedMarkOf = (env: Env | undefined): string => {
  const mark = env?.[GENERATED_MARK];
  if (typeof mark !== 'string') throw new Error('README rendered without its generated mark');
  return mark;
};

const markdown = new MarkdownIt('default', { html: true, linkify: true, typographer: false, maxNesting: NESTING_LIMIT });
markdown.core.ruler.push('readme_generated_attributes', (state) => {
  const mark = generatedMarkOf(state.env);
  const slugCounts = new Map<string, number>();
  for (const [index, token] of state.tokens.entries()) {
    if (token.type === 'heading_open') {
      const inline = state.tokens[index + 1];
      const text = (inline?.children ?? []).map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : '')).join('');
      token.attrSet('id', mark + HEADING_ID_PREFIX + uniqueSlug(text, slugCounts));
    } else if (token.type === 'th_open' || token.type === 'td_open') {
      // markdown-it aligns cells with a style attribute, which no README keeps.
      const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
      token.attrs = align === undefined ? null : [['align', align]];
    }
  }
});
markdown.renderer.rules.fence = (tokens, index, _options, env) => {
  const token = tokens[index]!;
  const language = markdown.utils.unescapeAll(token.info).trim().split(/\s+/)[0] ?? '';
  const languageClass = FENCE_LANGUAGE.test(language) ? ` class="${generatedMarkOf(env)}language-${markdown.utils.escapeHtml(language)}"` : '';
  return `<pre><code${languageClass}>${markdown.utils.escapeHtml(token.content)}</code></pre>\n`;
};

/** The README as sanitized HTML; a README that would render past README_HTML_LIMIT is refused (400, `body.readme`). */
export function renderReadme(readme: string): string {
  const generatedMark = `g${randomBytes(16).toString('hex')}-`;
  const env: Env = { [GENERATED_MARK]: generatedMark };
  const tokens = markdown.parse(readme, env);
  // Measured before rendering, so an amplifying README is refused before it costs anything.
  if (renderedLengthAtLeast(tokens, generatedMark.length) > README_HTML_LIMIT) throw tooLarge();
  const html = sanitize(markdown.renderer.render(tokens, markdown.options, env), generatedMark);
  if (html.length > README_HTML_LIMIT) throw tooLarge();
  return html;
}

const tooLarge = () =>
  invalidInput([{ field: 'body.readme', message: `would render to more than ${README_HTML_LIMIT / 1024 / 1024} MiB of HTML (reference links repeating a long URL, or tens of thousands of headings or table cells); shorten it` }]);

/** A lower bound of the rendered length: the text and attribute values (less the generated mark) that every token writes. */
function renderedLengthAtLeast(tokens: readonly Token[], markLength: number): number {
  let length = 0;
  for (const token of tokens) {
    length += token.content.length;
    for (const [name, value] of token.attrs ?? []) length += String(value).length - (name === 'id' ? markLength : 0);
    if (token.children !== null) length += renderedLengthAtLeast(token.children, markLength);
  }
  return length;
}

/** GitHub's heading slug (lower case, punctuation dropped, spaces to dashes), bounded, with -1, -2… for repeats. */
function uniqueSlug(text: string, counts: Map<string, number>): string {
  const slug =
    text
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
      .slice(0, SLUG_LENGTH) || 'section';
  let candidate = slug;
  let repeats = counts.get(slug);
  if (repeats !== undefined) {
    do candidate = `${slug}-${++repeats}`;
    while (counts.has(candidate));
    counts.set(slug, repeats);
  }
  counts.set(candidate, 0);
  return candidate;
}

function sanitize(html: string, generatedMark: string): string {
  const generated = (value: string | undefined): string | null => (value?.startsWith(generatedMark) ? value.slice(generatedMark.length) : null);
  const alignOnly = (tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => ({
    tagName,
    attribs: ALIGNMENTS.has(attribs.align?.trim().toLowerCase() ?? '') ? { align: attribs.align!.trim().toLowerCase() } : {},
  });
  // An image inside a link becomes the link's text, not a link within a link.
  let openLinks = 0;

  return sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    disallowedTagsMode: 'discard',
    nonTextTags: DROPPED_WITH_CONTENT,
    nestingLimit: NESTING_LIMIT,
    // Belt and braces: the transforms below already keep only these.
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'action', 'formaction', 'srcset', 'poster', 'background'],
    allowProtocolRelative: false,
    onOpenTag: (name) => {
      if (name === 'a') openLinks++;
    },
    onCloseTag: (name) => {
      if (name === 'a' && openLinks > 0) openLinks--;
    },
    transformTags: {
      a: (_tagName, attribs) => {
        const href = attribs.href === undefined ? null : linkDestination(attribs.href);
        if (href === null) return { tagName: 'span', attribs: {} };
        return { tagName: 'a', attribs: { href, ...(attribs.title ? { title: attribs.title } : {}), rel: LINK_REL } };
      },
      img: (_tagName, attribs) => {
        const text = attribs.alt?.trim() || 'image';
        const href = openLinks > 0 || attribs.src === undefined ? null : imageDestination(attribs.src);
        if (href === null) return { tagName: 'span', attribs: {}, text };
        return { tagName: 'a', attribs: { href, ...(attribs.title ? { title: attribs.title } : {}), rel: LINK_REL }, text };
      },
      ...Object.fromEntries(
        HEADINGS.map((heading) => [
          heading,
          (tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
            const id = generated(attribs.id);
            const aligned = alignOnly(tagName, attribs);
            return id === null ? aligned : { tagName, attribs: { id, ...aligned.attribs } };
          },
        ]),
      ),
      code: (tagName, attribs): sanitizeHtml.Tag => {
        const languageClass = generated(attribs.class);
        return { tagName, attribs: languageClass === null ? {} : { class: languageClass } };
      },
      p: alignOnly,
      div: alignOnly,
      th: alignOnly,
      td: alignOnly,
      ol: (tagName, attribs): sanitizeHtml.Tag => ({ tagName, attribs: /^\d{1,9}$/.test(attribs.start ?? '') ? { start: attribs.start! } : {} }),
      details: (tagName, attribs): sanitizeHtml.Tag => ({ tagName, attribs: attribs.open === undefined ? {} : { open: '' } }),
    },
  });
}

/**
 * Where a link may lead, as the URL a browser would follow: an absolute
 * http(s) or mailto URL (normalized by the WHATWG parser, so what is checked
 * is what is written), or a fragment pointing at a README heading. Null for
 * anything else, including every relative link.
 */
export function linkDestination(href: string): string | null {
  // What the URL parser ignores: leading and trailing C0 controls and spaces, tabs and newlines anywhere.
  const trimmed = href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
  if (trimmed.startsWith('#')) return trimmed.length > 1 ? `#${HEADING_ID_PREFIX}${trimmed.slice(1)}` : null;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol === 'mailto:') return url.href;
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return url.href;
  return null;
}

/** An image's source as a link: absolute http(s) only. */
function imageDestination(src: string): string | null {
  const href = linkDestination(src);
  return href !== null && /^https?:/.test(href) ? href : null;
}
