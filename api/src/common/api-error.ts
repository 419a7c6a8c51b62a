/**
 * Errors the HTTP contract names (docs/design.md, HTTP contract). Every error body is
 * {"success": false, "error": "<message>"}; the global filter turns ApiError into that body.
 */
export const ErrorMessage = {
  unsupportedImage: 'Unsupported image format',
  imageTooSmall: 'Image too small, min 64x64',
  noObject: 'No object found in the image',
  busy: 'Server busy, retry later',
  tooManyRequests: 'Too many requests, retry later',
  timeout: 'Generation timeout',
  outOfMemory: 'GPU out of memory',
  internal: 'Internal error',
  missingImage: 'Missing file field "image"',
  oneFileOnly: 'Send exactly one file, in the field "image"',
  notFound: 'Not found',
  taskNotFound: 'Task not found',
  previewNotFound: 'No preview yet',
  cancelled: 'Task cancelled',
  alreadyFinished: 'Task already finished',
  unauthorized: 'Unauthorized',
  badRequest: 'Bad request',
  webAppNotBuilt: 'Web app not built',
  rangeNotSatisfiable: 'Range not satisfiable',
  /** GET /metrics from beyond loopback (or through a proxy) while METRICS_TOKEN is unset. */
  forbidden: 'Forbidden',
  /** A POST/DELETE carrying a Cloudflare Access credential but sent by another site (CSRF). */
  crossSite: 'Cross-site request refused',
} as const;

/** 413 message; it names the configured limit, e.g. "File too large, max 10MB". */
export function fileTooLargeMessage(maxUploadMb: number): string {
  return `File too large, max ${maxUploadMb}MB`;
}

/** HTTP status a cancelled task reports (in its failed snapshot and to ?wait=true callers). */
export const CANCELLED_HTTP_STATUS = 409;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
