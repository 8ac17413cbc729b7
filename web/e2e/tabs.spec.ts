// One person, two tabs of one browser: they share the refresh token in
// localStorage, and must not end each other's session refreshing it.
import { expect, test } from "@playwright/test";
import { register } from "./support";

test("two tabs reloaded at once both stay signed in", async ({ context }) => {
  const first = await context.newPage();
  await register(first, "Tabs");
  const second = await context.newPage();
  await second.goto("/");
  await expect(second.getByRole("heading", { name: "My list" })).toBeVisible();

  // A reload forgets the access token (it is kept in memory only), so each
  // tab refreshes with the one refresh token, both at the same moment.
  for (let round = 1; round <= 5; round++) {
    await Promise.all([first.reload(), second.reload()]);
    for (const tab of [first, second]) {
      await expect(tab.getByRole("heading", { name: "My list" }), `round ${round}`).toBeVisible();
      await expect(tab.getByRole("button", { name: "Log out" }), `round ${round}`).toBeVisible();
    }
  }

  // And the session they share is still good: one tab at a time, as a
  // person would, each reload refreshes and stays signed in.
  for (const tab of [first, second]) {
    await tab.reload();
    await expect(tab.getByRole("heading", { name: "My list" })).toBeVisible();
    await expect(tab.getByRole("button", { name: "Log out" })).toBeVisible();
  }
});
