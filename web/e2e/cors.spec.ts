// Pages on other origins: one in GATEWAY_CORS_ALLOWED_ORIGINS may call the
// API from the browser, any other may not (the browser itself refuses to
// hand over the answer).
import { expect, test, type Page } from "@playwright/test";

const ALLOWED = process.env.E2E_ALLOWED_ORIGIN ?? "http://allowed.example.test";
const OTHER = "http://elsewhere.example.test";

/** Opens a blank page served as `origin` (Playwright answers for it). */
async function pageAt(page: Page, origin: string) {
  await page.route(`${origin}/**`, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Elsewhere</title>" }),
  );
  await page.goto(`${origin}/`);
}

/** A gRPC-Web health check, the smallest call there is (an empty message
 * in one frame), from the page; what came back or why it failed. */
function callFromPage(page: Page, gateway: string) {
  return page.evaluate(async (url) => {
    try {
      const response = await fetch(`${url}/grpc.health.v1.Health/Check`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: new Uint8Array([0, 0, 0, 0, 0]),
      });
      return { ok: response.ok, bytes: (await response.arrayBuffer()).byteLength };
    } catch (error) {
      return { failed: String(error) };
    }
  }, gateway);
}

test("an allowed origin can call the API, another cannot", async ({ page, baseURL }) => {
  const gateway = baseURL!.replace(/\/$/, "");
  await pageAt(page, ALLOWED);
  const allowed = await callFromPage(page, gateway);
  expect(allowed).toMatchObject({ ok: true });
  expect((allowed as { bytes: number }).bytes).toBeGreaterThan(5);

  const other = await page.context().newPage();
  await pageAt(other, OTHER);
  const refused = await callFromPage(other, gateway);
  expect(refused).toEqual({ failed: expect.stringContaining("Failed to fetch") });
});
