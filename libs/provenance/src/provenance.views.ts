import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PublicKeyView {
  @ApiProperty({ example: 'Xjrw0RIO…KPTwc=', description: 'base64 of the SHA-256 of the key\'s SPKI DER (cosign\'s public-key hint).' })
  keyId!: string;
  @ApiProperty({ example: 'ecdsa-p256-sha256' })
  algorithm!: string;
  @ApiProperty({ example: '-----BEGIN PUBLIC KEY-----\n…' })
  publicKeyPem!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class AttestationView {
  @ApiProperty({ example: 'https://cyclonedx.org/bom' })
  predicateType!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'A Sigstore bundle v0.3 with a DSSE envelope (in-toto Statement v1).' })
  bundle!: object;
}

export class AttestationsView {
  @ApiProperty({ type: [AttestationView] })
  items!: AttestationView[];
}

export class VerifyRequestBody {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'A Sigstore bundle (JSON).' })
  bundle!: object;
  @ApiPropertyOptional({ example: 'sha256:3b1f…', description: 'A module stored here to verify against. Or send multipart/form-data with `bundle` and `module` parts.' })
  digest?: string;
}

export class VerificationCheckView {
  @ApiProperty({ enum: ['bundle', 'signing_key', 'transparency_log', 'signature', 'identity', 'artifact_digest', 'subject_digest'] })
  name!: string;
  @ApiProperty()
  passed!: boolean;
  @ApiProperty()
  detail!: string;
}

export class VerificationView {
  @ApiProperty({ description: 'True when every check passed.' })
  verified!: boolean;
  @ApiProperty({ type: [VerificationCheckView] })
  checks!: VerificationCheckView[];
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: '{ keyId } or { identity: { subjectAlternativeName, issuer } }, once the signature checked out.' })
  signer!: object | null;
  @ApiProperty({ type: String, nullable: true })
  mediaType!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['message_signature', 'dsse', null] })
  kind!: string | null;
  @ApiProperty({ example: 'sha256:3b1f…', description: 'The SHA-256 of the module the bundle was checked against.' })
  digest!: string;
}
