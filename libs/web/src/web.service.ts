import { Injectable } from '@nestjs/common';
import { html, queryString } from './html.js';
import { errorPage, homePage, searchPage, type Category, type Entry, type SearchData } from './pages/catalog-pages.js';
import { pluginPage, type TryItRequest } from './pages/plugin-page.js';
import { scanPage, type ScanForm } from './pages/scan-page.js';
import type { ConfigureRequest } from './pages/contract-view.js';
import { PublicApi } from './public-api.js';

export interface Page {
  status: number;
  html: string;
}

const SEARCH_PARAMS = ['q', 'category', 'abi', 'host', 'kind', 'language', 'signed', 'sort', 'cursor'] as const;
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What each page shows, read from the public API; rendering is in pages/. */
@Injectable()
export class WebService {
  constructor(private readonly api: PublicApi) {}

  async home(): Promise<Page> {
    const [categories, popular, recent, summary] = await Promise.all([
      this.api.get('/api/v1/categories'),
      this.api.get('/api/v1/stats/popular?window=7d&limit=6'),
      this.api.get('/api/v1/plugins?sort=recent&limit=6'),
      this.api.get('/api/v1/stats/summary'),
    ]);
    for (const answer of [categories, popular, recent, summary]) if (answer.status !== 200) return this.failed(answer.status);
    return {
      status: 200,
      html: homePage({
        categories: categories.json.categories,
        listed: categories.json.plugins,
        popular: popular.json.items,
        recent: recent.json.items,
        summary: summary.json,
      }),
    };
  }

  async search(query: Record<string, string>): Promise<Page> {
    const params = pick(query);
    return this.listPage(params, params, await this.categories(), {});
  }

  async category(slug: string, query: Record<string, string>): Promise<Page> {
    const categories = await this.categories();
    const category = categories.find((c) => c.slug === slug);
    if (category === undefined) {
      return { status: 404, html: errorPage(404, 'No such category', `There is no category "${slug}". The categories are: ${categories.map((c) => c.name).join(', ')}.`) };
    }
    const shown = pick(query);
    return this.listPage({ ...shown, category: slug }, shown, categories, {
      heading: category.name,
      intro: html`<p class="muted">${category.description} ${category.plugins} plugin${category.plugins === 1 ? '' : 's'}, ${Math.round(category.share * 100)} % of the catalog.</p>`,
      path: `/categories/${slug}`,
    });
  }

  async namespace(namespace: string, query: Record<string, string>): Promise<Page> {
    if (!NAME.test(namespace)) return { status: 404, html: errorPage(404, 'No such publisher', `"${namespace}" is not a publisher name.`) };
    const found = await this.api.get(`/api/v1/namespaces/${namespace}`);
    if (found.status === 404) return { status: 404, html: errorPage(404, 'No such publisher', `No publisher is called "${namespace}".`) };
    if (found.status !== 200) return this.failed(found.status);
    const unlisted = (found.json.plugins as { name: string; latestVersion: string | null }[]).filter((p) => p.latestVersion === null);
    const shown = { sort: 'name', ...pick(query) };
    return this.listPage({ ...shown, namespace }, shown, await this.categories(), {
      heading: `Publisher ${namespace}`,
      title: `${namespace}: plugins`,
      intro: html`<p class="muted">Plugins published by <strong>${namespace}</strong> since ${found.json.createdAt.slice(0, 10)}.${
        unlisted.length > 0 ? html` Not listed yet (no ready version): ${unlisted.map((p, i) => html`${i > 0 ? ', ' : ''}<a href="/plugins/${namespace}/${p.name}">${p.name}</a>`)}.` : ''
      }</p>`,
      path: `/namespaces/${namespace}`,
      limit: 50,
    });
  }

  /**
   * One page of search results: `query` goes to the API, `shown` fills the filter form (a category or
   * publisher page fixes its own filter in the path). A refused filter is a 400 page naming it.
   */
  private async listPage(
    query: Record<string, string>,
    shown: Record<string, string>,
    categories: Category[],
    page: Pick<SearchData, 'heading' | 'title' | 'intro' | 'path'> & { limit?: number },
  ): Promise<Page> {
    const { limit = 20, ...options } = page;
    const answer = await this.api.get(`/api/v1/plugins${queryString({ ...query, limit })}`);
    if (answer.status !== 200 && answer.status !== 400) return this.failed(answer.status);
    const ok = answer.status === 200;
    return {
      status: answer.status,
      html: searchPage({
        ...options,
        params: shown,
        categories,
        items: ok ? answer.json.items : [],
        total: ok ? answer.json.total : null,
        nextCursor: ok ? answer.json.nextCursor : null,
        errors: ok ? [] : (answer.json.errors ?? []),
      }),
    };
  }

  /** The scan page; with a form, the report of what it holds (or why it was not scanned). */
  async scan(form: ScanForm | null): Promise<Page> {
    if (form === null) return { status: 200, html: scanPage({ configuration: '', envoy: '', istio: '' }, null) };
    const query = queryString({ envoy: form.envoy || null, istio: form.istio || null });
    const answer = await this.api.post(`/api/v1/scans${query}`, { files: [{ name: 'pasted', content: form.configuration }] });
    if (answer.status === 200) return { status: 200, html: scanPage(form, { report: answer.json }) };
    const problem = answer.json as { detail?: string } | null;
    return { status: answer.status >= 500 ? 502 : answer.status, html: scanPage(form, { refusal: problem?.detail ?? `the API answered ${answer.status}` }) };
  }

  async plugin(namespace: string, name: string, version: string | null, configure?: ConfigureRequest, tryIt?: TryItRequest): Promise<Page> {
    return pluginPage(this.api, namespace, name, version, configure, tryIt ?? null);
  }

  private async categories(): Promise<Category[]> {
    const answer = await this.api.get('/api/v1/categories');
    return answer.status === 200 ? answer.json.categories : [];
  }

  private failed(status: number): Page {
    return { status: 502, html: errorPage(502, 'Something went wrong', `The catalog could not be read just now (the API answered ${status}). Try again in a moment.`) };
  }
}

function pick(query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SEARCH_PARAMS) {
    const value = query[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

export type { Entry };
