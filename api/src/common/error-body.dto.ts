import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { ERROR_CODES, ERROR_TABLE, type ErrorCode, type ErrorRow } from './error-table';

/** Every error answer: {"success": false, "error": "<message>", "code": "<code>"} (common/error-table.ts). */
export class ErrorBodyDto {
  @ApiProperty({ example: false, enum: [false] })
  success!: false;
  @ApiProperty({
    example: 'Unsupported image format',
    description: 'The contract message, for people (its words never change)',
  })
  error!: string;
  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    example: 'unsupported_image',
    description: "The message's stable machine code: what a client decides by",
  })
  code!: string;
}

/** One code as a route's Swagger text shows it: `code` (`message`): when. */
function describeCode(code: ErrorCode): string {
  const row: ErrorRow = ERROR_TABLE[code];
  return `\`${code}\` (\`${row.message}\`): ${row.when}`;
}

/**
 * Documents the error answers a route (or a controller's every route) may give, from the error
 * table: one response per status with ErrorBodyDto, its codes, messages and when each is given,
 * and the headers those rows carry (Retry-After, ...). Never restates a message.
 */
export const ApiErrorResponses = (...codes: ErrorCode[]): ClassDecorator & MethodDecorator => {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_TABLE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, rows]) => {
        // A header several codes of one status carry says what it is for each (Retry-After: the
        // mean job duration for server_busy, 60 s for admissions_paused, ...), not the last one's.
        const headers: Record<string, { description: string; schema: { type: string } }> = {};
        for (const code of rows) {
          for (const [name, header] of Object.entries((ERROR_TABLE[code] as ErrorRow).headers ?? {})) {
            const said = `${code}: ${header.description}`;
            const before = headers[name];
            headers[name] = {
              description: before === undefined ? said : `${before.description}; ${said}`,
              schema: { type: header.type },
            };
          }
        }
        return ApiResponse({
          status,
          type: ErrorBodyDto,
          description: rows.map(describeCode).join('; '),
          ...(Object.keys(headers).length > 0 ? { headers } : {}),
        });
      }),
  );
};

/**
 * Any route can answer 500 internal_error "Internal error" (logged with its stack), and, since
 * those that carry it read or write Redis, 503 store_unavailable while Redis does not answer and
 * 507 store_full when Redis refuses a write at its maxmemory.
 */
export const ApiInternalErrorResponse = (): ClassDecorator & MethodDecorator =>
  ApiErrorResponses('internal_error', 'store_unavailable', 'store_full');
