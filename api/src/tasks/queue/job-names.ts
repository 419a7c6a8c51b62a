/** The one Bull queue and its job names, each with its typed payload. */
export const GENERATION_QUEUE = 'generation';

export enum JobName {
  Generate = 'generate',
}

export interface JobPayloads {
  [JobName.Generate]: { taskId: string };
}

/** What a handler reports back to Bull (kept as the job's return value). */
export type JobStatus = 'completed' | 'failed' | 'skipped';
