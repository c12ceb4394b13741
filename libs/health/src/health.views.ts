import { ApiProperty } from '@nestjs/swagger';

export class LiveView {
  @ApiProperty({ example: 'ok' })
  status!: string;
}

export class CheckView {
  @ApiProperty({ enum: ['ok', 'failing'] })
  status!: 'ok' | 'failing';
  @ApiProperty({ example: 'postgres', description: 'Which implementation is in use.' })
  kind!: string;
}

export class ReadyChecks {
  @ApiProperty({ type: CheckView })
  database!: CheckView;
  @ApiProperty({ type: CheckView })
  storage!: CheckView;
  @ApiProperty({ type: CheckView, required: false, description: 'The job queue: `redis` in production, `in-process` embedded.' })
  queue?: CheckView;
}

export class ReadyView {
  @ApiProperty({ example: 'ok' })
  status!: string;
  @ApiProperty({ type: ReadyChecks })
  checks!: ReadyChecks;
}
