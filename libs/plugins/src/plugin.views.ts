import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CATEGORY_SLUGS } from '../../domain/src/categories.js';

/** Response and request shapes of the plugins API; the OpenAPI document is generated from them. */

export class VersionLinks {
  @ApiProperty({ description: 'This version.', example: 'https://registry.example.com/api/v1/plugins/acme/jwt-auth/versions/1.0.0' })
  self!: string;
  @ApiProperty({ description: 'The module bytes by version.' })
  module!: string;
  @ApiProperty({ description: 'The module bytes by digest: the URL to pin in proxy configuration.' })
  blob!: string;
  @ApiProperty({ description: 'The plugin this version belongs to.' })
  plugin!: string;
}

export class VersionView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  plugin!: string;
  @ApiProperty({ example: '1.0.0', description: 'Semantic version.' })
  version!: string;
  @ApiProperty({ example: 'sha256:3b1f0c…', pattern: '^sha256:[0-9a-f]{64}$', description: 'SHA-256 of the module bytes.' })
  digest!: string;
  @ApiProperty({ description: 'Module size in bytes.', example: 204800 })
  size!: number;
  @ApiProperty({ enum: ['pending', 'ready', 'rejected'], description: 'pending until processing has checked the module.' })
  status!: 'pending' | 'ready' | 'rejected';
  @ApiProperty({ type: String, nullable: true, description: 'Why the version was rejected.' })
  statusReason!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  readyAt!: string | null;
  @ApiProperty({ description: 'Downloads of this version, all time.' })
  downloads!: number;
  @ApiProperty({ type: VersionLinks })
  links!: VersionLinks;
}

export class PluginLinks {
  @ApiProperty()
  self!: string;
  @ApiProperty({ description: 'Publish a version: PUT {versions}/{version}.' })
  versions!: string;
  @ApiProperty()
  namespace!: string;
}

export class PluginMetadataBody {
  @ApiPropertyOptional({ maxLength: 4000, example: 'Validates JWTs issued by your identity provider.' })
  description?: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'SPDX license expression.', example: 'Apache-2.0' })
  license?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'uri', description: 'http(s) URL.' })
  homepage?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'uri', description: 'http(s) URL of the source repository.' })
  repository?: string | null;
  @ApiPropertyOptional({ type: [String], maxItems: 20, example: ['jwt', 'oidc'], description: 'Lowercase words of 1-32 letters, digits and "-".' })
  keywords?: string[];
  @ApiPropertyOptional({ type: [String], maxItems: 6, enum: CATEGORY_SLUGS, isArray: true })
  categories?: string[];
}

export class PluginView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  name!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Apache-2.0' })
  license!: string | null;
  @ApiProperty({ type: String, nullable: true })
  homepage!: string | null;
  @ApiProperty({ type: String, nullable: true })
  repository!: string | null;
  @ApiProperty({ type: [String] })
  keywords!: string[];
  @ApiProperty({ type: [String] })
  categories!: string[];
  @ApiProperty({ type: String, nullable: true, description: 'Highest ready version by semantic-version precedence.' })
  latestVersion!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
  @ApiProperty({ type: PluginLinks })
  links!: PluginLinks;
}

export class PluginDetailView extends PluginView {
  @ApiProperty({ type: [VersionView], description: 'Newest first by semantic-version precedence.' })
  versions!: VersionView[];
}

export class PluginPage {
  @ApiProperty({ type: [PluginView] })
  items!: PluginView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` to get the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class NamespaceView {
  @ApiProperty({ example: 'acme' })
  name!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: [PluginView] })
  plugins!: PluginView[];
}
