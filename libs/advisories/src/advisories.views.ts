import { ApiProperty } from '@nestjs/swagger';
import { CREDIT_TYPES, REFERENCE_TYPES } from './advisory.js';
import { SEVERITY_RATINGS } from './cvss.js';

// The OSV 1.6 record as served (snake_case: the format's own names).

class OsvSeverityView {
  @ApiProperty({ enum: ['CVSS_V3', 'CVSS_V4'] })
  type!: string;
  @ApiProperty({ example: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', description: 'The CVSS vector.' })
  score!: string;
}

class OsvPackageView {
  @ApiProperty({ example: 'Wasm Plugin Registry:https://registry.example.com', description: 'This registry\'s ecosystem, suffixed with its public URL.' })
  ecosystem!: string;
  @ApiProperty({ example: 'acme/jwt-auth', description: 'namespace/plugin' })
  name!: string;
}

class OsvEventView {
  @ApiProperty({ required: false, example: '1.0.0', description: 'A version, or "0" for the beginning.' })
  introduced?: string;
  @ApiProperty({ required: false, example: '1.2.0' })
  fixed?: string;
  @ApiProperty({ required: false })
  last_affected?: string;
}

class OsvRangeView {
  @ApiProperty({ enum: ['SEMVER'] })
  type!: string;
  @ApiProperty({ type: [OsvEventView] })
  events!: OsvEventView[];
}

class OsvAffectedSpecificView {
  @ApiProperty({ format: 'uri', description: 'The plugin\'s page.' })
  url!: string;
}

class OsvAffectedView {
  @ApiProperty({ type: OsvPackageView })
  package!: OsvPackageView;
  @ApiProperty({ type: [OsvRangeView] })
  ranges!: OsvRangeView[];
  @ApiProperty({ type: [String], description: 'The plugin\'s published versions inside the ranges (empty once withdrawn).' })
  versions!: string[];
  @ApiProperty({ type: OsvAffectedSpecificView })
  database_specific!: OsvAffectedSpecificView;
}

class OsvReferenceView {
  @ApiProperty({ enum: REFERENCE_TYPES })
  type!: string;
  @ApiProperty({ format: 'uri' })
  url!: string;
}

class OsvCreditView {
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: [String], required: false })
  contact?: string[];
  @ApiProperty({ enum: CREDIT_TYPES, required: false })
  type?: string;
}

class OsvDatabaseSpecificView {
  @ApiProperty({ enum: SEVERITY_RATINGS, description: 'CVSS rating of the base score.' })
  severity!: string;
  @ApiProperty({ example: 9.8, description: 'CVSS base score, computed from the vector.' })
  score!: number;
  @ApiProperty({ format: 'uri', description: 'The advisory\'s page.' })
  url!: string;
  @ApiProperty({ required: false })
  withdrawn_reason?: string;
}

export class OsvRecordView {
  @ApiProperty({ example: '1.6.0' })
  schema_version!: string;
  @ApiProperty({ example: 'WPR-2345-6789-cfgh' })
  id!: string;
  @ApiProperty({ format: 'date-time' })
  modified!: string;
  @ApiProperty({ format: 'date-time' })
  published!: string;
  @ApiProperty({ format: 'date-time', required: false })
  withdrawn?: string;
  @ApiProperty({ type: [String], example: ['CVE-2026-12345'] })
  aliases!: string[];
  @ApiProperty()
  summary!: string;
  @ApiProperty({ description: 'Markdown.' })
  details!: string;
  @ApiProperty({ type: [OsvSeverityView] })
  severity!: OsvSeverityView[];
  @ApiProperty({ type: [OsvAffectedView] })
  affected!: OsvAffectedView[];
  @ApiProperty({ type: [OsvReferenceView] })
  references!: OsvReferenceView[];
  @ApiProperty({ type: [OsvCreditView] })
  credits!: OsvCreditView[];
  @ApiProperty({ type: OsvDatabaseSpecificView })
  database_specific!: OsvDatabaseSpecificView;
}

export class PluginAdvisoriesView {
  @ApiProperty({ type: [OsvRecordView], description: 'Newest first, withdrawn ones included.' })
  advisories!: OsvRecordView[];
}

export class AdvisoryFeedView {
  @ApiProperty({ type: [OsvRecordView], description: 'Oldest change first.' })
  advisories!: OsvRecordView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null at the end (poll again later with modifiedSince).' })
  nextCursor!: string | null;
}

/** An advisory in force on a version, as version views and lists show it. */
export class AdvisoryBriefView {
  @ApiProperty({ example: 'WPR-2345-6789-cfgh' })
  id!: string;
  @ApiProperty()
  summary!: string;
  @ApiProperty({ enum: SEVERITY_RATINGS })
  severity!: string;
  @ApiProperty({ example: 9.8 })
  score!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The lowest version that fixes this one, when the advisory names one.' })
  fixedIn!: string | null;
}

const rangeProperties = {
  introduced: { type: 'string', description: 'A semantic version, or "0" for every version before the fix.' },
  fixed: { type: 'string', description: 'The first version that is not affected.' },
  lastAffected: { type: 'string', description: 'The last affected version (when no fix exists yet).' },
};

/** The body of a new advisory (and, every field optional, of an update). */
export const ADVISORY_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    summary: { type: 'string', maxLength: 200 },
    details: { type: 'string', maxLength: 32_768, description: 'Markdown.' },
    severity: { type: 'string', description: 'A CVSS 3.0, 3.1 or 4.0 vector with every base metric; the score is computed from it.', example: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    affected: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'object', additionalProperties: false, required: ['introduced'], properties: rangeProperties } },
    aliases: { type: 'array', maxItems: 20, items: { type: 'string', example: 'CVE-2026-12345' } },
    references: { type: 'array', maxItems: 30, items: { type: 'object', additionalProperties: false, required: ['url'], properties: { type: { type: 'string', enum: REFERENCE_TYPES, default: 'WEB' }, url: { type: 'string', format: 'uri' } } } },
    credits: {
      type: 'array',
      maxItems: 20,
      items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, contact: { type: 'array', items: { type: 'string', format: 'uri' } }, type: { type: 'string', enum: CREDIT_TYPES } } },
    },
  },
} as const;
