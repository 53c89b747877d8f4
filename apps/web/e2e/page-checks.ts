// Checks of how a console page lays out, shared by the browser tests: the 390 px phone rules and cut texts.
import assert from "node:assert/strict";
import path from "node:path";
import type { Page } from "playwright-core";
import { ARTIFACTS } from "./harness.ts";

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };

/** Texts of the elements matching `selector` whose content is wider than their box (cut by an ellipsis or hidden). */
export const cutTexts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent ?? ""));

/**
 * At phone width: the page does not scroll sideways and no table cell cuts its text (a screenshot goes to the
 * artifacts); with `signOut`, Sign out can be reached on screen too (through the menu when the header has folded).
 */
export async function assertFitsPhone(page: Page, what: string, { signOut = true }: { signOut?: boolean } = {}) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `${what}: the page scrolls sideways (${scrollWidth} px of content in ${clientWidth} px)`);
  assert.deepEqual(await cutTexts(page, "table td"), [], `${what}: table cells cut`);
  await page.screenshot({ path: path.join(ARTIFACTS, `mobile-${what.replace(/[^a-z0-9]+/gi, "-")}.png`), fullPage: true });
  if (signOut) await assertSignOutOnScreen(page, what);
}

async function assertSignOutOnScreen(page: Page, what: string) {
  const menu = page.getByRole("button", { name: "Menu" });
  const folded = await menu.isVisible();
  if (folded) await menu.click();
  const signOut = page.getByRole("button", { name: "Sign out" });
  await signOut.waitFor({ state: "visible" });
  const box = await signOut.boundingBox();
  assert.ok(
    box && box.x >= 0 && box.y >= 0 && box.x + box.width <= PHONE.width && box.y + box.height <= PHONE.height,
    `${what}: Sign out is on screen (${JSON.stringify(box)})`,
  );
  if (folded) {
    await page.keyboard.press("Escape");
    await signOut.waitFor({ state: "hidden" });
  }
}
