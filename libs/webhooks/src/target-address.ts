import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side request forgery guard for webhook targets. By default only
 * public unicast addresses are called: loopback, private, link-local (the
 * cloud metadata service at 169.254.169.254 and fd00:ec2::254 among them),
 * carrier-grade NAT, unique-local, multicast and reserved ranges are refused.
 * The check runs when a subscription is saved and again on the address each
 * connection actually uses (DNS may answer differently the second time).
 */
export function addressProblem(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? null : `${address} is a ${range} address`;
}

/** A `lookup` for http.request that resolves as usual and refuses any address addressProblem names. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = allowPrivate ? addresses : addresses.filter((a) => addressProblem(a.address) === null);
      if (allowed.length === 0) {
        const refused = new Error(`refused: ${hostname} resolves only to addresses webhooks may not call (${addresses.map((a) => addressProblem(a.address)).join('; ')})`);
        return callback(Object.assign(refused, { code: 'WEBHOOK_TARGET_REFUSED' }), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** Why every address `hostname` resolves to is refused, or null when one may be called (or private targets are allowed). */
export async function hostProblem(hostname: string, allowPrivate: boolean): Promise<string | null> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(bare)) return allowPrivate ? null : addressProblem(bare);
  return new Promise((resolve) => {
    guardedLookup(allowPrivate)(bare, { all: true }, (error) => {
      if (error === null) return resolve(null);
      resolve((error as NodeJS.ErrnoException).code === 'WEBHOOK_TARGET_REFUSED' ? error.message.replace(/^refused: /, '') : `${bare} does not resolve (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    });
  });
}
