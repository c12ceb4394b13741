import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BearerAuthGuard, TokenAuthenticator } from '../../../libs/auth/index.js';
import { CurrentTokenController, TokensController, TokensRepository, TokensService } from '../../../libs/tokens/index.js';
import { AdvisoriesController, AdvisoriesRepository, AdvisoriesService } from '../../../libs/advisories/index.js';
import { RUN_WEBHOOK_DELIVERIES, WebhookDeliverer, WebhooksController, WebhooksRepository, WebhooksService } from '../../../libs/webhooks/index.js';
import { ScansController, ScansRepository, ScansService } from '../../../libs/scans/index.js';
import { AuditController, AuditLogRepository, AuditService } from '../../../libs/audit/index.js';
import { CatalogController, CatalogRepository, CatalogService, StatsController, StatsRepository, StatsService } from '../../../libs/catalog/index.js';
import { OciController, OciRepository, OciService } from '../../../libs/oci/index.js';
import {
  BlobUploadsController,
  BlobUploadsRepository,
  BlobUploadsService,
  ManifestPushController,
  ManifestPushService,
  OciAccessController,
  OciAccessService,
  OciPushSweeper,
  PushedModulesAdapter,
  PushedManifestsRepository,
  UploadObjects,
} from '../../../libs/oci-push/index.js';
import { PublicApi, WebController, WebService } from '../../../libs/web/index.js';
import { BLOB_STORE, BlobsModule, ModuleDelivery, type BlobStore } from '../../../libs/blobs/index.js';
import { ConfigModule, type RegistryConfig } from '../../../libs/config/index.js';
import { DatabaseModule, Invalidations } from '../../../libs/db/index.js';
import { DownloadCounter, DownloadMarks, DownloadsRepository } from '../../../libs/downloads/index.js';
import { HealthController, HealthService, MetricsController } from '../../../libs/health/index.js';
import { ProblemFilter } from './problem.filter.js';
import {
  ContractsController,
  ContractsService,
  LifecycleController,
  LifecycleRepository,
  LifecycleService,
  NamespacesController,
  NamespacesService,
  PluginsController,
  PluginsRepository,
  PluginsService,
  OWN_TRIAL_POOL,
  PublishService,
  PUSHED_MODULES,
  TrialsController,
  TrialsService,
} from '../../../libs/plugins/index.js';
import { TrialPool } from '../../../libs/sandbox/index.js';
import { PipelineModule } from '../../../libs/pipeline/index.js';
import { ProvenanceController, ProvenanceService } from '../../../libs/provenance/index.js';
import { ProxyConfigController, ProxyConfigService } from '../../../libs/proxy-config/index.js';
import { VersionsModule } from '../../../libs/versions/index.js';
import { VERSION_LIFECYCLE_HOOKS } from '../../version-hooks.js';

@Module({})
export class ApiModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, VersionsModule.forRoot(VERSION_LIFECYCLE_HOOKS), BlobsModule, PipelineModule],
      controllers: [OciAccessController, OciController, BlobUploadsController, ManifestPushController, CatalogController, StatsController, AuditController, PluginsController, ContractsController, TrialsController, LifecycleController, NamespacesController, CurrentTokenController, TokensController, ProvenanceController, ProxyConfigController, AdvisoriesController, WebhooksController, ScansController, HealthController, MetricsController, WebController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        BearerAuthGuard,
        TokensRepository,
        TokensService,
        { provide: TokenAuthenticator, useExisting: TokensService },
        PluginsRepository,
        PluginsService,
        NamespacesService,
        PublishService,
        ContractsService,
        TrialsService,
        {
          provide: OWN_TRIAL_POOL,
          useFactory: () => new TrialPool({ concurrency: config.ownTrials.concurrency, queueLength: config.ownTrials.queueLength }),
        },
        DownloadsRepository,
        DownloadCounter,
        DownloadMarks,
        Invalidations,
        {
          provide: ModuleDelivery,
          inject: [BLOB_STORE, Invalidations],
          useFactory: (blobs: BlobStore, invalidations: Invalidations): ModuleDelivery => {
            const logger = new Logger('Downloads');
            const delivery = ModuleDelivery.fromConfig(blobs, config.storage, {
              ...config.downloadCache,
              onMismatch: (digest) => logger.error(`storage holds bytes for ${digest} that do not hash to it: served from storage, not kept in memory`),
            });
            // The bytes are never stale (content addressing): a deleted version's are dropped to free the memory.
            invalidations.subscribe((event) => event.kind === 'version_deleted' && delivery.memory.forget(event.digest));
            return delivery;
          },
        },
        ProvenanceService,
        CatalogRepository,
        CatalogService,
        StatsRepository,
        StatsService,
        AuditLogRepository,
        AuditService,
        AdvisoriesRepository,
        AdvisoriesService,
        ScansRepository,
        ScansService,
        WebhooksRepository,
        WebhooksService,
        WebhookDeliverer,
        // Embedded, the API runs the jobs itself, webhook deliveries too; with Redis, workers do.
        { provide: RUN_WEBHOOK_DELIVERIES, useValue: config.redisUrl === null },
        OciRepository,
        OciService,
        OciAccessService,
        BlobUploadsRepository,
        BlobUploadsService,
        UploadObjects,
        PushedManifestsRepository,
        ManifestPushService,
        OciPushSweeper,
        PushedModulesAdapter,
        { provide: PUSHED_MODULES, useExisting: PushedModulesAdapter },
        PublicApi,
        WebService,
        LifecycleRepository,
        LifecycleService,
        ProxyConfigService,
        HealthService,
      ],
    };
  }
}
