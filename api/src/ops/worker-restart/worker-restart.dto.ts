import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES } from '../../common/error-table';
import { InferenceRestartAcceptedDto } from '../../inference/admin/inference-admin.dto';

/** Which worker answered: its id (GET /api/health `workers[].id`), host and process id. */
export class WorkerRestartTargetDto {
  @ApiProperty({
    format: 'uuid',
    description: "the worker's id, as GET /api/health and the overview list it",
  })
  worker_id!: string;
  @ApiProperty({ example: 'gpu-box-2' })
  host!: string;
  @ApiProperty({ example: 4100, description: "the worker process's pid on its host (not its sidecar's)" })
  pid!: number;
}

/**
 * The 202 of POST /api/admin/workers/{worker_id}/inference/restart: the worker's own answer, as
 * the local restart's (InferenceRestartAcceptedDto), and which worker gave it.
 */
export class WorkerRestartAcceptedDto extends InferenceRestartAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  worker_id!: string;
  @ApiProperty({ example: 'gpu-box-2' })
  host!: string;
  @ApiProperty({ example: 4100, description: "the worker process's pid on its host (not its sidecar's)" })
  pid!: number;
}

/** One worker's part of POST /api/admin/workers/inference/restart: what its own route would have answered. */
export class WorkerRestartOutcomeDto extends WorkerRestartTargetDto {
  @ApiProperty({
    example: 202,
    description:
      'the status POST /api/admin/workers/{worker_id}/inference/restart answers for it: 202, or its error',
  })
  status!: number;
  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    nullable: true,
    description:
      'null when accepted; else the error code (sidecar_not_managed, sidecar_stopped, worker_no_answer, ...)',
  })
  code!: string | null;
  @ApiProperty({ example: 'Restart started', description: "the worker's message, or the error's words" })
  message!: string;
  @ApiProperty({
    example: 4242,
    nullable: true,
    type: Number,
    description: 'pid of the sidecar being replaced',
  })
  previous_pid!: number | null;
  @ApiProperty({ example: false, description: 'true: it restarts once its running job ends' })
  waits_for_job!: boolean;
}

/** The 200 of POST /api/admin/workers/inference/restart: every live worker's outcome. */
export class WorkerRestartAllDto {
  @ApiProperty({ example: false, description: 'true: killed at once; false: after the running job' })
  force!: boolean;
  @ApiProperty({ example: 2, description: 'workers that accepted (status 202)' })
  accepted!: number;
  @ApiProperty({ type: [WorkerRestartOutcomeDto], description: 'every live worker, oldest start first' })
  workers!: WorkerRestartOutcomeDto[];
}
