// A series by season and episode: marking one, "watched up to here", a
// whole season, completing an ended show, rewatching with the first run
// kept; and the calendar of what airs next, with a feed to subscribe to.
import { expect, test } from "@playwright/test";
import { addToList, checkScreen, clickAndAnswer, register } from "./support";

test("episodes are marked one, up to here and by season, and rewatched", async ({ page }, testInfo) => {
  await register(page, "Watcher");
  await addToList(page, "Series", "futurama", "Futurama");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "List" }).click();
  await page.getByRole("link", { name: "Futurama" }).click();
  const episodes = page.getByRole("region", { name: "Episodes" });
  await expect(episodes.getByRole("status")).toContainText("Next: S1E1");
  /** Opens a season's group, if it is not open. */
  const openSeason = async (n: number) => {
    const group = episodes.locator("details").filter({ has: page.locator("summary", { hasText: `Season ${n}` }) });
    if ((await group.getAttribute("open")) === null) await group.locator("summary").click();
  };

  // One tap: S1E1 watched.
  await openSeason(1);
  await episodes.getByRole("checkbox", { name: "S1E1 Episode 101" }).click();
  await expect(episodes.getByRole("checkbox", { name: "S1E1 Episode 101" })).toBeChecked();
  await expect(page.getByLabel("Progress (episodes)")).toHaveValue("1");
  await expect(page.getByLabel("Status")).toHaveValue("2");
  // Everything up to S1E3; the special inside the season stays a special.
  await episodes.getByRole("button", { name: "Watched up to here (S1E3)" }).click();
  await expect(page.getByLabel("Progress (episodes)")).toHaveValue("3");
  await expect(episodes.locator('[data-episode="S1 special"]')).toContainText("Special");
  await checkScreen(page, testInfo, "series");

  // The list says what is next and what is new.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "List" }).click();
  const card = page.getByRole("listitem").filter({ hasText: "Futurama" });
  await expect(card).toContainText("S2E1 next");
  await expect(card).toContainText("2 new");

  // The whole of season 2: the ended show is completed.
  await card.getByRole("link", { name: "Futurama" }).click();
  await openSeason(2);
  await episodes.getByRole("button", { name: "Mark season 2 watched" }).click();
  await expect(page.getByLabel("Status")).toHaveValue("3");
  await expect(episodes.getByRole("status")).toContainText("Every episode watched");

  // A rewatch: a new run, the first one's watches kept.
  await page.getByRole("button", { name: "Start again (rewatch)" }).click();
  await expect(episodes.getByRole("status")).toContainText("Rewatch 1");
  await expect(page.getByLabel("Progress (episodes)")).toHaveValue("0");
  await openSeason(1);
  const first = episodes.locator('[data-episode="S1E1"]');
  await expect(first.getByRole("checkbox")).not.toBeChecked();
  await expect(first).toContainText("seen 1×");
  await first.getByRole("checkbox").click();
  await expect(first).toContainText("seen 2×");
});

test("the calendar shows what airs next and gives a feed to subscribe to", async ({ page }, testInfo) => {
  await register(page, "Planner");
  await addToList(page, "Series", "severance", "Severance");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Calendar" }).click();
  await expect(page.getByRole("heading", { name: "Calendar", exact: true })).toBeVisible();
  // Fetched in the background as it was added: read again until it is.
  await expect(async () => {
    await page.reload();
    await expect(page.getByText("Severance — S1E3 Episode 303")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByRole("listitem").filter({ hasText: "S1E4" })).toContainText("all day");
  await expect(page.getByText("Episode 305")).toHaveCount(0);

  await page.getByLabel("Feed name").fill("Phone");
  await page.getByRole("button", { name: "Create a feed" }).click();
  const link = page.locator("a.feed-link");
  await expect(link).toHaveAttribute("href", /^webcal:\/\/.+\/calendar\/.+\.ics$/);
  await checkScreen(page, testInfo, "calendar");
  const url = (await link.getAttribute("href"))!.replace("webcal://", "http://");
  const feed = await page.request.get(url);
  expect(feed.status()).toBe(200);
  expect(feed.headers()["content-type"]).toContain("text/calendar");
  const text = await feed.text();
  expect(text).toContain("BEGIN:VEVENT");
  expect(text).toContain("SUMMARY:Severance — S1E3 Episode 303");

  const stop = page.getByRole("button", { name: "Stop the feed Phone" });
  expect(await clickAndAnswer(page, stop, "yes")).toContain("Phone");
  await expect(stop).toHaveCount(0);
  expect((await page.request.get(url)).status()).toBe(404);
});
