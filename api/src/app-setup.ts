import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { BODY_LIMIT_KB } from './common/error-table';
import { docsContentSecurityPolicy, securityHeaders } from './common/security-headers';
import type { AppConfig } from './config/app-config';
import { modelCors } from './storage/model-cors.middleware';
import { webAppMiddleware } from './storage/web-app.middleware';

/** The OpenAPI document of the app (also written to api/openapi.json by the openapi script). */
export function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Kiln3D API')
    .setDescription(
      'One picture in, a GLB model out. Every error body is {"success": false, "error": "<message>", ' +
        '"code": "<code>"} (decide by `code`: the ErrorCode enum); ' +
        'unknown routes answer 404 "Not found".',
    )
    .setVersion('1.0')
    // The ops routes (/api/admin/...) take ADMIN_TOKEN as a bearer token.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'ADMIN_TOKEN' })
    // Optional access control of generate and the task routes (off unless API_KEYS or CF_ACCESS_* are set).
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'One of API_KEYS' },
      'api-key',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Cf-Access-Jwt-Assertion',
        description: 'Cloudflare Access token',
      },
      'cf-access-header',
    )
    .addCookieAuth(
      'CF_Authorization',
      { type: 'apiKey', in: 'cookie', description: 'Cloudflare Access token' },
      'cf-access-cookie',
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Everything main.ts does to the app besides listening: shared with the tests. */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  // A list of addresses and subnets only (AppConfig refuses true and hop counts); [] trusts none.
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Before every route, so errors, the web app, the GLBs and Swagger UI all carry them.
  const modelOrigins =
    config.storage.kind === 's3' && config.storage.publicUrl
      ? [new URL(config.storage.publicUrl).origin]
      : [];
  app.use(securityHeaders(modelOrigins));
  app.use('/api/docs', docsContentSecurityPolicy());
  // No route takes such a body; a larger one is 413 body_too_large (error table).
  app.useBodyParser('json', { limit: `${BODY_LIMIT_KB}kb` });
  app.useBodyParser('urlencoded', { limit: `${BODY_LIMIT_KB}kb`, extended: false });
  // Models load from any site; the API only from the origins CORS_ORIGINS lists (none: same-origin).
  app.use('/static', modelCors());
  if (config.corsOrigins.length > 0) {
    app.enableCors((req: { url?: string }, callback) => {
      const model = /^\/static(\/|$)/i.test(req.url ?? '');
      callback(
        null,
        model
          ? { origin: false }
          : { origin: config.corsOrigins, exposedHeaders: ['Retry-After', 'WWW-Authenticate'] },
      );
    });
  }
  app.use(webAppMiddleware(config.webDir));
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
  app.enableShutdownHooks();
}
