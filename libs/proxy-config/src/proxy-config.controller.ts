import { applyDecorators, Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblems } from '../../http/index.js';
import {
  DEFAULT_CLUSTER,
  DEFAULT_RUNTIME,
  DEFAULT_TIMEOUT,
  ENVOY_RUNTIMES,
  FILTER_TYPES,
  ISTIO_PHASES,
  ISTIO_SOURCES,
  MAX_CONFIGURATION_BYTES,
  OUTPUT_FORMATS,
} from './proxy-config-options.js';
import { ProxyConfigService, type RenderedConfig } from './proxy-config.service.js';
import { EnvoyConfigView, IstioConfigView } from './proxy-config.views.js';
import { JSON_CONTENT_TYPE, YAML_CONTENT_TYPE } from './render.js';

const CommonQueries = (): MethodDecorator =>
  applyDecorators(
    ApiProduces(YAML_CONTENT_TYPE, JSON_CONTENT_TYPE),
    ApiQuery({ name: 'format', required: false, enum: OUTPUT_FORMATS, description: 'Default: YAML, or JSON when Accept asks for application/json.' }),
    ApiQuery({
      name: 'filter',
      required: false,
      enum: FILTER_TYPES,
      description:
        'HTTP filter or network (TCP) filter. Default: the publisher\'s host hint when the module fits it, else from the analysis, network only for a module with TCP callbacks and no HTTP ones. ' +
        'A filter type the module has no callbacks for is a 400.',
    }),
    ApiQuery({ name: 'root_id', required: false, type: String, description: 'The root context id the plugin registers (Envoy root_id, Istio pluginName). Default: the publisher\'s host hint, else empty.' }),
    ApiQuery({ name: 'fail_open', required: false, enum: ['true', 'false'], description: 'Let traffic through when the plugin fails. Default: false (fail closed).' }),
    ApiQuery({
      name: 'configuration',
      required: false,
      type: String,
      description:
        `The plugin's configuration as JSON, at most ${MAX_CONFIGURATION_BYTES} bytes (URL-encoded). Envoy gets it as a google.protobuf.StringValue, ` +
        'Istio as pluginConfig. Checked against the version\'s configuration schema: a configuration that breaks it is a 422 ' +
        '`configuration_invalid` listing each error; without a schema, a warning says nothing could be checked.',
      example: '{"header":"x-request-id"}',
    }),
    ApiQuery({
      name: 'example',
      required: false,
      type: String,
      description: 'Embed one of the version\'s configuration examples, by name, instead of `configuration`.',
    }),
    ApiProblems(400, 404, 409, 422),
  );

const okResponse = (view: typeof EnvoyConfigView | typeof IstioConfigView, yamlDescription: string): MethodDecorator =>
  applyDecorators(
    ApiExtraModels(view),
    ApiResponse({
      status: 200,
      description: `YAML: ${yamlDescription} JSON: the configuration beside the module's digests, OCI reference, compatibility and warnings.`,
      headers: { Warning: { description: 'When the version is yanked: 299 - "<why>".', schema: { type: 'string' } } },
      content: {
        [YAML_CONTENT_TYPE]: { schema: { type: 'string' } },
        [JSON_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(view) } },
      },
    }),
  );

/** Proxy configuration for a ready version, pinned by digest, ready to paste. */
@ApiTags('proxy-config')
@Controller('api/v1')
export class ProxyConfigController {
  constructor(private readonly proxyConfig: ProxyConfigService) {}

  @Get('plugins/:namespace/:name/versions/:version/config/envoy')
  @ApiOperation({
    summary: 'Envoy configuration for a version',
    description:
      'The Wasm filter (`envoy.filters.http.wasm`, or `envoy.filters.network.wasm`) fetching the module from its pinned URL, with ' +
      '`sha256` = the SHA-256 of the module bytes, and the cluster for the registry\'s host (TLS when PUBLIC_URL is https). ' +
      'YAML comments give the ABI compatibility and warnings; JSON gives them as fields. 409 for versions that are not ready ' +
      '(`version_pending`, `version_rejected` with a link to the analysis, `version_failed`) and for modules that are not ' +
      'Proxy-Wasm plugins (`not_a_proxy_wasm_plugin`). A yanked version is served with a Warning header.',
  })
  @CommonQueries()
  @ApiQuery({ name: 'runtime', required: false, enum: ENVOY_RUNTIMES, description: `Envoy's Wasm runtime (short names v8, wamr, wasmtime work too). Default: ${DEFAULT_RUNTIME}.` })
  @ApiQuery({ name: 'vm_id', required: false, type: String, description: 'Plugins with the same vm_id and code share a VM. Default: <namespace>/<name>.' })
  @ApiQuery({ name: 'cluster', required: false, type: String, description: `Name of the cluster the module is fetched through. Default: ${DEFAULT_CLUSTER}.` })
  @ApiQuery({ name: 'timeout', required: false, type: String, description: `Timeout of the module download, e.g. 30s, 2.5s, 500ms (up to 3600s). Default: ${DEFAULT_TIMEOUT}.` })
  @okResponse(EnvoyConfigView, 'the `http_filters` (or `filters`) entry and the `clusters` entry, to paste where their keys say.')
  async envoy(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RenderedConfig['body']> {
    return send(reply, await this.proxyConfig.envoy(namespace, name, version, query ?? {}, accept));
  }

  @Get('plugins/:namespace/:name/versions/:version/config/istio')
  @ApiOperation({
    summary: 'Istio WasmPlugin resources for a version',
    description:
      'extensions.istio.io/v1alpha1 WasmPlugin resources: one with the pinned https:// URL, whose `sha256` is the SHA-256 of the ' +
      'module bytes, and, when the version is served over OCI, one with the oci:// reference, whose `sha256` is the digest of the ' +
      'OCI manifest. Apply one of them. YAML: documents separated by ---; JSON: a Kubernetes List beside the digests and compatibility. ' +
      'Refused (409) like the Envoy configuration.',
  })
  @CommonQueries()
  @ApiQuery({ name: 'phase', required: false, enum: ISTIO_PHASES, description: 'Where in the filter chain Istio puts the plugin. Default: the publisher\'s host hint, else unset (UNSPECIFIED_PHASE).' })
  @ApiQuery({ name: 'priority', required: false, schema: { type: 'integer', format: 'int32' }, description: 'Order within a phase, highest first. Default: the publisher\'s host hint, else unset.' })
  @ApiQuery({ name: 'namespace', required: false, type: String, description: 'metadata.namespace of the resources (a Kubernetes namespace). Default: unset.' })
  @ApiQuery({ name: 'selector', required: false, type: String, example: 'app=reviews,version=v1', description: 'selector.matchLabels as key=value pairs. Default: unset (every workload of the namespace).' })
  @ApiQuery({ name: 'source', required: false, enum: ISTIO_SOURCES, description: 'Only the https:// or only the oci:// document. Default: both (https only when not served over OCI).' })
  @okResponse(IstioConfigView, 'one WasmPlugin document per source, separated by ---, to kubectl apply (one of them).')
  async istio(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RenderedConfig['body']> {
    return send(reply, await this.proxyConfig.istio(namespace, name, version, query ?? {}, accept));
  }
}

function send(reply: FastifyReply, rendered: RenderedConfig): RenderedConfig['body'] {
  void reply.header('content-type', rendered.contentType).header('vary', 'Accept');
  if (rendered.yankWarning !== null) void reply.header('warning', `299 - ${JSON.stringify(asciiHeaderText(rendered.yankWarning))}`);
  return rendered.body;
}

/** Header values are ASCII without control characters. */
function asciiHeaderText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
