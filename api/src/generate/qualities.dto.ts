import { ApiProperty } from '@nestjs/swagger';
import { QUALITIES, type Quality } from '../tasks/options/generation-options';
import type { QualityPreset, QualityPresets } from '../tasks/options/quality-presets.service';
import type { UnusedOptions } from '../tasks/options/unused-options';

export class QualityPresetDto implements QualityPreset {
  @ApiProperty({ enum: QUALITIES })
  quality!: Quality;
  @ApiProperty({ example: '1024_cascade', description: "TRELLIS.2's pipeline type" })
  pipeline_type!: string;
  @ApiProperty({ description: 'Taken when the request names no quality' })
  default!: boolean;
  @ApiProperty({ description: 'False: measured jobs do not fit the job limit; a request for it answers 422' })
  offered!: boolean;
  @ApiProperty({
    example: 48.2,
    description: 'Seconds a job is expected to hold the GPU (the ETA counts this)',
  })
  expected_s!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 47.9,
    description: 'Mean of the measured jobs (s); null before one ran on this engine and device',
  })
  measured_s!: number | null;
  @ApiProperty({ example: 10, description: 'Recent jobs measured (at most 10)' })
  measured_jobs!: number;
}

export class UnusedOptionsDto implements UnusedOptions {
  @ApiProperty({
    type: [String],
    example: ['quality', 'seed', 'texture_size', 'faces'],
    description: 'POST /api/generate fields',
  })
  generate!: string[];
  @ApiProperty({
    type: [String],
    example: ['seed', 'texture_resolution'],
    description: 'POST /api/texture fields',
  })
  texture!: string[];
}

export class QualityPresetsDto implements QualityPresets {
  @ApiProperty({ example: 180, description: 'JOB_TIMEOUT_S' })
  job_timeout_s!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'trellis2 on cuda:0 (NVIDIA GeForce RTX 4090), limit 180 s',
    description: 'The engine, device and job limit the measured jobs ran under; null before any job',
  })
  measured_on!: string | null;
  @ApiProperty({ type: [QualityPresetDto] })
  presets!: QualityPresetDto[];
  @ApiProperty({
    type: UnusedOptionsDto,
    description:
      "The request options no live worker's engine uses (it would ignore them and say so in the task's " +
      'ignored_options), by kind of task; both empty before a worker reported its engine',
  })
  unused_options!: UnusedOptionsDto;
}
