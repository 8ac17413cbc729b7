// Steps the browser tests share: a fresh account, something on its list,
// a file to import, a screenshot of a screen at phone and desktop width,
// and axe's verdict on it.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Dialog, type Locator, type Page, type TestInfo } from "@playwright/test";

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

/** Searches `kind` for `query` and adds the result called `title`; ends on
 * the search screen. */
export async function addToList(page: Page, kind: string, query: string, title: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
  await page.getByLabel("Kind").selectOption({ label: kind });
  await page.getByLabel("Title").fill(query);
  await page.getByRole("button", { name: "Search" }).click();
  const result = page.getByRole("listitem").filter({ has: page.getByText(title, { exact: true }) });
  await result.getByRole("button", { name: "Add" }).click();
  await expect(result.getByRole("button", { name: "On your list" })).toBeDisabled();
}

/** Clicks `target`, answers the confirmation it asks for, and returns the
 * question ("" if none was asked). */
export async function clickAndAnswer(page: Page, target: Locator, answer: "yes" | "no"): Promise<string> {
  let question = "";
  const handle = (dialog: Dialog) => {
    question = dialog.message();
    void (answer === "yes" ? dialog.accept() : dialog.dismiss());
  };
  page.once("dialog", handle);
  try {
    await target.click();
  } finally {
    page.off("dialog", handle);
  }
  return question;
}

/** A MyAnimeList export of `n` shows, and a row the import cannot take. */
export function malExport(n: number): string {
  let xml = '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n';
  for (let id = 1; id <= n; id++) {
    xml += `<anime><series_animedb_id>${id}</series_animedb_id><series_title><![CDATA[Show ${id}]]></series_title><series_type>TV</series_type><series_episodes>12</series_episodes><my_watched_episodes>${id % 12}</my_watched_episodes><my_score>${id % 11}</my_score><my_status>Watching</my_status><my_start_date>0000-00-00</my_start_date><my_finish_date>0000-00-00</my_finish_date><my_times_watched>0</my_times_watched></anime>\n`;
  }
  // A row with a status MyAnimeList never writes.
  xml += `<anime><series_animedb_id>${n + 1}</series_animedb_id><series_title><![CDATA[Broken Row]]></series_title><my_status>Binged</my_status></anime>\n`;
  return xml + "</myanimelist>\n";
}

const WIDTHS = { phone: { width: 375, height: 812 }, desktop: { width: 1280, height: 800 } };

/** Screenshots of the screen as it is, at phone and desktop width, kept as
 * test artifacts; at either, nothing wider than the window (the page does
 * not scroll sideways) and no serious or critical axe violation. */
export async function checkScreen(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    const path = testInfo.outputPath(`${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    await testInfo.attach(`${name} (${label})`, { path, contentType: "image/png" });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} at ${label} width: pixels past the window's right edge`).toBeLessThanOrEqual(0);
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
    expect(serious, `${name} at ${label} width`).toEqual([]);
  }
  if (before) await page.setViewportSize(before);
}
