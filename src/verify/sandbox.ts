/**
 * Network rules inside the verify child, on top of Node's permission model (pool.ts starts the child
 * with `--experimental-permission`, which limits files, child processes and workers but not the
 * network). Only the emulator on the loopback interface is reachable: every other TCP connection,
 * DNS query, UDP socket and server is refused, with an error the rule or Action sees and a note in
 * the verdict. This is JavaScript wrapping Node's own modules in the child's process: it holds for
 * code that uses Node's APIs, it is not an operating-system guarantee.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';

export const SANDBOX_ERROR = 'ERR_VERIFY_SANDBOX';

interface Policy {
  port: number;
  ca: string;
}

let policy: Policy | null = null;
let listenAllowed = false;
const blocked: string[] = [];

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

/** What the rule or Action tried and was refused, since the last call. */
export function takeBlocked(): string[] {
  return blocked.splice(0);
}

/** The emulator's port and certificate: the one destination allowed, and the one certificate trusted for it. */
export function allowEmulator(port: number, ca: string): void {
  policy = { port, ca };
}

/** Runs `start` with servers allowed (the emulator's); nothing else may listen. */
export function withListening<T>(start: () => T): T {
  listenAllowed = true;
  try {
    return start();
  } finally {
    listenAllowed = false;
  }
}

function refusal(what: string): NodeJS.ErrnoException {
  blocked.push(what);
  const error: NodeJS.ErrnoException = new Error(`verify sandbox: ${what} is blocked (only the local Management API emulator is reachable)`);
  error.code = SANDBOX_ERROR;
  return error;
}

interface Destination {
  host?: string;
  port?: number | string;
  /** A local socket when set (as net decides: a truthy path); http passes null here. */
  path?: string | null;
}

/** The destination of any form `socket.connect` takes: (options), (port[, host]), (path), or net.connect's normalized [options, cb]. */
function destinationOf(args: unknown[]): Destination {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'object' && first !== null) return first as Destination;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  }
  if (typeof first === 'string') return { path: first };
  return {};
}

function isEmulator(destination: Destination): boolean {
  if (!policy || destination.path) return false;
  const host = (destination.host ?? 'localhost').replace(/^\[|\]$/g, '');
  return LOOPBACK.has(host) && Number(destination.port) === policy.port;
}

function describe(destination: Destination): string {
  if (destination.path) return `a connection to the local socket ${destination.path}`;
  return `a connection to ${destination.host ?? 'localhost'}:${destination.port ?? '?'}`;
}

let installed = false;

export function installNetworkPolicy(): void {
  if (installed) return;
  installed = true;

  // Every TCP client (http, https, fetch/undici, http2, raw net and tls) connects through this method.
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const destination = destinationOf(args);
    if (isEmulator(destination)) return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    const error = refusal(describe(destination));
    process.nextTick(() => this.destroy(error));
    return this;
  } as typeof connect;

  // The emulator's certificate is trusted for the emulator only (no file, no NODE_EXTRA_CA_CERTS).
  const tlsConnect = tls.connect;
  (tls as { connect: unknown }).connect = (...args: unknown[]) => {
    const destination = destinationOf(args);
    if (policy && isEmulator(destination) && typeof args[0] === 'object' && args[0] !== null && !(args[0] as tls.ConnectionOptions).ca) {
      args[0] = { ...(args[0] as object), ca: policy.ca };
    } else if (policy && isEmulator(destination) && typeof args[0] !== 'object') {
      // (port, host, options?, cb?): add the CA to the options object or insert one.
      const optionsIndex = args.findIndex((a, i) => i > 0 && typeof a === 'object' && a !== null);
      if (optionsIndex > 0) args[optionsIndex] = { ca: policy.ca, ...(args[optionsIndex] as object) };
      else args.splice(typeof args[1] === 'string' ? 2 : 1, 0, { ca: policy.ca });
    }
    return (tlsConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
  };

  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    if (listenAllowed) return (listen as (...a: unknown[]) => net.Server).apply(this, args);
    const error = refusal('opening a server');
    process.nextTick(() => this.emit('error', error));
    return this;
  } as typeof listen;

  // DNS answers leave the machine too (a name can carry data): only "localhost" is looked up.
  const lookup = dns.lookup;
  (dns as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) => {
    if (LOOPBACK.has(hostname)) return (lookup as (...a: unknown[]) => unknown)(hostname, ...rest);
    const callback = rest.find((r) => typeof r === 'function') as ((err: Error) => void) | undefined;
    const error = refusal(`a DNS lookup of ${hostname}`);
    if (callback) process.nextTick(() => callback(error));
    else throw error;
  };
  const promisesLookup = dns.promises.lookup;
  (dns.promises as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) =>
    LOOPBACK.has(hostname)
      ? (promisesLookup as (...a: unknown[]) => unknown)(hostname, ...rest)
      : Promise.reject(refusal(`a DNS lookup of ${hostname}`));
  const resolvers = [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype] as unknown as Array<Record<string, unknown>>;
  for (const target of resolvers) {
    for (const key of Object.keys(target).concat(Object.getOwnPropertyNames(target))) {
      if (!/^(resolve\w*|reverse|lookupService)$/.test(key) || typeof target[key] !== 'function') continue;
      target[key] = (...args: unknown[]) => {
        const error = refusal(`a DNS query (${key} ${String(args[0])})`);
        const callback = args.find((a) => typeof a === 'function') as ((err: Error) => void) | undefined;
        if (callback) process.nextTick(() => callback(error));
        else if (target === dns.promises || target === (dns.promises.Resolver.prototype as unknown)) return Promise.reject(error);
        else throw error;
        return undefined;
      };
    }
  }

  (dgram as { createSocket: unknown }).createSocket = () => {
    throw refusal('a UDP socket');
  };
}
