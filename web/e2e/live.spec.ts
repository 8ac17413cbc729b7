// One person, two windows: a change in one shows in the other without a
// reload; and a reload stays signed in.
import { expect, test } from "@playwright/test";
import { logIn, register } from "./support";

test("a change in one window appears in the other within a second", async ({ browser }) => {
  const phone = await browser.newContext();
  const laptop = await browser.newContext();
  const onPhone = await phone.newPage();
  const onLaptop = await laptop.newPage();

  const email = await register(onPhone, "Twins");
  await onPhone.getByRole("link", { name: "Search" }).click();
  await onPhone.getByLabel("Kind").selectOption({ label: "Anime" });
  await onPhone.getByLabel("Title").fill("bebop");
  await onPhone.getByRole("button", { name: "Search" }).click();
  await onPhone.getByRole("listitem").filter({ hasText: "Cowboy Bebop" }).getByRole("button", { name: "Add" }).click();
  await onPhone.getByRole("link", { name: "List" }).click();

  await logIn(onLaptop, email);
  const there = onLaptop.getByRole("listitem").filter({ hasText: "Cowboy Bebop" });
  await expect(there).toContainText("0 / 26 episodes");

  const here = onPhone.getByRole("listitem").filter({ hasText: "Cowboy Bebop" });
  await here.getByRole("button", { name: "+1 episode of Cowboy Bebop" }).click();
  await expect(here).toContainText("1 / 26 episodes");
  await expect(there).toContainText("1 / 26 episodes", { timeout: 1_000 });

  // And the other way, from the entry's page.
  await there.getByRole("link", { name: "Cowboy Bebop" }).click();
  await onLaptop.getByRole("button", { name: "+1" }).click();
  await expect(here).toContainText("2 / 26 episodes", { timeout: 1_000 });

  await phone.close();
  await laptop.close();
});

test("a reload stays signed in; a reused refresh token ends the session", async ({ page }) => {
  await register(page, "Reloader");
  const first = await page.evaluate(() => localStorage.getItem("completionist.refresh"));
  await page.reload();
  await expect(page.getByRole("heading", { name: "My list" })).toBeVisible();
  const second = await page.evaluate(() => localStorage.getItem("completionist.refresh"));
  expect(second, "the refresh token is rotated on use").not.toEqual(first);
  // Once more, so the first token's successor has been used too: within
  // the reuse interval, a rotated token whose successor is still unused
  // gets that successor (two tabs at once), which is not this case.
  await page.reload();
  await expect(page.getByRole("heading", { name: "My list" })).toBeVisible();
  const third = await page.evaluate(() => localStorage.getItem("completionist.refresh"));
  expect(third).not.toEqual(second);

  // Someone replays the old token: auth-service ends the whole session,
  // and the page sends its user to log in.
  await page.evaluate((token) => localStorage.setItem("completionist.refresh", token!), first);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
});
