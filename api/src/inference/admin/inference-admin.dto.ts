import { ApiProperty } from '@nestjs/swagger';

/** The 202 body of POST /api/admin/inference/restart. */
export class InferenceRestartAcceptedDto {
  @ApiProperty({ example: true, enum: [true] })
  success!: true;
  @ApiProperty({ example: false, description: 'true: killed at once; false: after the running job' })
  force!: boolean;
  @ApiProperty({ example: 4242, nullable: true, type: Number, description: 'pid of the sidecar being replaced' })
  previous_pid!: number | null;
  @ApiProperty({
    example: false,
    description: 'true: the sidecar is running a job and restarts once it ends (without force); false: now',
  })
  waits_for_job!: boolean;
  @ApiProperty({ example: 'Restart started' })
  message!: string;
}
