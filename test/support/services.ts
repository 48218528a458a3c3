/**
 * Tests that need PostgreSQL, NATS or Chromium call this first. When the service is missing the
 * test is skipped with the printed reason, unless VETO_REQUIRE_SERVICES=1 (set by .ci/run), where
 * a missing service is a failure: CI must never pass by skipping.
 *
 *   if (!requireService('chromium', existsSync(CHROMIUM), `${CHROMIUM} not found`)) return t.skip();
 */
export function requireService(name: string, available: boolean, reason: string): boolean {
  if (available) return true;
  if (process.env.VETO_REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (VETO_REQUIRE_SERVICES=1) but unavailable: ${reason}`);
  }
  console.log(`# skipping: ${name} unavailable: ${reason}`);
  return false;
}
