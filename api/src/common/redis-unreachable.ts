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
