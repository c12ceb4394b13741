import { ApiProperty } from '@nestjs/swagger';
import { SCAN_LEVELS } from './scan-findings.js';

export class ScanFindingView {
  @ApiProperty({ enum: SCAN_LEVELS })
  level!: string;
  @ApiProperty({ example: 'sha256_module_digest_with_oci', description: 'Stable; the SARIF rule id.' })
  code!: string;
  @ApiProperty()
  message!: string;
}

export class ScannedVersionView {
  @ApiProperty()
  namespace!: string;
  @ApiProperty()
  plugin!: string;
  @ApiProperty()
  version!: string;
  @ApiProperty({ description: 'The module\'s sha256:<hex>.' })
  digest!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The module image manifest\'s sha256:<hex>.' })
  manifestDigest!: string | null;
  @ApiProperty()
  status!: string;
}

export class ScannedReferenceView {
  @ApiProperty()
  file!: string;
  @ApiProperty({ description: '0-based YAML document in the file.' })
  document!: number;
  @ApiProperty({ description: '1-based line of the reference.' })
  line!: number;
  @ApiProperty({ example: '/spec/url', description: 'JSON Pointer in the document.' })
  path!: string;
  @ApiProperty({ enum: ['envoy', 'istio', 'envoy-gateway', 'higress'] })
  host!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{kind: http, url} | {kind: oci, url, registryHost, repository, tag, digest} | {kind: file, path}' })
  source!: object;
  @ApiProperty({ type: String, nullable: true })
  sha256!: string | null;
  @ApiProperty({ type: ScannedVersionView, nullable: true, description: 'The version it loads; null when this registry does not know it.' })
  version!: ScannedVersionView | null;
  @ApiProperty({ enum: SCAN_LEVELS, description: 'Its worst finding.' })
  level!: string;
  @ApiProperty({ type: [ScanFindingView] })
  findings!: ScanFindingView[];
}

export class ScanProblemView {
  @ApiProperty()
  file!: string;
  @ApiProperty({ type: Number, nullable: true })
  document!: number | null;
  @ApiProperty()
  message!: string;
}

export class ScanSummaryView {
  @ApiProperty()
  references!: number;
  @ApiProperty()
  ok!: number;
  @ApiProperty()
  info!: number;
  @ApiProperty()
  warning!: number;
  @ApiProperty()
  critical!: number;
  @ApiProperty({ description: 'Files or documents that could not be read.' })
  problems!: number;
}

export class ScanReportView {
  @ApiProperty({ format: 'date-time' })
  scannedAt!: string;
  @ApiProperty({ type: 'object', properties: { envoy: { type: 'string', nullable: true }, istio: { type: 'string', nullable: true } } })
  proxy!: object;
  @ApiProperty({ enum: ['info', 'warning', 'critical'], nullable: true })
  failOn!: string | null;
  @ApiProperty({ description: 'A reference is at failOn or worse.' })
  failed!: boolean;
  @ApiProperty({ type: ScanSummaryView })
  summary!: ScanSummaryView;
  @ApiProperty({ description: 'More references than a scan reports (500) were found.' })
  truncated!: boolean;
  @ApiProperty({ type: [ScannedReferenceView] })
  references!: ScannedReferenceView[];
  @ApiProperty({ type: [ScanProblemView] })
  problems!: ScanProblemView[];
}
