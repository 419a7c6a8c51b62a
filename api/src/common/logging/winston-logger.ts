import { lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { WinstonModule, utilities as nestWinstonUtilities } from 'nest-winston';
import * as winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

function stackText(stack: unknown): string {
  const parts = (Array.isArray(stack) ? stack : [stack]).filter((s): s is string => typeof s === 'string');
  return parts.length > 0 ? `\n${parts.join('\n')}` : '';
}

/** The rotation's record of its files (their days, for the 7-day limit), kept in LOG_DIR. */
export const AUDIT_FILE = '.app-log-audit.json';
/** At most one "cannot write the log file" line per this many ms on stderr. */
const WRITE_ERROR_REPORT_MS = 60_000;

/**
 * A log file that cannot be written (a full disk: ENOSPC, a folder made read-only) must not stop
 * the service: file-stream-rotator re-emits its write stream's 'error' on its own stream, and
 * winston-daily-rotate-file its own errors on the transport, neither with a listener, so
 * Node ended the process at the next log line (and at every start while the disk stayed full).
 * The console transport goes on; the failure is said on stderr at most once a minute.
 */
function keepRunningOnWriteErrors(file: DailyRotateFile): void {
  let reportedAt = -Infinity;
  const report = (error: unknown): void => {
    const now = Date.now();
    if (now - reportedAt < WRITE_ERROR_REPORT_MS) return;
    reportedAt = now;
    const words = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Kiln3D api: cannot write the log file (${words}); logging to the console only\n`);
  };
  file.on('error', report);
  // The rotator's stream (not in the library's types): the one whose 'error' ended the process.
  (file as unknown as { logStream?: NodeJS.EventEmitter }).logStream?.on('error', report);
}

/** LOG_MAX_MB's default, in bytes: what the log files may hold together. */
export const DEFAULT_LOG_MAX_BYTES = 200 * 1024 * 1024;
/** Files of the log budget: each rotates at this share of it (so about this many files are kept). */
const FILES_PER_BUDGET = 10;
/** The log files the app writes (app-YYYY-MM-DD.log, and .1, .2, ... once one day passes the size): day, number. */
const LOG_FILE = /^app-(\d{4}-\d{2}-\d{2})\.log(?:\.(\d+))?$/;

/** A log file's place in time: its day, then its number within the day (none = the day's first). */
function logOrder(name: string): string {
  const match = LOG_FILE.exec(name);
  return match === null ? name : `${match[1]}.${(match[2] ?? '0').padStart(9, '0')}`;
}

/**
 * Deletes the oldest log files (LOG_FILE, oldest day and number first) until the others in
 * `logDir` hold at most `budget` bytes together; `current` (the file being written) is never
 * deleted nor counted (the caller leaves room for it). Returns the names deleted. A flood of
 * requests in one day can thus never fill the disk, whatever the 7 days say.
 */
export function pruneLogs(logDir: string, budget: number, current?: string): string[] {
  const files = readdirSync(logDir)
    .filter((name) => LOG_FILE.test(name) && (current === undefined || name !== basename(current)))
    .map((name) => ({ name, stat: lstatSync(join(logDir, name)) }))
    .filter(({ stat }) => stat.isFile())
    .sort((a, b) => logOrder(a.name).localeCompare(logOrder(b.name)));
  let total = files.reduce((sum, { stat }) => sum + stat.size, 0);
  const deleted: string[] = [];
  for (const { name, stat } of files) {
    if (total <= budget) break;
    try {
      unlinkSync(join(logDir, name));
    } catch {
      continue; // gone already (file-stream-rotator's own age limit)
    }
    total -= stat.size;
    deleted.push(name);
  }
  return deleted;
}

/** Days a log file is kept (winston-daily-rotate-file's maxFiles, and pruneOldLogs's). */
export const LOG_DAYS = 7;
/** The audit files winston-daily-rotate-file named by a hash of its options before AUDIT_FILE. */
const LEGACY_AUDIT = /^\.[0-9a-f]{40}-audit\.json$/;

/**
 * Deletes the log files (LOG_FILE) whose day, in their name, is more than LOG_DAYS before `now`'s
 * (local days, as the rotation names them), and the audit files of earlier versions (LEGACY_AUDIT).
 * Why: the rotation ages out only the files its audit file lists, and an earlier version (or an
 * earlier LOG_MAX_MB) kept another audit file, so after an upgrade the days before it were never
 * deleted (an upgrade trial). Returns the names deleted; a file gone meanwhile is skipped.
 */
export function pruneOldLogs(logDir: string, now = new Date()): string[] {
  const oldest = new Date(now.getFullYear(), now.getMonth(), now.getDate() - LOG_DAYS);
  const cutoff = [
    oldest.getFullYear(),
    String(oldest.getMonth() + 1).padStart(2, '0'),
    String(oldest.getDate()).padStart(2, '0'),
  ].join('-');
  const deleted: string[] = [];
  for (const name of readdirSync(logDir)) {
    const day = LOG_FILE.exec(name)?.[1];
    const old = (day !== undefined && day < cutoff) || LEGACY_AUDIT.test(name);
    if (!old) continue;
    try {
      unlinkSync(join(logDir, name));
      deleted.push(name);
    } catch {
      // Gone already.
    }
  }
  return deleted;
}

/**
 * The one logger of the process (docs/design.md, Operations): console plus LOG_DIR/app-YYYY-MM-DD.log,
 * one file a day (and another, `.1`, `.2`, ..., whenever one reaches a tenth of maxBytes), kept 7
 * days (also by their names' days: pruneOldLogs) and at most maxBytes together (LOG_MAX_MB: the oldest files go first, pruneLogs), with
 * LOG_DIR/app.log a symlink to the current file. Nest's Logger forwards to it once main.ts calls
 * app.useLogger(). Lines quoting a request's URL cut it to 512 characters (log-text.ts).
 */
export function createAppLogger(logDir: string, maxBytes = DEFAULT_LOG_MAX_BYTES): LoggerService {
  mkdirSync(logDir, { recursive: true });
  const fileFormat = winston.format.combine(
    winston.format.timestamp(),
    winston.format.errors({ stack: true }),
    winston.format.printf((info) => {
      const context = typeof info['context'] === 'string' ? ` [${info['context']}]` : '';
      const stack = stackText(info['stack']);
      return `${String(info['timestamp'])} ${info.level.toUpperCase()}${context} ${String(info.message)}${stack}`;
    }),
  );
  const fileBytes = Math.max(1024, Math.floor(maxBytes / FILES_PER_BUDGET));
  const file = new DailyRotateFile({
    dirname: logDir,
    filename: 'app-%DATE%.log',
    datePattern: 'YYYY-MM-DD',
    maxFiles: `${LOG_DAYS}d`,
    // One audit file whatever the options: the library names it by a hash of them, so a changed
    // LOG_MAX_MB started a new audit and the old one's files were never aged out.
    auditFile: join(logDir, AUDIT_FILE),
    // A number of bytes (the library rounds it to KiB).
    maxSize: fileBytes,
    createSymlink: true,
    symlinkName: 'app.log',
    format: fileFormat,
  });
  // Each new file (a new day, or the last one full): the oldest go until the rest leave it room;
  // again a second later, once the lines still on their way to the last file have landed.
  let settle: NodeJS.Timeout | undefined;
  file.on('new', (newFile: string) => {
    pruneOldLogs(logDir);
    pruneLogs(logDir, maxBytes - fileBytes, newFile);
    clearTimeout(settle);
    settle = setTimeout(() => pruneLogs(logDir, maxBytes - fileBytes, newFile), 1000).unref();
  });
  pruneOldLogs(logDir);
  pruneLogs(logDir, maxBytes - fileBytes);
  keepRunningOnWriteErrors(file);
  return WinstonModule.createLogger({
    level: 'info',
    transports: [
      new winston.transports.Console({
        format: winston.format.combine(
          winston.format.timestamp(),
          nestWinstonUtilities.format.nestLike('Kiln3D', { colors: false, prettyPrint: true }),
        ),
      }),
      file,
    ],
  });
}
