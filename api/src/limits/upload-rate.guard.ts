import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { clientAddress, limitKey } from '../common/client-address';
import { UploadRateService } from './upload-rate.service';

/**
 * POST /api/generate's per-minute limit, checked before the body is read (after the declared
 * size check and access control): the limit exists to spare the server the reading and decoding.
 * The client is clientAddress() (CF-Connecting-IP only from a trusted peer), grouped by limitKey().
 */
@Injectable()
export class UploadRateGuard implements CanActivate {
  constructor(private readonly rate: UploadRateService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.rate.count(limitKey(clientAddress(context.switchToHttp().getRequest<Request>())));
    return true;
  }
}
