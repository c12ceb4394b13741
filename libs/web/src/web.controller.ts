import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RateLimited } from '../../http/index.js';
import { SCRIPT, SCRIPT_PATH, STYLESHEET, STYLESHEET_PATH } from './assets.js';
import { WebService } from './web.service.js';

const PAGE_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** The marketplace's pages, rendered on the server from the public API. HTTP only. */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(private readonly web: WebService) {}

  @Get()
  async home(@Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.web.home());
  }

  @Get('search')
  async search(@Query() query: Record<string, string>, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.web.search(query));
  }

  @Get('categories/:slug')
  async category(@Param('slug') slug: string, @Query() query: Record<string, string>, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.web.category(slug, query));
  }

  @Get('namespaces/:namespace')
  async namespace(@Param('namespace') namespace: string, @Query() query: Record<string, string>, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.web.namespace(namespace, query));
  }

  @Get('plugins/:namespace/:name')
  async plugin(@Param('namespace') namespace: string, @Param('name') name: string, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.web.plugin(namespace, name, null));
  }

  @Get('plugins/:namespace/:name/:version')
  async pluginVersion(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Query('example') example: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.web.plugin(namespace, name, version, { example: typeof example === 'string' ? example : null }));
  }

  /** The configuration form, posted: checked, then shown with the Envoy and Istio configuration it makes. */
  @Post('plugins/:namespace/:name/:version/configure')
  @HttpCode(200)
  async configure(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    send(reply, await this.web.plugin(namespace, name, version, { fields: formFields(body) }));
  }

  /** The "Try it" form, posted: the version run in the sandbox with this configuration; limited as the API's own trials are. */
  @Post('plugins/:namespace/:name/:version/try')
  @HttpCode(200)
  @RateLimited('ownTrials')
  async tryIt(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const fields = formFields(body);
    const text = (field: string): string => {
      const value = fields[field];
      return typeof value === 'string' ? value : '';
    };
    send(reply, await this.web.plugin(namespace, name, version, { example: null }, { configuration: text('configuration'), requests: text('requests') }));
  }

  @Get('scan')
  async scanForm(@Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.web.scan(null));
  }

  /** The scan form, posted: the configuration goes to POST /api/v1/scans, the report comes back as a page. Never stored. */
  @Post('scan')
  @HttpCode(200)
  async scan(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const fields = formFields(body);
    const text = (field: string): string => {
      const value = fields[field];
      return typeof value === 'string' ? value : '';
    };
    const page = await this.web.scan({ configuration: text('configuration'), envoy: text('envoy').trim(), istio: text('istio').trim() });
    // A report about someone's deployment is nobody else's: never cached.
    void reply.status(page.status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page.html);
  }

  @Get(STYLESHEET_PATH.slice(1))
  stylesheet(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', ASSET_CACHE).send(STYLESHEET);
  }

  @Get(SCRIPT_PATH.slice(1))
  script(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', ASSET_CACHE).send(SCRIPT);
  }
}

/** Most fields a form post may carry, and its size: a schema's form is bounded well below both. */
export const FORM_BODY_LIMIT = 256 * 1024;
const MAX_FORM_FIELDS = 2000;

/** application/x-www-form-urlencoded text → fields; a name given twice keeps every value, in order. */
function formFields(body: unknown): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  if (typeof body !== 'string') return fields;
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > MAX_FORM_FIELDS) break;
    const existing = fields[name];
    fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return fields;
}

function send(reply: FastifyReply, page: { status: number; html: string }): void {
  void reply.status(page.status).header('content-type', 'text/html; charset=utf-8').header('cache-control', PAGE_CACHE).send(page.html);
}
