import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import { requireService } from './services.ts';

/**
 * What every browser test shares: Debian's Chromium (never a downloaded browser), launched with
 * the flags this machine needs, and the axe-core check every page must pass.
 */
export const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Whether the browser tests run: false with a printed skip, a failure under VETO_REQUIRE_SERVICES. */
export function chromiumAvailable(): boolean {
  return requireService(
    'chromium',
    existsSync(CHROMIUM),
    `${CHROMIUM} is not installed (apt-get install -y chromium)`,
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Runs axe-core on the page and fails with each violation and where it is. */
export async function assertNoAxeViolations(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: { id: string; help: string; nodes: { target: string[] }[] }[];
  };
  const summary = result.violations.map(
    (v) => `${v.id}: ${v.help} @ ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(summary, [], `axe-core violations on ${name} (${page.url()})`);
}
