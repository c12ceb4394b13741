import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems, RateLimited } from '../../http/index.js';
import { OWN_TRIAL_LIMITS, type CapabilityDiff, type TrialTrace } from '../../sandbox/index.js';
import { OWN_TRIAL_INPUT_LIMITS, readOwnTrialInput } from './own-trial-input.js';
import { CapabilityDiffView, OwnTrialBody, StoredTrialView, TrialTraceView } from './trial.views.js';
import { TrialsService } from './trials.service.js';

const VERSION_PATH = 'plugins/:namespace/:name/versions/:version';

/** A version's trials over HTTP: the stored one, your own, and what changed since the version before. */
@ApiTags('trials')
@Controller('api/v1')
export class TrialsController {
  constructor(private readonly trials: TrialsService) {}

  @Get(`${VERSION_PATH}/trial`)
  @ApiOperation({
    summary: 'A version\'s trial in the Proxy-Wasm sandbox',
    description:
      'What the pipeline saw when it ran the module in its sandbox (V8 with the Proxy-Wasm host functions, not Envoy): linking and start, ' +
      'proxy_on_configure with each example configuration (or an empty one), then synthetic requests through every callback, with actions, ' +
      'header changes, local responses, calls out (answered by a stub, never sent), metrics and logs, and the CPU time per request. ' +
      '404 `trial_not_run` for versions still pending, not Proxy-Wasm modules, or processed before trials existed.',
  })
  @ApiOkResponse({ type: StoredTrialView })
  @ApiProblems(400, 404)
  async trial(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string): Promise<StoredTrialView> {
    const { version: record, trace, triedAt } = await this.trials.storedTrial(namespace, name, version);
    return { namespace: record.namespace, plugin: record.plugin, version: record.version, digest: record.digest, triedAt: triedAt.toISOString(), trace: trace as TrialTraceView };
  }

  @Post(`${VERSION_PATH}/trial`)
  @HttpCode(200)
  @RateLimited('ownTrials')
  @ApiOperation({
    summary: 'Try a version with your configuration',
    description:
      'Runs the same trial as the pipeline on a ready version, with your configuration and, if you like, your requests and stubbed answers ' +
      'for named upstreams: the dry run before you change a production config. Nothing is stored; the version is not changed. ' +
      `Tighter limits than the pipeline's: linear memory ${OWN_TRIAL_LIMITS.memoryMb} MiB, ${OWN_TRIAL_LIMITS.callbackMs} ms per callback, ` +
      `${OWN_TRIAL_LIMITS.trialMs} ms in all, ${OWN_TRIAL_LIMITS.costSamples} timed requests; at most ${OWN_TRIAL_INPUT_LIMITS.requests} requests, ` +
      `a configuration of ${OWN_TRIAL_INPUT_LIMITS.configurationBytes} bytes, bodies of ${OWN_TRIAL_INPUT_LIMITS.bodyBytes} bytes. ` +
      'Limited per client address (OWN_TRIAL_RATE_LIMIT_MAX per OWN_TRIAL_RATE_LIMIT_WINDOW_MS: 429 with Retry-After) and to ' +
      'OWN_TRIAL_CONCURRENCY trials at once per API process (503 `trials_busy` with Retry-After). ' +
      'Whatever the module does (trap, loop, run out of memory) is in the trace, never an error. The host is V8 in the registry, not Envoy.',
  })
  @ApiBody({ type: OwnTrialBody, required: false })
  @ApiOkResponse({ type: TrialTraceView })
  @ApiProblems(400, 404, 409, 413, 429, 503)
  ownTrial(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string, @Body() body: unknown): Promise<TrialTrace> {
    return this.trials.ownTrial(namespace, name, version, readOwnTrialInput(body));
  }

  @Get(`${VERSION_PATH}/capability-diff`)
  @ApiOperation({
    summary: 'What an upgrade lets the plugin do that it could not before',
    description:
      'From another version (?from=; default: the highest ready version below this one) to this one: host functions imported or no longer ' +
      'imported, grouped by capability (http calls, gRPC, shared data, metrics, properties, WASI …), and from the two trials what it was seen ' +
      'doing differently: new upstreams called, headers touched, local responses, metrics, shared data, cost up past a threshold.',
  })
  @ApiQuery({ name: 'from', required: false, type: String })
  @ApiOkResponse({ type: CapabilityDiffView })
  @ApiProblems(400, 404, 409)
  capabilityDiff(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string, @Query('from') from?: string): Promise<CapabilityDiff> {
    return this.trials.capabilityDiff(namespace, name, version, from === '' ? undefined : from);
  }
}
