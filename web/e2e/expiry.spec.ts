// Streams outlive their access token, as unary calls do: the live list and
// a watched import refresh the token and carry on, whether the token
// expires under an open stream or while the laptop sleeps.
//
// scripts/test-web.sh gives the stack access tokens of a few seconds
// (JWT_ACCESS_TTL_SECONDS, no leeway), so they expire within each test.
import { expect, test } from "@playwright/test";
import { addToList, logIn, malExport, register } from "./support";

const TTL_SECONDS = Number(process.env.JWT_ACCESS_TTL_SECONDS ?? 900);
/** Long enough for the access token a page holds now to have expired. */
const PAST_EXPIRY_MS = (TTL_SECONDS + 1) * 1000;

test.skip(TTL_SECONDS > 10, "needs the short-lived access tokens scripts/test-web.sh sets");

test("the live list outlives its access token, and a laptop asleep for longer", async ({ browser }) => {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const onLaptop = await laptop.newPage();
  const onPhone = await phone.newPage();

  const email = await register(onLaptop, "Sleeper");
  await addToList(onLaptop, "Anime", "bebop", "Cowboy Bebop");
  await onLaptop.getByRole("link", { name: "List" }).click();
  const there = onLaptop.getByRole("listitem").filter({ hasText: "Cowboy Bebop" });
  await expect(there).toContainText("0 / 26 episodes");
  await logIn(onPhone, email);
  const here = onPhone.getByRole("listitem").filter({ hasText: "Cowboy Bebop" });
  const bump = here.getByRole("button", { name: "+1 episode of Cowboy Bebop" });

  // The token expires under the laptop's open stream: the stream ends, the
  // page refreshes and listens again.
  await onLaptop.waitForRequest(/AuthService\/Refresh$/, { timeout: PAST_EXPIRY_MS + 5_000 });
  await bump.click();
  await expect(here).toContainText("1 / 26 episodes");
  await expect(there).toContainText("1 / 26 episodes");

  // The laptop sleeps (no network) for longer than a token lives; a change
  // is made meanwhile. It wakes with an expired token and streams to open.
  await laptop.setOffline(true);
  await onLaptop.waitForTimeout(PAST_EXPIRY_MS);
  await bump.click();
  await expect(here).toContainText("2 / 26 episodes");
  await laptop.setOffline(false);
  await expect(there).toContainText("2 / 26 episodes");
  await expect(onLaptop.getByRole("button", { name: "Log out" })).toBeVisible();
  // Still live after it woke.
  await bump.click();
  await expect(there).toContainText("3 / 26 episodes");

  await laptop.close();
  await phone.close();
});

test("an import being watched carries on after its access token expired", async ({ page }) => {
  await register(page, "Nightowl");
  await page.getByRole("link", { name: "Import/export" }).click();
  await page.getByLabel("File", { exact: true }).setInputFiles({
    name: "animelist.xml",
    mimeType: "application/xml",
    buffer: Buffer.from(malExport(300)),
  });

  // The import starts, but the page cannot reach the job's progress until
  // the token it holds has expired (a laptop closed as the upload ended).
  const watchImport = /MediaService\/WatchImport$/;
  await page.route(watchImport, (route) => route.abort("internetdisconnected"));
  await page.getByRole("button", { name: "Import" }).click();
  await page.waitForRequest(watchImport);
  await page.waitForTimeout(PAST_EXPIRY_MS);
  await page.unroute(watchImport);

  const status = page.getByRole("status").filter({ hasText: "rows" });
  await expect(status).toHaveText("Done: 301 of 301 rows", { timeout: 30_000 });
  await expect(page.getByText("300 added")).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
});
