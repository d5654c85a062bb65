import { isIP, Socket } from 'node:net';

/**
 * Tests that talk to Google's clients must never reach Google: every outgoing TCP connection of
 * this process is checked, and one to anything but loopback is refused (the caller gets an
 * error) and remembered, so a test that swallowed the error still fails in its `after` hook
 * (`assertOnlyLoopback()`). The auth library's metadata-server probe and a forgotten endpoint
 * override are exactly what this catches.
 */
const blocked: string[] = [];
let installed = false;

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

interface ConnectOptionsLike {
  host?: string;
  path?: string;
}

function targetOf(args: unknown[]): { host: string | null; path: boolean } {
  const [first, second] = args;
  if (Array.isArray(first)) return targetOf(first); // the normalized [options, callback] form
  if (first && typeof first === 'object') {
    const options = first as ConnectOptionsLike;
    if (options.path) return { host: null, path: true };
    return { host: options.host ?? 'localhost', path: false };
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return { host: null, path: true };
  return { host: typeof second === 'string' ? second : 'localhost', path: false };
}

/** Installs the check on every socket this process opens (idempotent). */
export function allowOnlyLoopback(): void {
  if (installed) return;
  installed = true;
  const original = Socket.prototype.connect;
  // The signature is overloaded; arguments are inspected and passed through untouched.
  Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]) {
    const { host, path } = targetOf(args);
    if (!path && host !== null && !isLoopback(host)) {
      blocked.push(host);
      process.nextTick(() =>
        this.destroy(new Error(`test network guard: connection to ${host} refused (loopback only)`)),
      );
      return this;
    }
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
}

export function assertOnlyLoopback(): void {
  if (blocked.length > 0) {
    throw new Error(`connections left loopback (refused): ${[...new Set(blocked)].join(', ')}`);
  }
}
