import { ApiProperty } from '@nestjs/swagger';

/** GET /api/health's body (200 ok or 503 degraded). */
export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded = redis or inference down/failed (503)' })
  status!: 'ok' | 'degraded';
  @ApiProperty({ example: { up: true, latency_ms: 0.4 } })
  redis!: { up: boolean; latency_ms: number | null; error?: string };
  @ApiProperty({
    example: { state: 'ready', engine: 'inflate', device: 'cpu', vram_used_bytes: 0, vram_total_bytes: 0 },
  })
  inference!: Record<string, unknown>;
  @ApiProperty({ example: { waiting: 2, active: 1, slots_held: 3, capacity: 6 } })
  queue!: Record<string, number> | null;
}
