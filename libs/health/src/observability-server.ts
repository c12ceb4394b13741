import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE, type Telemetry } from '../../telemetry/index.js';
import { toProblem, PROBLEM_CONTENT_TYPE } from '../../http/index.js';
import type { HealthService } from './health.service.js';

export interface ObservabilityServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * /metrics (and, given a HealthService, /health/live and /health/ready) on a port of its own:
 * METRICS_PORT on the API, and the worker's only HTTP surface. Nothing else is answered there.
 */
export async function startObservabilityServer(options: { port: number; host: string; telemetry: Telemetry; health?: HealthService }): Promise<ObservabilityServer> {
  const { telemetry, health } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    const json = (status: number, body: unknown, type = 'application/json') => response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (request.method !== 'GET' && request.method !== 'HEAD') return void json(405, { status: 405, title: 'Method Not Allowed' }, PROBLEM_CONTENT_TYPE);
    if (path === '/metrics') {
      telemetry.prometheusText().then(
        (text) => response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(text),
        () => json(500, { status: 500, title: 'Metrics could not be collected' }, PROBLEM_CONTENT_TYPE),
      );
      return;
    }
    if (health !== undefined && path === '/health/live') return void json(200, health.live());
    if (health !== undefined && path === '/health/ready') {
      health.ready().then(
        (view) => json(200, view),
        (error: unknown) => {
          const problem = toProblem(error);
          json(problem.status, problem, PROBLEM_CONTENT_TYPE);
        },
      );
      return;
    }
    json(404, { status: 404, title: 'Not Found' }, PROBLEM_CONTENT_TYPE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
