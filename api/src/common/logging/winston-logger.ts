import { mkdirSync } from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { WinstonModule, utilities as nestWinstonUtilities } from 'nest-winston';
import * as winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

function stackText(stack: unknown): string {
  const parts = (Array.isArray(stack) ? stack : [stack]).filter((s): s is string => typeof s === 'string');
  return parts.length > 0 ? `\n${parts.join('\n')}` : '';
}

/**
 * The one logger of the process (docs/design.md, Operations): console plus LOG_DIR/app-YYYY-MM-DD.log,
 * one file a day, kept 7 days, with LOG_DIR/app.log a symlink to the current day's file.
 * Nest's Logger forwards to it once main.ts calls app.useLogger().
 */
export function createAppLogger(logDir: string): LoggerService {
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
  return WinstonModule.createLogger({
    level: 'info',
    transports: [
      new winston.transports.Console({
        format: winston.format.combine(
          winston.format.timestamp(),
          nestWinstonUtilities.format.nestLike('Kiln3D', { colors: false, prettyPrint: true }),
        ),
      }),
      new DailyRotateFile({
        dirname: logDir,
        filename: 'app-%DATE%.log',
        datePattern: 'YYYY-MM-DD',
        maxFiles: '7d',
        createSymlink: true,
        symlinkName: 'app.log',
        format: fileFormat,
      }),
    ],
  });
}
