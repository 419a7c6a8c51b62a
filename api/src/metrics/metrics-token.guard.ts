import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { isLocalRequest } from '../common/client-address';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { tokenMatches } from '../access/admin-token.guard';

/**
 * GET /metrics. While METRICS_TOKEN is unset: served only to this machine (isLocalRequest: the
 * socket's peer is loopback, never a forwarded address, and no proxy relayed the request, so a
 * cloudflared on this machine does not make a visitor local); anyone else gets 403 `Forbidden`
 * (a LAN scraper needs the token). With it set, 401 `Unauthorized` with a Bearer challenge
 * unless the request carries `Authorization: Bearer <METRICS_TOKEN>` (Prometheus' scrape config:
 * `authorization: {credentials: ...}`), from anywhere. A token of its own, so a scraper holds no
 * admin rights. The tunnel's configuration also answers /metrics 404 at the edge.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.metricsToken;
    const req = context.switchToHttp().getRequest<Request>();
    if (expected === undefined) {
      if (isLocalRequest(req)) return true;
      throw new ApiError('forbidden');
    }
    const authorization = req.headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (match === null || !tokenMatches(match[1], expected)) {
      throw new ApiError('unauthorized', {
        headers: { 'WWW-Authenticate': 'Bearer realm="kiln3d-metrics"' },
      });
    }
    return true;
  }
}
