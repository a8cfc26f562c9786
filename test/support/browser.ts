// Debian's Chromium through playwright-core. Under CI=true a missing browser fails the tests that
// need it; elsewhere they are skipped with the reason printed.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function requiresChromium(): { skip?: string } {
  if (existsSync(CHROMIUM) || process.env.CI === "true") return {};
  return { skip: `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)` };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
