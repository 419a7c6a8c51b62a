import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AccessService } from './access.service';

/** AccessService's verdict on a request (401, 403 cross-site, or through); put on routes with AccessControlled(). */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly access: AccessService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.access.check(context.switchToHttp().getRequest<Request>());
    return true;
  }
}
