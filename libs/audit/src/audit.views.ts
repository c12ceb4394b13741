import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_ACTIONS } from './audit-actions.js';

export class AuditEventView {
  @ApiProperty({ example: '1042', description: 'Increasing with time.' })
  id!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty({ enum: AUDIT_ACTIONS })
  action!: string;
  @ApiProperty({ example: 'ci-publisher', description: 'The name of the token that acted; "pipeline" for the registry\'s own steps.' })
  actor!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  actorTokenId!: string | null;
  @ApiProperty({ type: String, nullable: true })
  namespace!: string | null;
  @ApiProperty({ type: String, nullable: true })
  plugin!: string | null;
  @ApiProperty({ type: String, nullable: true })
  version!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed: digest, reason, message, token name and scope (never a secret).' })
  details!: Record<string, unknown>;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEventView] })
  items!: AuditEventView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for older events; null when there are none.' })
  nextCursor!: string | null;
}
