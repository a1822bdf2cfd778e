// Headless Chromium from the @sparticuz/chromium npm package driven by puppeteer-core, so browser
// tests need nothing but `npm ci` (no system browser). CHROMIUM_PATH overrides the binary.

import chromium from "@sparticuz/chromium";
import puppeteer, { type Browser } from "puppeteer-core";

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? (await chromium.executablePath());
  return puppeteer.launch({
    executablePath,
    args: chromium.args,
    headless: chromium.headless,
    defaultViewport: { width: 1280, height: 900 },
  });
}
