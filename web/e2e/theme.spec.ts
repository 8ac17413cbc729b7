// A dark system theme gets a dark app, as readable as the light one.
import { expect, test } from "@playwright/test";
import { addToList, checkScreen, register } from "./support";

test.use({ colorScheme: "dark" });

test("the app follows a dark system theme", async ({ page }, testInfo) => {
  await register(page, "Owl");
  const [r, g, b] = await page.evaluate(() =>
    getComputedStyle(document.documentElement)
      .backgroundColor.match(/\d+/g)!
      .slice(0, 3)
      .map(Number),
  );
  expect(Math.max(r, g, b), `background rgb(${r}, ${g}, ${b})`).toBeLessThan(64);

  // axe checks the colours' contrast, among the rest.
  await addToList(page, "Anime", "bebop", "Cowboy Bebop");
  await checkScreen(page, testInfo, "search-dark");
  await page.getByRole("link", { name: "List" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: "Cowboy Bebop" })).toBeVisible();
  await checkScreen(page, testInfo, "list-dark");
  await page.getByRole("link", { name: "Cowboy Bebop" }).click();
  await expect(page.getByRole("heading", { name: "Cowboy Bebop" })).toBeVisible();
  await checkScreen(page, testInfo, "entry-dark");
});
