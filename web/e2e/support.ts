// Steps the browser tests share: a fresh account, a screenshot of a screen
// at phone and desktop width, and axe's verdict on it.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

export const PASSWORD = "correct horse battery staple";

export function uniqueEmail(who: string): string {
  return `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Registers through the page; ends on the (empty) list, signed in. */
export async function register(page: Page, name: string, email = uniqueEmail(name.toLowerCase())): Promise<string> {
  await page.goto("/register");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "My list" })).toBeVisible();
  return email;
}

export async function logIn(page: Page, email: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "My list" })).toBeVisible();
}

const WIDTHS = { phone: { width: 375, height: 812 }, desktop: { width: 1280, height: 800 } };

/** Screenshots of the screen as it is, at phone and desktop width, kept as
 * test artifacts; and no serious or critical axe violation at either. */
export async function checkScreen(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    const path = testInfo.outputPath(`${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    await testInfo.attach(`${name} (${label})`, { path, contentType: "image/png" });
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
    expect(serious, `${name} at ${label} width`).toEqual([]);
  }
  if (before) await page.setViewportSize(before);
}
