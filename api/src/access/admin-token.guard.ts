import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** True when a bearer token equals the expected one; hashing first makes the comparison constant-time whatever the lengths. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Admin routes: 404 `Not found` while ADMIN_TOKEN is unset (the routes are off), 401
 * `Unauthorized` (docs/design.md's row) with a Bearer challenge unless the request carries
 * `Authorization: Bearer <ADMIN_TOKEN>`.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (expected === undefined) throw new ApiError('not_found');
    const authorization = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (match === null || !tokenMatches(match[1], expected)) {
      throw new ApiError('unauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="kiln3d-admin"' } });
    }
    return true;
  }
}
