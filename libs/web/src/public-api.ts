import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

export interface ApiAnswer<T = any> {
  status: number;
  json: T;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The web pages read the registry through its public HTTP API only, answered
 * in-process (Fastify's inject): no private endpoint, no network hop, and the
 * pages can never show something the API would not.
 */
@Injectable()
export class PublicApi {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  private get fastify(): FastifyInstance {
    return this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
  }

  async get<T = any>(path: string, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path, undefined, headers);
  }

  async post<T = any>(path: string, body: unknown): Promise<ApiAnswer<T>> {
    return this.request<T>('POST', path, JSON.stringify(body), { 'content-type': 'application/json' });
  }

  private async request<T>(method: 'GET' | 'POST', path: string, payload: string | undefined, headers: Record<string, string>): Promise<ApiAnswer<T>> {
    if (!path.startsWith('/api/')) throw new Error(`the web pages read only the public API, not ${path}`);
    const response = await this.fastify.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    const type = String(response.headers['content-type'] ?? '');
    return {
      status: response.statusCode,
      json: (type.includes('json') && response.body.length > 0 ? JSON.parse(response.body) : null) as T,
      text: response.body,
      headers: response.headers as Record<string, string | string[] | undefined>,
    };
  }
}
