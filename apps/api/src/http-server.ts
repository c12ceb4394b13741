import { SCAN_INPUT_LIMITS } from '../../../libs/scans/index.js';
import { Logger } from '@nestjs/common';
import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ANALYSIS_REPORT_SCHEMA } from '../../../libs/analysis/index.js';
import { registryVersion, type RegistryConfig } from '../../../libs/config/index.js';
import { JsonLogger, startTelemetry } from '../../../libs/telemetry/index.js';
import { ApiModule } from './app.module.js';
import { MAX_DEPENDENCY_FILES, YAML_MEDIA_TYPES } from '../../../libs/plugins/index.js';
import { CONTRACT_LIMITS } from '../../../libs/contract/index.js';
import { FORM_BODY_LIMIT } from '../../../libs/web/index.js';
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify';
import { isOciPath } from '../../../libs/oci/index.js';
import {
  checkRequestInput,
  describeRequestInputRules,
  applySecurityHeaders,
  describePathParameters,
  MAX_PATH_PARAMETER_LENGTH,
  registerRateLimit,
  observeRequests,
  requestIdOf,
} from '../../../libs/http/index.js';
import { answerClientError } from './client-errors.js';
import { clientTimeoutOptions, cutStalledClients } from './client-timeouts.js';
import { sendProblem } from './problem.filter.js';

/** Builds the API application without listening, so that tests and the OpenAPI script can use it too. */
export async function createApiApplication(config: RegistryConfig): Promise<NestFastifyApplication> {
  // Before anything records a metric or a span (idempotent: tests build several applications).
  await startTelemetry('wasm-registry-api', registryVersion(), config.otel);
  const logger = new Logger('HTTP');
  const adapter = new FastifyAdapter({
    // HEAD routes are declared explicitly where they make sense (downloads).
    exposeHeadRoutes: false,
    bodyLimit: 1024 * 1024,
    // X-Request-Id: the client's when well formed, else ours; echoed on every answer (observeRequests).
    genReqId: requestIdOf,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    // A hop count is Fastify's too (proxy-addr), though the adapter's type leaves numbers out.
    trustProxy: config.http.trustProxy as boolean | string[],
    ...clientTimeoutOptions(config.http),
    // What the router and Node refuse before any route runs is answered in the surface's format too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, error, logger),
    clientErrorHandler: answerClientError(config.http, logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new JsonLogger(config.logLevel, 'wasm-registry-api'),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // First: a span and a duration for every request, the request id on every answer.
  observeRequests(fastify);
  // CSP, nosniff, frame and referrer rules on every answer (libs/http/src/security-headers.ts).
  applySecurityHeaders(fastify);
  // Every route: query parameters given once, text without NUL, lone surrogates or control characters.
  fastify.addHook('preValidation', checkRequestInput);
  // Multipart bodies: a module with its lockfile on publish, a bundle with a module on verify. Parts are streamed.
  // Above what any route accepts (publish: a module and MAX_DEPENDENCY_FILES), so the route refuses the extra part
  // with a 400 that names it before the parser's own limit would answer.
  await app.register(fastifyMultipart as never, {
    limits: { fileSize: config.maxModuleSize, files: 5 + MAX_DEPENDENCY_FILES, fields: 4, parts: 11, fieldSize: 1024 * 1024 },
  });
  await registerRateLimit(app, { verify: config.verifyRateLimit, ownTrials: config.ownTrials.rateLimit }, config.redisUrl, logger);
  cutStalledClients(fastify, config.http, logger);
  // Modules are streamed, never buffered: the handler gets the raw body stream.
  fastify.addContentTypeParser('application/wasm', (_request, payload, done) => done(null, payload));
  // Configurations to check, and deployed configuration to scan, may come as YAML, as operators keep them: read
  // as text up to what a scan takes; each route bounds its own (a plugin configuration is far smaller).
  fastify.addContentTypeParser([...YAML_MEDIA_TYPES], { parseAs: 'string', bodyLimit: Math.max(CONTRACT_LIMITS.configurationBytes, SCAN_INPUT_LIMITS.totalBytes) }, (_request, body, done) => done(null, body));
  // The configuration form on a version's page posts application/x-www-form-urlencoded; the page reads the fields.
  // Registered through Nest, which would otherwise add its own at init: the text is kept (the page reads repeated fields).
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body.toString('utf8')));
  // Any other media type is refused (415) as before, except on /v2, where OCI clients push manifests and
  // blobs with their own types: they must reach the read-only routes and hear 405 UNSUPPORTED.
  fastify.addContentTypeParser('*', (request, payload, done) => {
    if (isOciPath(request.url)) return done(null, payload);
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type'] ?? ''), undefined);
  });
  const document = buildOpenApiDocument(app);
  fastify.get('/api/openapi.json', (_request, reply) => {
    void reply.send(document);
  });
  await app.init();
  return app;
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Wasm plugin registry')
    .setDescription(
      'Publish, find and pin WebAssembly plugins for Envoy, Istio and other Proxy-Wasm hosts. ' +
        'Modules are content-addressed by SHA-256; errors are RFC 9457 problem documents with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token (wpr_…) issued by an admin.' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  // The report's shape lives in one place, as JSON Schema next to its types.
  type Schemas = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>;
  const schemas: Schemas = ((document.components ??= {}).schemas ??= {});
  schemas.AnalysisReport = ANALYSIS_REPORT_SCHEMA as Schemas[string];
  const analysisView = schemas.AnalysisView as { properties?: Record<string, unknown> } | undefined;
  if (analysisView?.properties) analysisView.properties.report = { $ref: '#/components/schemas/AnalysisReport' };
  describeRequestInputRules(document);
  describePathParameters(document);
  return document;
}
