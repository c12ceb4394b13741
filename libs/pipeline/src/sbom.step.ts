import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig, registryVersion } from '../../config/index.js';
import { blobLink } from '../../domain/index.js';
import { type DeclaredDependencies, sbomBuilder } from '../../sbom/index.js';
import type { VersionToProcess } from '../../versions/index.js';
import { PipelineRepository } from './pipeline.repository.js';

/**
 * Writes the version's CycloneDX SBOM from its metadata, its analysis and the
 * dependencies its publisher declared. The document is deterministic (publish
 * time as timestamp, serial number derived from the content), and the first
 * one stored is kept. Built in a worker thread (SbomBuilder): serialising and
 * validating 2,000 declared packages takes about a second.
 */
@Injectable()
export class SbomStep implements OnModuleDestroy {
  private readonly builder = sbomBuilder;

  constructor(
    private readonly pipeline: PipelineRepository,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async run(version: VersionToProcess): Promise<void> {
    if ((await this.pipeline.findSbom(version.id)) !== null) return;
    const base = this.config.publicUrl;
    const built = await this.builder.build({
      namespace: version.namespace,
      plugin: version.plugin,
      version: version.version,
      digest: version.digest,
      publishedAt: version.createdAt,
      license: version.metadata.license,
      description: version.metadata.description,
      homepage: version.metadata.homepage,
      repository: version.metadata.repository,
      downloadUrl: blobLink(base, version.digest),
      supplierUrl: `${base}/api/v1/namespaces/${version.namespace}`,
      oci: null,
      analysis: version.analysis?.report ?? null,
      declared: version.declaredDependencies as DeclaredDependencies | null,
      registry: { name: 'wasm-plugin-registry', version: registryVersion(), url: base },
    });
    await this.pipeline.saveSbom(version.id, { json: JSON.parse(built.json) as object, xml: built.xml });
  }

  async onModuleDestroy(): Promise<void> {
    await this.builder.close();
  }
}
