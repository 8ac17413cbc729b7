// Media servers: a token made on the Media servers page, a Jellyfin
// webhook posted to its URL (as the server would), the event arriving on
// the open page, and an unmatched show pinned to one on the list.
import { expect, test } from "@playwright/test";
import { addToList, checkScreen, register } from "./support";

function jellyfin(series: string, episode: number): string {
  return JSON.stringify({
    NotificationType: "PlaybackStop",
    PlayedToCompletion: "True",
    ItemType: "Episode",
    Name: `Episode ${episode}`,
    SeriesName: series,
    SeasonNumber: 1,
    EpisodeNumber: episode,
    NotificationUsername: "ada",
    ItemId: `item-${series}-${episode}`,
  });
}

test("a media server's plays arrive, and an unmatched show is pinned", async ({ page }, testInfo) => {
  await register(page, "Scrobbler");
  await addToList(page, "Series", "futurama", "Futurama");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Media servers" }).click();
  await expect(page.getByRole("heading", { name: "Media servers" })).toBeVisible();
  await page.getByLabel("Token name").fill("Living room");
  await page.getByRole("button", { name: "Create a token" }).click();
  const url = page.locator('code[data-server="Jellyfin"]');
  await expect(url).toHaveText(/\/scrobble\/jellyfin\/.+$/);
  const hook = (await url.textContent())!;

  // What Jellyfin's webhook plugin posts, as text/plain.
  const posted = await page.request.post(hook, { data: jellyfin("Futurama", 1), headers: { "Content-Type": "text/plain" } });
  expect(posted.status()).toBe(200);
  expect(await posted.json()).toMatchObject({ outcome: "watched" });
  const events = page.locator("ul.scrobble-events > li");
  await expect(events.first()).toContainText("Watched · Futurama S1E1");

  // A show the server names its own way: unmatched, then pinned.
  const other = await page.request.post(hook, { data: jellyfin("Futurama (1999)", 2), headers: { "Content-Type": "text/plain" } });
  expect(await other.json()).toMatchObject({ outcome: "unmatched" });
  const unmatched = events.filter({ hasText: "Futurama (1999) S1E2" });
  await expect(unmatched).toContainText("Unmatched");
  await checkScreen(page, testInfo, "media-servers");
  const pin = unmatched.getByRole("form", { name: "Pin Futurama (1999)" });
  await pin.getByLabel("Is my").selectOption({ label: "Futurama" });
  await pin.getByRole("button", { name: "Pin this show" }).click();
  await expect(events.filter({ hasText: "Futurama (1999) S1E2" })).toContainText("Watched");

  // The list shows both episodes watched.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "List" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: "Futurama" })).toContainText("S1E3 next");
});
