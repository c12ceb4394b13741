// PLACEHOLDER on branch c13-core: the readme helper's readme.ts (markdown-it + sanitize-html) replaces this file at merge.
// Until then the README is shown as escaped text, which is safe and needs no renderer.

/** The README as sanitized HTML for the version page. */
export function renderReadme(markdown: string): string {
  const escaped = markdown.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<pre>${escaped}</pre>`;
}
