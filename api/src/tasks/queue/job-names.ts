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
 * What a handler reports back to Bull (kept as the job's return value). `requeued`: a graceful
 * shutdown interrupted the job; GenerationProcessor adds it again once this worker took its last job.
 */
export type JobStatus = 'completed' | 'failed' | 'skipped' | 'requeued';

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
