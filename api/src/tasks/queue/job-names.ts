import type { JobOptions, QueueOptions } from 'bull';

/** The one Bull queue and its job names, each with its typed payload. */
export const GENERATION_QUEUE = 'generation';

export enum JobName {
  Generate = 'generate',
}

export interface JobPayloads {
  [JobName.Generate]: { taskId: string };
}

/**
 * The second queue: a model's web optimisation, after its GPU job. It is a queue of its own so
 * the GPU queue's worker takes its next job while the api optimises the last model
 * (WEB_MODEL_OVERLAP), and so a crash mid-optimisation is Bull's stalled check, as for a GPU job.
 */
export const WEB_MODEL_QUEUE = 'web-model';

export enum WebModelJobName {
  Publish = 'publish',
}

/** What the GPU job hands on: the sidecar's result and when the task started (ms since the epoch). */
export interface WebModelPayload {
  taskId: string;
  startedAt: number;
  engine: string;
  triangles: number;
  bytes: number;
  /** The job options the engine ignored (InferenceResult.ignored), recorded on completion. */
  ignored?: string[];
}

/**
 * What a handler reports back to Bull (kept as the job's return value). `requeued`: a graceful
 * shutdown interrupted the job; GenerationProcessor adds it again once this worker took its last job.
 * `handed-off`: the sidecar's part is done and the task's web-model job is queued (WEB_MODEL_QUEUE).
 */
export type JobStatus = 'completed' | 'failed' | 'skipped' | 'requeued' | 'handed-off';

/** How often Bull looks for stalled jobs (and moves them back to the wait list). */
export const STALLED_CHECK_MS = 5_000;

/**
 * A running job's lock lasts lockDuration and is renewed every half of it: a job whose api died
 * is stalled within 15 s; Bull runs it again once, a second stall fails it (GenerationProcessor).
 */
export const QUEUE_SETTINGS: QueueOptions['settings'] = {
  lockDuration: 15_000,
  stalledInterval: STALLED_CHECK_MS,
  maxStalledCount: 1,
};

/**
 * Options of a task's generate job. Its id is the task id. One attempt: Bull never retries a
 * job (a task's own failure is its final state; a shutdown re-adds the job, a crash is Bull's
 * stalled check). A failed job is kept until GenerationProcessor has marked its task failed.
 * `next`: the job goes to the head of the queue (an interrupted task runs before the waiting ones).
 */
export function generateJobOptions(taskId: string, next = false): JobOptions {
  return { jobId: taskId, removeOnComplete: true, removeOnFail: false, attempts: 1, lifo: next };
}

/** Options of a task's web-model job: its id is the task id (added once), one attempt, as above. */
export function webModelJobOptions(taskId: string): JobOptions {
  return { jobId: taskId, removeOnComplete: true, removeOnFail: false, attempts: 1 };
}
