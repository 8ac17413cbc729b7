// A MyAnimeList export imported and watched to the end, with a row the
// import cannot take shown in the per-row report.
import { expect, test } from "@playwright/test";
import { checkScreen, malExport, register } from "./support";

test("a MyAnimeList import is watched to the end with a per-row report", async ({ page }, testInfo) => {
  await register(page, "Importer");
  await page.getByRole("link", { name: "Import/export" }).click();

  // No file: the error sits by the file input.
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByLabel("File", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Choose a file to import.")).toBeVisible();

  await page.getByLabel("File", { exact: true }).setInputFiles({
    name: "animelist.xml",
    mimeType: "application/xml",
    buffer: Buffer.from(malExport(300)),
  });
  await page.getByRole("region", { name: "Import", exact: true }).getByLabel("Format").selectOption({ label: "MyAnimeList (XML, may be gzipped)" });
  await page.getByRole("button", { name: "Import" }).click();

  const status = page.getByRole("status").filter({ hasText: "rows" });
  await expect(status).toHaveText("Done: 301 of 301 rows", { timeout: 30_000 });
  await expect(page.getByText("300 added")).toBeVisible();
  await expect(page.getByText("1 failed")).toBeVisible();
  const report = page.getByRole("table", { name: "Rows" });
  const broken = report.getByRole("row").filter({ hasText: "Broken Row" });
  await expect(broken).toContainText("Failed");
  await expect(report.getByRole("row")).toHaveCount(2); // the header and the failed row
  await checkScreen(page, testInfo, "import-done");

  // Every row on request, each added one linking to its entry.
  await page.getByLabel("Show every row, not only the skipped and failed").check();
  await expect(report.getByRole("row")).toHaveCount(302);
  await report.getByRole("link", { name: "Show 7", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Show 7" })).toBeVisible();
});
