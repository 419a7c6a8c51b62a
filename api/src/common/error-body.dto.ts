import { ApiProperty } from '@nestjs/swagger';

/** Every error answer: {"success": false, "error": "<message>"}. */
export class ErrorBodyDto {
  @ApiProperty({ example: false, enum: [false] })
  success!: false;
  @ApiProperty({ example: 'Unsupported image format' })
  error!: string;
}
