import { readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Debian's Chromium (or RN_CHROMIUM), headless, for the console's browser tests. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: process.env['RN_CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

/** Waits until `check` gives a value (bounded), saying what it waited for. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string | (() => string),
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The serious and critical accessibility violations axe-core finds on the page. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            o: unknown,
          ) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    return axe.run({ resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A form field by its label (a required one's label ends with " *"). */
export const labelled = (label: string) =>
  new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\*)?$`);
/** Where a field is looked for: the page, or one form of it (a locator). */
type Scope = Pick<Page, 'getByLabel'>;
export const field = (scope: Scope, label: string) => scope.getByLabel(labelled(label));

/** Picks an option of a select field (of `scope`, one form, when the page has several such fields). */
export async function select(page: Page, label: string, option: string, scope: Scope = page) {
  await field(scope, label).first().click({ force: true });
  await page.getByRole('option', { name: option, exact: true }).click();
}

/**
 * The error shown beside a field: the text of what its input is described by (the error, then
 * any description, as a screen reader announces it), once the input is marked invalid; waits for it.
 */
export async function fieldError(scope: Scope, label: string, timeoutMs = 15_000): Promise<string> {
  const input = field(scope, label).first();
  return eventually(
    async () =>
      // Mantine marks a password input data-invalid (others aria-invalid too).
      ((await input.getAttribute('aria-invalid')) === 'true' ||
        (await input.getAttribute('data-invalid')) === 'true') &&
      input.evaluate((el) =>
        (el.getAttribute('aria-describedby') ?? '')
          .split(/\s+/)
          .map((id: string) => el.ownerDocument.getElementById(id)?.textContent ?? '')
          .join(' ')
          .trim(),
      ),
    `an error beside the field ${label}`,
    timeoutMs,
  );
}

/**
 * Chromium's virtual authenticator (CDP WebAuthn domain) for the page: a platform authenticator
 * with resident keys and user verification, as a laptop's fingerprint reader is.
 */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
}
