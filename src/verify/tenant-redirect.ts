/**
 * Points requests for any tenant's Management API (`https://<host>/api/v2…`, `https://<host>/oauth/token`)
 * at the emulator, for rules (and Actions) that name their tenant instead of using `auth0.baseUrl` or a
 * secret: `https://example.auth0.com/api/v2/users`, a keyword token replaced by a domain, a
 * ManagementClient built with a literal domain. Only the verify child installs it.
 *
 * Node's `https.request`/`https.get` (request, axios, superagent: auth0 v2) and the global `fetch`
 * (auth0 v4 and v7) are wrapped; the request keeps its path, query, method, body and headers, and
 * carries MAPPED_FROM_HEADER so the emulator can record it and accept the tenant's audience.
 */
import https from 'node:https';
import type { RequestOptions } from 'node:https';

export const MAPPED_FROM_HEADER = 'x-rules2actions-mapped-from';

let target: { host: string; port: number } | null = null;

/** Requests for this origin are left alone; every other tenant's API goes there. */
export function setRedirectTarget(host: string, port: number): void {
  target = { host, port };
}

/** Whether a request for `host` + `path` is one this redirect serves. */
export function isTenantApi(host: string, port: string | number | undefined, path: string): boolean {
  if (!target) return false;
  if (host === target.host && String(port ?? '') === String(target.port)) return false;
  if (host === 'localhost' || host === '127.0.0.1') return false;
  const bare = path.split('?')[0];
  return bare === '/api/v2' || bare.startsWith('/api/v2/') || bare === '/oauth/token';
}

let installed = false;

export function installTenantRedirect(): void {
  if (installed) return;
  installed = true;
  const originalRequest = https.request;
  const originalGet = https.get;
  const originalFetch = globalThis.fetch;

  // Same overloads as https.request: (url[, options][, callback]) or (options[, callback]).
  const rewrite = (args: unknown[]): unknown[] => {
    const [first, second] = args;
    if (typeof first === 'string' || first instanceof URL) {
      const url = new URL(first);
      if (url.protocol !== 'https:' || !isTenantApi(url.hostname, url.port || 443, url.pathname)) return args;
      const from = url.host;
      url.hostname = target!.host;
      url.port = String(target!.port);
      const options = typeof second === 'object' && second !== null && typeof second !== 'function' ? (second as RequestOptions) : null;
      const rest = args.slice(options ? 2 : 1);
      return [url, redirectOptions(options ?? {}, from, true), ...rest];
    }
    if (typeof first === 'object' && first !== null) {
      const options = first as RequestOptions;
      const host = options.hostname ?? (options.host ?? 'localhost').replace(/:\d+$/, '');
      if ((options.protocol ?? 'https:') !== 'https:' || !isTenantApi(host, options.port ?? 443, options.path ?? '/')) return args;
      return [redirectOptions(options, host, false), ...args.slice(1)];
    }
    return args;
  };

  https.request = ((...args: unknown[]) => (originalRequest as (...a: unknown[]) => unknown)(...rewrite(args))) as typeof https.request;
  https.get = ((...args: unknown[]) => (originalGet as (...a: unknown[]) => unknown)(...rewrite(args))) as typeof https.get;

  if (typeof originalFetch === 'function') {
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      if (url.protocol !== 'https:' || !isTenantApi(url.hostname, url.port || 443, url.pathname)) return originalFetch(input, init);
      const from = url.host;
      url.hostname = target!.host;
      url.port = String(target!.port);
      const request = new Request(url, input instanceof Request ? input : undefined);
      const headers = new Headers(init?.headers ?? request.headers);
      headers.set(MAPPED_FROM_HEADER, from);
      return originalFetch(new Request(request, { ...init, headers }));
    }) as typeof fetch;
  }
}

function redirectOptions(options: RequestOptions, from: string, urlGiven: boolean): RequestOptions {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (name.toLowerCase() !== 'host') headers[name] = value;
  }
  headers[MAPPED_FROM_HEADER] = from;
  // The Host header decides the TLS server name: it must name the emulator's certificate.
  headers.host = `${target!.host}:${target!.port}`;
  if (urlGiven) return { ...options, headers: headers as RequestOptions['headers'], servername: target!.host };
  return {
    ...options,
    host: target!.host,
    hostname: target!.host,
    port: target!.port,
    servername: target!.host,
    headers: headers as RequestOptions['headers'],
  };
}
