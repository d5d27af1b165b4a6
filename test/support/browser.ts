// A headless browser for the page tests, on any machine that ran `npm ci`: a system Chrome or
// Chromium when there is one (CHROME_PATH first), else on Linux x64 the Chromium that the npm
// package @sparticuz/chromium carries inside its tarball (a devDependency: nothing is downloaded
// at install time or when the test runs). Driven with puppeteer-core, which downloads nothing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

const SYSTEM_BROWSERS: Record<string, string[]> = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ],
  win32: [
    `${process.env.PROGRAMFILES ?? 'C:\\Program Files'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'}\\Google\\Chrome\\Application\\chrome.exe`,
    `${process.env.LOCALAPPDATA ?? ''}\\Google\\Chrome\\Application\\chrome.exe`,
  ],
};

/** Where the browser comes from: a path on this machine, or the packaged Chromium. */
export async function findBrowser(): Promise<{ executablePath: string; source: 'system' | 'package' } | null> {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv && existsSync(fromEnv)) return { executablePath: fromEnv, source: 'system' };
  const system = (SYSTEM_BROWSERS[process.platform] ?? []).find((p) => existsSync(p));
  if (system) return { executablePath: system, source: 'system' };
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      const { default: chromium } = await import('@sparticuz/chromium');
      // Unpacks the brotli-compressed binary into the temporary folder once (os.tmpdir()/chromium).
      return { executablePath: await chromium.executablePath(), source: 'package' };
    } catch {
      return null;
    }
  }
  return null;
}

// Flags for a machine with a closed network: without the background-networking ones Chromium keeps
// opening connections that are refused; --no-sandbox because tests may run as root (CI does).
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-domain-reliability',
];

export interface HeadlessBrowser {
  browser: Browser;
  source: 'system' | 'package';
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<HeadlessBrowser> {
  const found = await findBrowser();
  if (!found) {
    throw new Error(
      'No browser for the page test: set CHROME_PATH to a Chrome or Chromium, or install one (on Linux x64 `npm ci` brings @sparticuz/chromium).',
    );
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'r2a-browser-'));
  const browser = await puppeteer.launch({
    executablePath: found.executablePath,
    // The package ships chrome-headless-shell; a system Chrome (132+) has only the new headless mode.
    headless: found.source === 'package' ? 'shell' : true,
    args: [...FLAGS, `--user-data-dir=${profile}`],
    // The packaged shell and a system Chrome both answer over a pipe: no debugging port to open.
    pipe: true,
  });
  return {
    browser,
    source: found.source,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
