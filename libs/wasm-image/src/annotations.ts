import type { PluginMetadata } from '../../domain/index.js';

/** The metadata OCI annotations may carry, by annotation (org.opencontainers.image.*, the OCI image spec's names). */
export type AnnotatedMetadata = Partial<Pick<PluginMetadata, 'description' | 'license' | 'homepage' | 'repository'>>;

const METADATA_OF_ANNOTATION = {
  'org.opencontainers.image.description': 'description',
  'org.opencontainers.image.licenses': 'license',
  'org.opencontainers.image.url': 'homepage',
  'org.opencontainers.image.source': 'repository',
} as const;

/**
 * The plugin metadata a manifest's annotations state, unchecked: only the keys present and non-empty. The caller
 * runs it through domain's parsePluginMetadata, which bounds and checks every field.
 */
export function metadataFromAnnotations(annotations: Readonly<Record<string, string>> | undefined): AnnotatedMetadata {
  const metadata: AnnotatedMetadata = {};
  for (const [annotation, key] of Object.entries(METADATA_OF_ANNOTATION)) {
    const value = annotations?.[annotation]?.trim();
    if (value !== undefined && value !== '') metadata[key] = value;
  }
  return metadata;
}
