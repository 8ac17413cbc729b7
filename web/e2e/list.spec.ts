// The list under a filter shows what the filter asks for, even when the
// filter changed while an earlier page was still on its way.
import { expect, test, type Request } from "@playwright/test";
import { addToList, register } from "./support";

test("a filter changed while a page loads shows only the new filter's entries", async ({ page }) => {
  await register(page, "Filterer");
  await addToList(page, "Anime", "bebop", "Cowboy Bebop");
  await addToList(page, "Movie", "matrix", "The Matrix");

  // The list's first page (every kind) is held back until the kind has
  // been changed to Movie.
  const listEntries = /MediaService\/ListListEntries$/;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let held: Request | undefined;
  await page.route(listEntries, async (route) => {
    if (held) return route.continue();
    held = route.request();
    await released;
    await route.continue().catch(() => {}); // the page may have cancelled it
  });
  const heldSettled = new Promise<void>((resolve) => {
    const settled = (request: Request) => request === held && resolve();
    page.on("requestfinished", settled);
    page.on("requestfailed", settled);
  });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "List" }).click();
  await expect.poll(() => held).toBeDefined();
  await page.getByLabel("Kind").selectOption({ label: "Movie" });
  const matrix = page.getByRole("listitem").filter({ hasText: "The Matrix" });
  await expect(matrix).toBeVisible();

  release();
  await heldSettled;
  // Something else round the server and back, so the held page has been
  // dealt with by the time the list is looked at.
  await matrix.getByRole("button", { name: "+1 viewing of The Matrix" }).click();
  await expect(matrix.getByText(/^1( \/ \d+)? viewings?$/)).toBeVisible();
  const shown = page.getByRole("main").getByRole("listitem");
  await expect(shown.filter({ hasText: "Cowboy Bebop" })).toHaveCount(0);
  await expect(shown).toHaveCount(1);
});
