import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { tokenMatches } from '../inference/admin/admin-token.guard';

/**
 * GET /metrics: open while METRICS_TOKEN is unset (keep it off the Internet: the tunnel's
 * configuration answers /metrics 404); with it set, 401 `Unauthorized` with a Bearer challenge
 * unless the request carries `Authorization: Bearer <METRICS_TOKEN>` (Prometheus' scrape config:
 * `authorization: {credentials: ...}`). A token of its own, so a scraper holds no admin rights.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.metricsToken;
    if (expected === undefined) return true;
    const authorization = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (match === null || !tokenMatches(match[1], expected)) {
      throw new ApiError('unauthorized', {
        headers: { 'WWW-Authenticate': 'Bearer realm="kiln3d-metrics"' },
      });
    }
    return true;
  }
}
