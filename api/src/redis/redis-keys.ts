/** Every Redis key and channel the api uses, in one place (all under the "kiln:" prefix). */
export const RedisKeys = {
  task: (taskId: string) => `kiln:task:${taskId}`,
  /** The normalised PNG of a task that has not run yet (survives an api restart). */
  image: (taskId: string) => `kiln:image:${taskId}`,
  /** Sorted set of admitted, unfinished task ids (score = admission time, ms). */
  admission: 'kiln:admission',
  /** Recent job durations in seconds, newest first, for the ETA. */
  durations: 'kiln:durations',
  /** Bull's own keys live under this prefix. */
  bullPrefix: 'kiln:bull',
  /** Pub/sub: "<seq>\n<taskId>\n<snapshot JSON>" for every task change. */
  taskEventsChannel: 'kiln:task-events',
  /** Pub/sub: a task id whose running job must be aborted, on whichever process runs it. */
  cancelChannel: 'kiln:cancel',
} as const;
