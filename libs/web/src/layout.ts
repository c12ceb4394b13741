import { SCRIPT_PATH, STYLESHEET_PATH } from './assets.js';
import { html, type Html } from './html.js';

export interface PageOptions {
  title: string;
  /** The search box's value. */
  query?: string;
  description?: string;
}

/** Every page: one <title>, a header with the search form (a real GET form: works without JavaScript), the body. */
export function layout(options: PageOptions, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Wasm plugin registry</title>
<meta name="description" content="${options.description ?? 'Find, judge and pin WebAssembly plugins for Envoy, Istio and other Proxy-Wasm hosts.'}">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
<header class="site">
  <a class="brand" href="/">Wasm plugin registry</a>
  <form class="search" role="search" action="/search" method="get">
    <label for="site-search" class="visually-hidden">Search plugins</label>
    <input id="site-search" type="search" name="q" value="${options.query ?? ''}" placeholder="Search plugins: jwt, rate limit, tracing…">
    <button type="submit">Search</button>
  </form>
  <nav aria-label="Site"><a href="/search">Browse</a> · <a href="/scan">Scan</a> · <a href="/api/openapi.json">API</a></nav>
</header>
<main>
${body}
</main>
<footer class="site">Modules are content-addressed by SHA-256, analysed, signed with Sigstore and described by a CycloneDX SBOM. Pull by digest or over OCI at <code>/v2</code>.</footer>
</body>
</html>`.value;
}

/** A copy button next to the element with `id`; hidden until the script shows it. */
export function copyButton(id: string, label: string): Html {
  return html`<button type="button" class="secondary" data-copy="${id}" aria-label="${label}" hidden>Copy</button>`;
}
