// Original file: proto/inference.proto

export const AuthState = {
  AUTH_STATE_UNSPECIFIED: 'AUTH_STATE_UNSPECIFIED',
  AUTH_OK: 'AUTH_OK',
  AUTH_MISSING: 'AUTH_MISSING',
  AUTH_WRONG: 'AUTH_WRONG',
} as const;

export type AuthState = 'AUTH_STATE_UNSPECIFIED' | 0 | 'AUTH_OK' | 1 | 'AUTH_MISSING' | 2 | 'AUTH_WRONG' | 3;

export type AuthState__Output = (typeof AuthState)[keyof typeof AuthState];
