// How soon the first screen can be used, on loopback: reported, never
// asserted (speed targets live in benchmarks).
import { writeFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";

test("first screen timing (reported)", async ({ page }, testInfo) => {
  const started = Date.now();
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Log in" })).toBeEnabled();
  const usable = Date.now() - started;
  const nav = await page.evaluate(() => {
    const [entry] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
    return { domInteractive: entry.domInteractive, domContentLoaded: entry.domContentLoadedEventEnd, load: entry.loadEventEnd };
  });
  const report = { ...nav, firstScreenUsableMs: usable };
  console.log(`first screen: ${JSON.stringify(report)}`);
  await writeFile(testInfo.outputPath("timing.json"), JSON.stringify(report, null, 2));
  testInfo.annotations.push({ type: "timing", description: JSON.stringify(report) });
});
