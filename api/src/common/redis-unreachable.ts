/**
 * Whether `error` is ioredis's word for a command that Redis never answered: its retries per
 * request ran out (MaxRetriesPerRequestError), the connection closed under it (redis-errors'
 * AbortError, "Connection is closed."), or the offline queue is off ("Stream isn't writeable",
 * RedisService past its outage's first seconds). Bull's queues use ioredis and fail alike.
 */
export function isRedisUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.name === 'AbortError' ||
    error.message === 'Connection is closed.' ||
    error.message.startsWith("Stream isn't writeable")
  );
}

/**
 * Whether `error` is Redis refusing a write for want of memory: the `OOM command not allowed when
 * used memory > 'maxmemory'` reply a server at its `maxmemory` under the `noeviction` policy gives
 * every write (a Lua script's too, before it runs), as an ioredis ReplyError.
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /\bOOM command not allowed\b/.test(error.message);
}
