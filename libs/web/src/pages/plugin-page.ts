import { html } from '../html.js';
import { layout } from '../layout.js';
import type { PublicApi } from '../public-api.js';
import { errorPage } from './catalog-pages.js';

/** The plugin page: placeholder until the full page lands (metadata and versions only). */
export async function pluginPage(api: PublicApi, namespace: string, name: string, version: string | null): Promise<{ status: number; html: string }> {
  const plugin = await api.get(`/api/v1/plugins/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
  if (plugin.status !== 200) return { status: 404, html: errorPage(404, 'No such plugin', `No plugin is called ${namespace}/${name}.`) };
  const p = plugin.json;
  return {
    status: 200,
    html: layout({ title: `${namespace}/${name}` }, html`<h1>${namespace}/${name}</h1><p>${p.description}</p><p>${version ?? p.latestVersion ?? ''}</p>`),
  };
}
