import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * Who made an admin request, as far as the api can tell: ADMIN_TOKEN is one bearer shared by
 * every operator, so the client address (common/client-address: CF-Connecting-IP only from a
 * trusted proxy) and, with Cloudflare Access configured (CF_ACCESS_*), the email of the verified
 * Access token the request carried. AdminTokenGuard sets it on the request it lets through.
 */
export interface AdminOperator {
  address: string;
  /** The verified Cloudflare Access email; undefined without Access or without a token naming one. */
  email: string | undefined;
}

/** The request property AdminTokenGuard puts the operator on. */
const OPERATOR = Symbol('kiln3d.adminOperator');

type WithOperator = Request & { [OPERATOR]?: AdminOperator };

/** Puts the operator on the request (AdminTokenGuard, once the bearer matched). */
export function setAdminOperator(req: Request, operator: AdminOperator): void {
  (req as WithOperator)[OPERATOR] = operator;
}

/** The operator AdminTokenGuard found, or the bare address when the guard did not run. */
export function adminOperatorOf(req: Request): AdminOperator {
  return (req as WithOperator)[OPERATOR] ?? { address: req.ip ?? 'unknown', email: undefined };
}

/** The operator as log lines and the pause record say it: "203.0.113.9" or "203.0.113.9 (ana@example.com)". */
export function describeOperator(operator: AdminOperator): string {
  return operator.email === undefined ? operator.address : `${operator.address} (${operator.email})`;
}

/** Route parameter: who made this admin request, described (describeOperator). Use behind AdminTokenGuard. */
export const AdminOperatorName = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  describeOperator(adminOperatorOf(context.switchToHttp().getRequest<Request>())),
);
