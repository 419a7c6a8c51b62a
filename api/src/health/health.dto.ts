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
  @ApiProperty({ enum: ['all', 'api', 'worker'], description: "this process's KILN_ROLE" })
  role!: 'all' | 'api' | 'worker';
  @ApiProperty({
    description:
      'every live worker on this Redis (heartbeat within 10 s): state idle, busy (task_id), starting or down; ' +
      'gpu is its CUDA_VISIBLE_DEVICES',
    example: [
      {
        id: '0b6f4d0e-3f7a-4a51-9a55-2d8c4f8f1e21',
        host: 'gpu-box-1',
        pid: 4242,
        role: 'worker',
        seen_at: '2026-11-30T03:00:00.000Z',
        state: 'busy',
        task_id: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
        engine: 'trellis2',
        device: 'cuda',
        gpu: '1',
      },
    ],
  })
  workers!: Record<string, unknown>[];
}
