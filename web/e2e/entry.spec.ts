// An entry's page: what a person typed is theirs until they save it, and
// nothing is removed or forgotten without asking.
import { expect, test } from "@playwright/test";
import { addToList, clickAndAnswer, register } from "./support";

test("unsaved edits survive a +1 and a change made in another tab", async ({ page }) => {
  await register(page, "Typist");
  await addToList(page, "Anime", "bebop", "Cowboy Bebop");
  await page.getByRole("link", { name: "List" }).click();
  await page.getByRole("link", { name: "Cowboy Bebop" }).click();
  await expect(page.getByRole("heading", { name: "Cowboy Bebop" })).toBeVisible();

  const progress = page.getByLabel("Progress (episodes)");
  await page.getByLabel("Rating (1–10)").fill("8");
  await page.getByLabel("Notes").fill("The jazz is the point.");

  await page.getByRole("button", { name: "+1" }).click();
  await expect(progress).toHaveValue("1");
  await expect(page.getByLabel("Rating (1–10)")).toHaveValue("8");
  await expect(page.getByLabel("Notes")).toHaveValue("The jazz is the point.");

  // The same list in another tab: its change arrives here live.
  const other = await page.context().newPage();
  await other.goto("/");
  await other.getByRole("button", { name: "+1 episode of Cowboy Bebop" }).click();
  await expect(progress).toHaveValue("2");
  await expect(page.getByLabel("Rating (1–10)")).toHaveValue("8");
  await expect(page.getByLabel("Notes")).toHaveValue("The jazz is the point.");

  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(progress).toHaveValue("2");
  await expect(page.getByLabel("Rating (1–10)")).toHaveValue("8");
  await expect(page.getByLabel("Notes")).toHaveValue("The jazz is the point.");
});

test("forgetting a run and removing an entry ask first", async ({ page }) => {
  await register(page, "Careful");
  await addToList(page, "Anime", "bebop", "Cowboy Bebop");
  await page.getByRole("link", { name: "List" }).click();
  await page.getByRole("link", { name: "Cowboy Bebop" }).click();

  const runs = page.getByRole("region", { name: "Runs" });
  await page.getByLabel("Run started").fill("2024-01-01");
  await page.getByLabel("Run finished").fill("2024-02-01");
  await page.getByRole("button", { name: "Record a run" }).click();
  await expect(runs.getByRole("listitem")).toHaveCount(1);

  const forget = runs.getByRole("button", { name: "Forget this run" });
  const remove = page.getByRole("button", { name: "Remove from list" });

  // Said no to: nothing happens.
  expect(await clickAndAnswer(page, forget, "no")).toContain("2024-01-01");
  expect(await clickAndAnswer(page, remove, "no")).toContain("Cowboy Bebop");
  await expect(runs.getByRole("listitem")).toHaveCount(1);
  await expect(page.getByRole("heading", { name: "Cowboy Bebop" })).toBeVisible();

  // Said yes to: done.
  expect(await clickAndAnswer(page, forget, "yes")).toContain("2024-01-01");
  await expect(runs.getByRole("listitem")).toHaveCount(0);
  expect(await clickAndAnswer(page, remove, "yes")).toContain("Cowboy Bebop");
  await expect(page.getByRole("heading", { name: "My list" })).toBeVisible();
  await expect(page.getByText("Nothing here yet.")).toBeVisible();
});
