import { ApiProperty } from '@nestjs/swagger';
import { ISTIO_PHASES } from '../../contract/index.js';

const DIGEST = { pattern: '^sha256:[0-9a-f]{64}$', example: 'sha256:9c1e…' } as const;

export class MinHostVersionsView {
  @ApiProperty({ required: false, example: '1.26' })
  envoy?: string;
  @ApiProperty({ required: false, example: '1.18' })
  istio?: string;
  @ApiProperty({ required: false, example: '1.4.0' })
  higress?: string;
}

export class HostHintsView {
  @ApiProperty({ enum: ['http', 'network'], nullable: true, description: 'HTTP or network (TCP) filter, as the publisher says.' })
  filterType!: 'http' | 'network' | null;
  @ApiProperty({ type: String, nullable: true, description: 'The root context id the plugin registers (Envoy root_id, Istio pluginName).' })
  rootId!: string | null;
  @ApiProperty({ enum: ISTIO_PHASES, nullable: true })
  istioPhase!: (typeof ISTIO_PHASES)[number] | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Order within the phase, highest first.' })
  istioPriority!: number | null;
  @ApiProperty({ type: MinHostVersionsView, description: 'The oldest host versions it needs, where the publisher knows better than the analysis.' })
  minHostVersions!: MinHostVersionsView;
}

export class ContractDocumentView {
  @ApiProperty(DIGEST)
  digest!: string;
  @ApiProperty({ format: 'uri' })
  url!: string;
}

export class ConfigSchemaDocumentView extends ContractDocumentView {
  @ApiProperty({ enum: ['draft-07', '2020-12'], description: 'The JSON Schema dialect.' })
  dialect!: 'draft-07' | '2020-12';
}

export class ExamplesDocumentView extends ContractDocumentView {
  @ApiProperty({ type: [String], example: ['basic', 'strict'] })
  names!: string[];
}

/** What a version's contract holds, with each document's digest (as in its signed attestation). */
export class ContractSummaryView {
  @ApiProperty({ enum: ['manifest', 'higress', 'kong', 'parts'], description: 'What the publisher sent: our manifest, a Higress spec.yaml, a Kong meta.json, or loose parts.' })
  source!: 'manifest' | 'higress' | 'kong' | 'parts';
  @ApiProperty({ type: ContractDocumentView, nullable: true })
  readme!: ContractDocumentView | null;
  @ApiProperty({ type: ConfigSchemaDocumentView, nullable: true })
  configSchema!: ConfigSchemaDocumentView | null;
  @ApiProperty({ type: ExamplesDocumentView, nullable: true })
  examples!: ExamplesDocumentView | null;
  @ApiProperty({ type: HostHintsView })
  hostHints!: HostHintsView;
}

export class ConfigExampleView {
  @ApiProperty({ example: 'basic' })
  name!: string;
  @ApiProperty({ type: String, nullable: true })
  description!: string | null;
  @ApiProperty({ description: 'The configuration, as the proxy receives it (JSON).', example: { issuer: 'https://issuer.example' } })
  configuration!: unknown;
}

export class ConfigExampleListView {
  @ApiProperty({ type: [ConfigExampleView] })
  items!: ConfigExampleView[];
}

export class ConfigurationErrorView {
  @ApiProperty({ example: '/issuer', description: 'JSON Pointer into the configuration; a missing field\'s own pointer.' })
  pointer!: string;
  @ApiProperty({ example: 'required', description: 'The JSON Schema keyword the configuration breaks.' })
  rule!: string;
  @ApiProperty({ example: 'issuer is required' })
  message!: string;
}

export class ConfigurationCheckView {
  @ApiProperty({ description: 'False when the version has no configuration schema: nothing could be checked.' })
  checked!: boolean;
  @ApiProperty({ description: 'True when checked and the configuration satisfies the schema.' })
  valid!: boolean;
  @ApiProperty({ type: [ConfigurationErrorView] })
  errors!: ConfigurationErrorView[];
  @ApiProperty({ type: String, nullable: true, ...DIGEST, description: 'The schema checked against.' })
  schemaDigest!: string | null;
  @ApiProperty({ description: 'A sentence saying what was checked.' })
  summary!: string;
}

export class UpgradeNoteView {
  @ApiProperty({ example: '/rules/*/path', description: 'Where in a configuration it applies (JSON Pointer, * for any item or key).' })
  pointer!: string;
  @ApiProperty({ example: 'required_added' })
  change!: string;
  @ApiProperty({ description: 'Whether configurations valid before are refused now.' })
  breaking!: boolean;
  @ApiProperty({ example: '`issuer` is now required (no default): configurations without it are refused.' })
  message!: string;
}

export class UpgradeNotesView {
  @ApiProperty({ example: '1.0.0' })
  from!: string;
  @ApiProperty({ example: '2.0.0' })
  to!: string;
  @ApiProperty({ description: 'Whether any note breaks configurations that were valid for `from`.' })
  breaking!: boolean;
  @ApiProperty({ type: [UpgradeNoteView] })
  notes!: UpgradeNoteView[];
}
