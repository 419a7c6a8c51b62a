/** When the cleanup will delete a model: its file's modification time plus the retention period. */
export function expiryOf(lastModified: Date, retentionHours: number): Date {
  return new Date(lastModified.getTime() + retentionHours * 3600 * 1000);
}

/** Whole hours left, rounded down; 0 once due. */
export function hoursLeft(expiry: Date, now: number): number {
  return Math.max(0, Math.floor((expiry.getTime() - now) / 3600_000));
}
