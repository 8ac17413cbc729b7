// A MyAnimeList export imported and watched to the end, with a row the
// import cannot take shown in the per-row report.
import { expect, test } from "@playwright/test";
import { checkScreen, register } from "./support";

function malExport(n: number): string {
  let xml = '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n';
  for (let id = 1; id <= n; id++) {
    xml += `<anime><series_animedb_id>${id}</series_animedb_id><series_title><![CDATA[Show ${id}]]></series_title><series_type>TV</series_type><series_episodes>12</series_episodes><my_watched_episodes>${id % 12}</my_watched_episodes><my_score>${id % 11}</my_score><my_status>Watching</my_status><my_start_date>0000-00-00</my_start_date><my_finish_date>0000-00-00</my_finish_date><my_times_watched>0</my_times_watched></anime>\n`;
  }
  // A row with a status MyAnimeList never writes.
  xml += `<anime><series_animedb_id>${n + 1}</series_animedb_id><series_title><![CDATA[Broken Row]]></series_title><my_status>Binged</my_status></anime>\n`;
  return xml + "</myanimelist>\n";
}

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
