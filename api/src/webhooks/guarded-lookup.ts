import { type LookupAddress, type LookupAllOptions, lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { forbiddenAddressReason } from '../outbound/outbound-url-policy';

/** The resolver a guarded lookup asks: dns.lookup with `all: true` (tests inject their own). */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A connection refused because the name resolved to an address the policy forbids. The message
 * names neither the address nor its range: it is shown to the task's maker, and the api's DNS
 * answers for internal names are none of a stranger's business; `reason` (e.g. "private address
 * 10.0.0.7") is for the server's log.
 */
export class ForbiddenAddressError extends Error {
  readonly code = 'EWEBHOOKADDRESS';
  constructor(
    hostname: string,
    readonly reason: string,
  ) {
    super(`refused: ${hostname} resolves to a non-public address`);
    this.name = 'ForbiddenAddressError';
  }
}

/** Why an address must not be connected to, or undefined when it may (forbiddenAddressReason). */
export type AddressPolicy = (address: string) => string | undefined;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A `lookup` for net.connect / tls.connect (undici's `connect.lookup`) that resolves the name,
 * judges every address it resolves to (outbound/outbound-url-policy.ts forbiddenAddressReason) and
 * hands the socket exactly those addresses: the connection goes to the address checked, so no DNS
 * answer changed between check and connect (rebinding) can send it elsewhere. A name with any
 * forbidden address is refused whole (ForbiddenAddressError, code EWEBHOOKADDRESS): a receiver
 * has no reason to publish a private address beside its public one. Node skips `lookup` for a
 * literal IP host, which checkOutboundUrl judges before each request instead. `resolve` and
 * `policy` are seams for tests (a name for a test receiver; a loopback address standing in for a
 * public one).
 */
export function guardedLookup(
  resolve: Resolver = systemResolver,
  policy: AddressPolicy = forbiddenAddressReason,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(
      hostname,
      { family: options.family ?? 0, hints: options.hints, all: true },
      (error, addresses) => {
        if (error) {
          callback(error, '', 0);
          return;
        }
        for (const { address } of addresses) {
          const reason = policy(address);
          if (reason !== undefined) {
            callback(new ForbiddenAddressError(hostname, reason), '', 0);
            return;
          }
        }
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (options.all === true) {
          // net's own lookup contract: with `all`, the callback takes the list (LookupFunction's
          // type only names the single-address form).
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
          return;
        }
        callback(null, addresses[0].address, addresses[0].family);
      },
    );
  };
}
