import type { TaskRecord, TaskState } from '../state/task-snapshot';

/** One task change as published on RedisKeys.taskEventsChannel (by UPDATE_TASK_LUA's merge). */
export interface TaskEvent extends TaskState {
  taskId: string;
}

/** Parses a pub/sub message "<seq>\n<taskId>\n<snapshot JSON>"; undefined when unreadable. */
export function parseTaskEvent(message: string): TaskEvent | undefined {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  if (first < 0 || second < 0) return undefined;
  const seq = Number(message.slice(0, first));
  if (!Number.isInteger(seq)) return undefined;
  try {
    return {
      seq,
      taskId: message.slice(first + 1, second),
      record: JSON.parse(message.slice(second + 1)) as TaskRecord,
    };
  } catch {
    return undefined;
  }
}
