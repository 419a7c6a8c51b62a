import { UseGuards, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import { ErrorBodyDto } from '../common/error-body.dto';
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
    ApiResponse({
      status: 401,
      type: ErrorBodyDto,
      description:
        '"Unauthorized": access control is on (API_KEYS, CF_ACCESS_*) and the request has no valid API key ' +
        '(Authorization: Bearer) or Cloudflare Access token (Cf-Access-Jwt-Assertion header, CF_Authorization cookie).',
    }),
    ApiResponse({
      status: 403,
      type: ErrorBodyDto,
      description:
        '"Cross-site request refused": a POST or DELETE carrying a Cloudflare Access token (the ambient cookie, or ' +
        'the header Access derives from it) that another site sent (Sec-Fetch-Site cross-site, or a foreign Origin).',
    }),
  );
