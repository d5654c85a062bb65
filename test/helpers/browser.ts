import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { repoRoot } from './cli.js';

/** Debian's Chromium, installed by scripts/install-chromium.sh; CONTRAIL_CHROMIUM_PATH points elsewhere. */
export function chromiumPath(): string {
  const path = process.env.CONTRAIL_CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: run \`bash scripts/install-chromium.sh\` (npm test does), or set CONTRAIL_CHROMIUM_PATH`,
    );
  }
  return path;
}

/**
 * Headless Chromium driven by playwright-core. Background networking, component updates and
 * sync are off: the browser talks to the page under test on loopback and nothing else (on a
 * machine without internet it would otherwise keep trying Google's hosts).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Where tests leave files for people to look at (screenshots); gitignored. */
export function artifactPath(name: string): string {
  const dir = join(repoRoot, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
