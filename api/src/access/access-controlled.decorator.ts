import { UseGuards, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-body.dto';
import { AccessGuard } from './access.guard';

/**
 * Puts a controller (or route) under the optional access control (AccessGuard, off by default)
 * and documents it: an API key as a bearer token, or Cloudflare Access's token (header or cookie).
 */
export const AccessControlled = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    UseGuards(AccessGuard),
    ApiBearerAuth('api-key'),
    ApiSecurity('cf-access-header'),
    ApiCookieAuth('cf-access-cookie'),
    ApiErrorResponses('unauthorized', 'cross_site_request'),
  );
