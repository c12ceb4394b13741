import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenRequestBody {
  @ApiProperty({ example: 'acme CI', description: 'What the token is for; 1-100 characters.' })
  name!: string;
  @ApiPropertyOptional({ type: [String], example: ['acme'], description: 'Namespaces the token may publish into. Required unless admin.' })
  namespaces?: string[];
  @ApiPropertyOptional({ default: false, description: 'An admin token may do everything.' })
  admin?: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'When the token stops working; never when absent.' })
  expiresAt?: string | null;
}

export class TokenView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ example: 'wpr_Ab3dEf', description: 'The first characters of the secret, to tell tokens apart.' })
  tokenPrefix!: string;
  @ApiProperty()
  admin!: boolean;
  @ApiProperty({ type: [String] })
  namespaces!: string[];
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Last use, to the minute.' })
  lastUsedAt!: string | null;
}

export class IssuedTokenView extends TokenView {
  @ApiProperty({ description: 'The secret. Shown once: only its hash is stored.', example: 'wpr_…' })
  token!: string;
}

export class CurrentTokenView {
  @ApiProperty({ description: 'The token\'s id (`env:REGISTRY_ADMIN_TOKEN` for the admin token set in the environment).' })
  id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty()
  admin!: boolean;
  @ApiProperty({ type: [String], description: 'Namespaces it may publish into; an admin may publish into any.' })
  namespaces!: string[];
}
