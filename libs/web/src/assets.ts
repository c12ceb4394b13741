import { createHash } from 'node:crypto';

/** The whole stylesheet: small enough to need no build step. */
export const STYLESHEET = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d9dee4;--bg:#fff;--soft:#f5f7f9;--accent:#0b5cad;--ok:#1a7f37;--warn:#9a6700;--bad:#c62828;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}body{margin:0;line-height:1.5}a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #7fb2ea;outline-offset:2px}
header.site{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header.site .brand{font-weight:700;text-decoration:none;color:var(--fg);margin-right:auto}
form.search{display:flex;gap:.5rem;flex:1 1 20rem;max-width:40rem}form.search input[type=search]{flex:1;min-width:0;padding:.5rem .6rem;border:1px solid var(--line);border-radius:6px;font:inherit}
button,.button{padding:.45rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:6px;font:inherit;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:var(--accent)}
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr))}
.card{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;background:#fff}
.card h3{margin:0 0 .25rem;font-size:1.05rem}.muted{color:var(--muted)}.small{font-size:.875rem}
ul.plain{list-style:none;padding:0;margin:0}ul.results>li{border-bottom:1px solid var(--line);padding:.75rem 0}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.75rem;border:1px solid var(--line);background:var(--soft);margin-right:.25rem;white-space:nowrap}
.badge.ok{color:var(--ok);border-color:var(--ok)}.badge.warn{color:var(--warn);border-color:var(--warn)}.badge.bad{color:var(--bad);border-color:var(--bad)}
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.875rem;color:var(--muted)}
.layout{display:grid;gap:1.5rem;grid-template-columns:15rem 1fr}.layout.halves{grid-template-columns:1fr 1fr}@media (max-width:48rem){.layout,.layout.halves{grid-template-columns:1fr}}
fieldset{border:1px solid var(--line);border-radius:8px;margin:0 0 .75rem;padding:.5rem .75rem}label{display:block;font-size:.875rem;margin:.25rem 0}
select,input[type=text]{width:100%;padding:.35rem;border:1px solid var(--line);border-radius:6px;font:inherit}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow:auto;max-height:28rem}
.copyable{display:flex;gap:.5rem;align-items:flex-start}.copyable code,.copyable pre{flex:1;min-width:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.875rem}th,td{text-align:left;border-bottom:1px solid var(--line);padding:.35rem .5rem;vertical-align:top}
.table-wrap{overflow-x:auto}
nav.pages{display:flex;gap:1rem;margin:1rem 0}.empty{padding:2rem;text-align:center;color:var(--muted);border:1px dashed var(--line);border-radius:8px}
.chart svg{max-width:100%;height:auto}.chart rect.bar{fill:#5b9bd5}.chart text{font-size:10px;fill:var(--muted)}
.notice{border-left:4px solid var(--warn);background:#fff8e1;padding:.5rem .75rem;margin:.5rem 0}.notice.bad{border-color:var(--bad);background:#fdecea}
footer.site{border-top:1px solid var(--line);margin-top:2rem;padding:1rem;font-size:.875rem;color:var(--muted);text-align:center}
.crumbs{margin:.25rem 0 0;color:var(--muted)}.lead{font-size:1.05rem;margin:.25rem 0 .75rem;max-width:50rem}
dl.facts,dl.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.3rem 1rem;margin:.5rem 0 1rem}dl.facts dt,dl.kv dt{color:var(--muted);font-size:.875rem;padding-top:.1rem}dl.facts dd,dl.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl.kv{grid-template-columns:minmax(0,1fr);gap:0}dl.kv dd{margin-bottom:.5rem}}
.plugin-layout{display:grid;gap:1.5rem;grid-template-columns:minmax(0,1fr) 18rem;align-items:start;overflow-wrap:break-word}.plugin-layout>*{min-width:0}.plugin-layout h2:first-child{margin-top:0}
@media (max-width:48rem){.plugin-layout{grid-template-columns:minmax(0,1fr)}}
ul.versions>li{padding:.4rem .5rem;border-bottom:1px solid var(--line)}ul.versions>li[aria-current]{background:var(--soft);border-radius:6px}ul.versions>li[aria-current]>a{font-weight:700}
.verdict.ok{color:var(--ok)}.verdict.bad{color:var(--bad)}.notice ul{margin:.25rem 0;padding-left:1.25rem}
td code,.digests code,.compatibility .small{overflow-wrap:anywhere}pre[tabindex]:focus-visible{outline:3px solid #7fb2ea}
figure.chart{margin:0 0 .5rem}.chart svg{width:100%;display:block}.chart text{font-size:11px}.chart .axis{stroke:var(--muted)}.chart .grid{stroke:var(--line);stroke-dasharray:3 3}.chart figcaption{font-size:.875rem;margin-top:.25rem}
td.empty-row{color:var(--muted);text-align:center;padding:1rem}
.help{margin:.15rem 0}.notice.ok{border-color:var(--ok);background:#eaf6ec}ul.examples{list-style:none;padding:0}ul.examples>li{margin:.5rem 0}
.trial-line{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.875rem;background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem;overflow-wrap:anywhere}#try-it textarea{width:100%;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.875rem;padding:.4rem;border:1px solid var(--line);border-radius:6px}#try-it label{display:block;margin:.5rem 0 .25rem}ul.changes{padding-left:1.25rem}
.readme{border:1px solid var(--line);border-radius:8px;padding:.25rem 1rem;max-height:40rem;overflow:auto}.readme h1{font-size:1.3rem}ul.upgrade-notes{padding-left:1rem}
.visually-hidden{position:absolute;left:-9999px}.entry-title{margin:0;font-size:1.05rem}.entry-description{margin:.25rem 0}.card-text{margin:0}.card-count{margin:.25rem 0 0}
.scan-form textarea{width:100%;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;padding:.4rem;border:1px solid var(--line);border-radius:6px}.scan-form .row{display:flex;gap:1rem;margin:.5rem 0}ol.scan-references>li{border-top:1px solid var(--line);padding:.5rem 0}ol.scan-references h3{font-size:1rem;margin:.25rem 0}
.config-form .field{margin:0 0 .75rem}.config-form legend{font-weight:600;padding:0 .25rem}.config-form input[type=number],.config-form textarea{width:100%;padding:.35rem;border:1px solid var(--line);border-radius:6px;font:inherit}.config-form textarea.json{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}textarea:focus-visible{outline:3px solid #7fb2ea;outline-offset:2px}.config-form [aria-invalid=true]{border-color:var(--bad)}.field-help,.field-hint{margin:.15rem 0;font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}.field-error{margin:.15rem 0;font-size:.875rem;color:var(--bad);font-weight:600;overflow-wrap:anywhere}.field-required{font-size:.75rem;color:var(--muted);font-weight:400}.config-examples{font-size:.875rem}.config-examples a[aria-current]{font-weight:700}
`;

/** Copy buttons and the scan page's file picker: the only script, and the pages work without it. */
export const SCRIPT = `
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent);
    button.textContent = 'Copied';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => (button.textContent = 'Copy'), 2000);
});
document.querySelectorAll('button[data-copy]').forEach((b) => (b.hidden = false));
// The scan page's file picker puts the file's text in the form (without script, paste it).
document.querySelectorAll('input[type=file][data-fills]').forEach((input) =>
  input.addEventListener('change', async () => {
    const target = document.getElementById(input.dataset.fills);
    const file = input.files && input.files[0];
    if (target && file) target.value = await file.text();
  }),
);
`;

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);
/** Asset URLs carry their content hash, so they can be cached forever. */
export const STYLESHEET_PATH = `/assets/site.${version(STYLESHEET)}.css`;
export const SCRIPT_PATH = `/assets/site.${version(SCRIPT)}.js`;
