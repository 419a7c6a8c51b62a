import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { clientAddress, limitKey } from '../common/client-address';
import { ReadRateService } from './read-rate.service';

/**
 * READS_PER_MINUTE on a task route, after access control (a guard of the route, so the
 * controller-wide AccessGuard runs first). The client is clientAddress(), grouped by limitKey().
 */
@Injectable()
export class ReadRateGuard implements CanActivate {
  constructor(private readonly rate: ReadRateService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.rate.count(limitKey(clientAddress(context.switchToHttp().getRequest<Request>())));
    return true;
  }
}
