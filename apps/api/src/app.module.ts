import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BearerAuthGuard } from '../../../libs/auth/src/auth.guard.js';
import { TokensController } from '../../../libs/auth/src/tokens.controller.js';
import { TokensRepository } from '../../../libs/auth/src/tokens.repository.js';
import { TokensService } from '../../../libs/auth/src/tokens.service.js';
import { AuditController } from '../../../libs/audit/src/audit.controller.js';
import { AuditLogRepository } from '../../../libs/audit/src/audit-log.repository.js';
import { CatalogController } from '../../../libs/catalog/src/catalog.controller.js';
import { CatalogRepository } from '../../../libs/catalog/src/catalog.repository.js';
import { CatalogService } from '../../../libs/catalog/src/catalog.service.js';
import { StatsController } from '../../../libs/catalog/src/stats.controller.js';
import { StatsRepository } from '../../../libs/catalog/src/stats.repository.js';
import { StatsService } from '../../../libs/catalog/src/stats.service.js';
import { OciController } from '../../../libs/oci/src/oci.controller.js';
import { OciRepository } from '../../../libs/oci/src/oci.repository.js';
import { OciService } from '../../../libs/oci/src/oci.service.js';
import { PublicApi } from '../../../libs/web/src/public-api.js';
import { WebController } from '../../../libs/web/src/web.controller.js';
import { WebService } from '../../../libs/web/src/web.service.js';
import { BlobsModule } from '../../../libs/blobs/src/blobs.module.js';
import { ConfigModule } from '../../../libs/config/src/config.module.js';
import type { RegistryConfig } from '../../../libs/config/src/config.js';
import { DatabaseModule } from '../../../libs/db/src/database.module.js';
import { Invalidations } from '../../../libs/db/src/invalidations.js';
import { DownloadCounter } from '../../../libs/downloads/src/download-counter.js';
import { DownloadMarks } from '../../../libs/downloads/src/download-marks.js';
import { DownloadsRepository } from '../../../libs/downloads/src/downloads.repository.js';
import { HealthController } from '../../../libs/health/src/health.controller.js';
import { ProblemFilter } from '../../../libs/http/src/problem.filter.js';
import { LifecycleController } from '../../../libs/plugins/src/lifecycle.controller.js';
import { LifecycleRepository } from '../../../libs/plugins/src/lifecycle.repository.js';
import { LifecycleService } from '../../../libs/plugins/src/lifecycle.service.js';
import { NamespacesController } from '../../../libs/plugins/src/namespaces.controller.js';
import { PluginsController } from '../../../libs/plugins/src/plugins.controller.js';
import { PluginsRepository } from '../../../libs/plugins/src/plugins.repository.js';
import { PluginsService } from '../../../libs/plugins/src/plugins.service.js';
import { PublishService } from '../../../libs/plugins/src/publish.service.js';
import { PipelineModule } from '../../../libs/pipeline/src/pipeline.module.js';
import { ProvenanceController } from '../../../libs/provenance/src/provenance.controller.js';
import { ProvenanceService } from '../../../libs/provenance/src/provenance.service.js';
import { ProxyConfigController } from '../../../libs/proxy-config/src/proxy-config.controller.js';
import { ProxyConfigService } from '../../../libs/proxy-config/src/proxy-config.service.js';
import { VersionsModule } from '../../../libs/versions/src/versions.module.js';
import { VERSION_LIFECYCLE_HOOKS } from '../../version-hooks.js';

@Module({})
export class ApiModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, VersionsModule.forRoot(VERSION_LIFECYCLE_HOOKS), BlobsModule, PipelineModule],
      controllers: [OciController, CatalogController, StatsController, AuditController, PluginsController, LifecycleController, NamespacesController, TokensController, ProvenanceController, ProxyConfigController, HealthController, WebController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        BearerAuthGuard,
        TokensRepository,
        TokensService,
        PluginsRepository,
        PluginsService,
        PublishService,
        DownloadsRepository,
        DownloadCounter,
        DownloadMarks,
        Invalidations,
        ProvenanceService,
        CatalogRepository,
        CatalogService,
        StatsRepository,
        StatsService,
        AuditLogRepository,
        OciRepository,
        OciService,
        PublicApi,
        WebService,
        LifecycleRepository,
        LifecycleService,
        ProxyConfigService,
      ],
    };
  }
}
