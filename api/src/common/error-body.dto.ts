import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** Every error answer: {"success": false, "error": "<message>"}. */
export class ErrorBodyDto {
  @ApiProperty({ example: false, enum: [false] })
  success!: false;
  @ApiProperty({ example: 'Unsupported image format' })
  error!: string;
}

/** Any route can answer 500 "Internal error" (logged with its stack). */
export const ApiInternalErrorResponse = (): ClassDecorator & MethodDecorator =>
  ApiResponse({
    status: 500,
    type: ErrorBodyDto,
    description: '"Internal error" (the cause is logged with its stack)',
  });
