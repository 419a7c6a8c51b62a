/**
 * A thrown or rejected value as one line for a log or an error's message: an Error's message,
 * else its String() (a rejection may carry anything).
 * @param error what was thrown or rejected
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
