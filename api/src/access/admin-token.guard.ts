import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { clientAddress } from '../common/client-address';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AccessService } from './access.service';
import { setAdminOperator } from './admin-operator';

/** True when a bearer token equals the expected one; hashing first makes the comparison constant-time whatever the lengths. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Admin routes: 404 `Not found` while ADMIN_TOKEN is unset (the routes are off), 401
 * `Unauthorized` (docs/design.md's row) with a Bearer challenge unless the request carries
 * `Authorization: Bearer <ADMIN_TOKEN>`. The bearer alone decides (a Cloudflare Access cookie
 * does not open the admin routes); a request let through carries its operator (admin-operator.ts:
 * the client address, and the verified Access email where Access is configured) for the logs.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    // Absent where a module does not import AccessModule: the operator is then its address only.
    @Optional() private readonly access?: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const expected = this.config.adminToken;
    if (expected === undefined) throw new ApiError('not_found');
    const req = context.switchToHttp().getRequest<Request>();
    const authorization = req.headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (match === null || !tokenMatches(match[1], expected)) {
      throw new ApiError('unauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="kiln3d-admin"' } });
    }
    setAdminOperator(req, {
      address: clientAddress(req),
      email: await this.access?.verifiedEmail(req.headers),
    });
    return true;
  }
}
