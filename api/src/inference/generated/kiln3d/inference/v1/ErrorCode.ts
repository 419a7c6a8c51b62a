// Original file: proto/inference.proto

export const ErrorCode = {
  ERROR_CODE_UNSPECIFIED: 'ERROR_CODE_UNSPECIFIED',
  OOM: 'OOM',
  INVALID_INPUT: 'INVALID_INPUT',
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode =
  | 'ERROR_CODE_UNSPECIFIED'
  | 0
  | 'OOM'
  | 1
  | 'INVALID_INPUT'
  | 2
  | 'TIMEOUT'
  | 3
  | 'CANCELLED'
  | 4
  | 'INTERNAL'
  | 5;

export type ErrorCode__Output = (typeof ErrorCode)[keyof typeof ErrorCode];
