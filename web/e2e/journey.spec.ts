// A person's whole first visit: register, find a show, add it, watch an
// episode, finish it, see the stats, take an export, log out.
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { checkScreen, register } from "./support";

test("register → search → add → progress → complete → stats → export → log out", async ({ page }, testInfo) => {
  await page.goto("/register");
  await checkScreen(page, testInfo, "register");
  await register(page, "Journey");
  await checkScreen(page, testInfo, "list-empty");

  // Search anime and add the first result.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
  await page.getByLabel("Kind").selectOption({ label: "Anime" });
  await page.getByLabel("Title").fill("bebop");
  await page.getByRole("button", { name: "Search" }).click();
  const result = page.getByRole("listitem").filter({ hasText: "Cowboy Bebop" });
  await expect(result).toContainText("1998");
  await expect(result).toContainText("26 episodes");
  await checkScreen(page, testInfo, "search");
  await result.getByRole("button", { name: "Add" }).click();
  await expect(result.getByRole("button", { name: "On your list" })).toBeDisabled();

  // The list: one more episode in one tap, which starts a planned entry.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "List" }).click();
  const entry = page.getByRole("listitem").filter({ hasText: "Cowboy Bebop" });
  await expect(entry).toContainText("0 / 26 episodes");
  await expect(entry).toContainText("Planned");
  await entry.getByRole("button", { name: "+1 episode of Cowboy Bebop" }).click();
  await expect(entry).toContainText("1 / 26 episodes");
  await expect(entry).toContainText("In progress");
  await checkScreen(page, testInfo, "list");

  // The entry's page: complete it, with a rating and a note.
  await entry.getByRole("link", { name: "Cowboy Bebop" }).click();
  await expect(page.getByRole("heading", { name: "Cowboy Bebop" })).toBeVisible();
  await page.getByLabel("Status").selectOption({ label: "Completed" });
  await page.getByLabel("Rating (1–10)").fill("9");
  await page.getByLabel("Notes").fill("See you, space cowboy.");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByText("completed 1 time")).toBeVisible();
  await expect(page.getByRole("region", { name: "Runs" }).getByRole("listitem")).toHaveCount(1);
  await checkScreen(page, testInfo, "entry");

  // Stats: one entry, completed, this month.
  await page.getByRole("link", { name: "Stats" }).click();
  const byStatus = page.getByRole("region", { name: "By status" });
  await expect(byStatus.getByRole("listitem").filter({ hasText: "Completed" })).toContainText("1");
  const month = new Date().toLocaleString("en", { month: "short", timeZone: "UTC" });
  await expect(page.getByRole("region", { name: "Completions per month" })).toContainText(month);
  await checkScreen(page, testInfo, "stats");

  // Export: a JSON file with the entry in it.
  await page.getByRole("link", { name: "Import/export" }).click();
  await checkScreen(page, testInfo, "import-export");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download my list" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.json$/);
  const exported = await readFile(await download.path(), "utf8");
  expect(exported).toContain("Cowboy Bebop");
  expect(exported).toContain("See you, space cowboy.");

  // Log out: back to the sign-in page, and a reload stays there.
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await checkScreen(page, testInfo, "login");
});
