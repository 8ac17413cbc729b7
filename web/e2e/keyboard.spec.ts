// The app without a mouse: the skip link first on a fresh page, labelled
// fields in order, Enter submits, a new screen takes the focus, and the +1
// reachable and pressable from the keyboard.
import { expect, test } from "@playwright/test";
import { PASSWORD, register } from "./support";

test("signing in and bumping progress work from the keyboard alone", async ({ page }) => {
  const email = await register(page, "Keys");

  // Logging out moves the focus to the new screen: Tab goes to its first field.
  await page.getByRole("button", { name: "Log out" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(page.locator("#main")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Email")).toBeFocused();

  // A fresh page: the skip link comes first and skips the header.
  await page.goto("/login");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "My list" })).toBeVisible();

  // Add something, then bump it with Space.
  await page.getByRole("link", { name: "Search" }).click();
  await page.getByLabel("Kind").selectOption({ label: "Anime" });
  await page.getByLabel("Title").fill("bebop");
  await page.getByLabel("Title").press("Enter");
  await page.getByRole("listitem").filter({ hasText: "Cowboy Bebop" }).getByRole("button", { name: "Add" }).click();
  await page.getByRole("link", { name: "List" }).click();
  const bump = page.getByRole("button", { name: "+1 episode of Cowboy Bebop" });
  await bump.focus();
  await page.keyboard.press("Space");
  await expect(page.getByRole("listitem").filter({ hasText: "Cowboy Bebop" })).toContainText("1 / 26 episodes");
});
