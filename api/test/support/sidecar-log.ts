/** One job as the sidecar itself logged it: its own clock (UTC, millisecond resolution). */
export interface SidecarJobSpan {
  taskId: string;
  /** ms since the epoch: the job thread's "task X: start" line. */
  start: number;
  /** ms since the epoch: its "task X: end after ..." line (the job slot is free from then on). */
  end: number | undefined;
}

// The sidecar's log format (inference/kiln3d_inference/__main__.py, configure_logging), in UTC:
// "2026-11-30T02:45:00.123Z INFO task <id>: start (engine simulate, 64x64)".
const LINE = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})Z INFO task (\S+): (start|end after)/;

/**
 * The sidecar's jobs in the order they started, from the api's output (which forwards the
 * sidecar's lines): the GPU's own view of when it was busy, free of the api's clocks and events.
 */
export function sidecarJobSpans(output: string): SidecarJobSpan[] {
  const spans = new Map<string, SidecarJobSpan>();
  for (const line of output.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const at = Date.parse(`${m[1]}Z`);
    const taskId = m[2];
    if (m[3] === 'start') spans.set(taskId, { taskId, start: at, end: undefined });
    else {
      const span = spans.get(taskId);
      if (span) span.end = at;
    }
  }
  return [...spans.values()].sort((a, b) => a.start - b.start);
}
