/**
 * What the pages' Content-Security-Policy (libs/http/src/security-headers.ts)
 * would block: inline styles and scripts, event handler attributes and
 * javascript: URLs. Chromium checks the pages the e2e tests reach; this checks
 * every rendered state, reachable or not, in milliseconds.
 */
export function inlineCode(html: string): string[] {
  const found: string[] = [];
  for (const [tag] of html.matchAll(/<[a-zA-Z][^>]*>/g)) {
    if (/^<style[\s>]/i.test(tag)) found.push(tag);
    else if (/^<script(?![^>]*\ssrc=)/i.test(tag)) found.push(tag);
    else if (/\s(style|on[a-z]+)\s*=/i.test(tag)) found.push(tag);
    else if (/\s(href|src|action|formaction)\s*=\s*["']?\s*javascript:/i.test(tag)) found.push(tag);
  }
  return found;
}
