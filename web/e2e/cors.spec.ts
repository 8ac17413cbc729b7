// Pages on other origins: one in GATEWAY_CORS_ALLOWED_ORIGINS may call the
// API from the browser, any other may not (the browser itself refuses to
// hand over the answer).
//
// The other origins are real local servers (another port is another
// origin): Chromium keeps pages from public addresses away from loopback
// altogether, which would hide what CORS does.
import { createServer, type Server } from "node:http";
import { expect, test, type Page } from "@playwright/test";

const ALLOWED = process.env.E2E_ALLOWED_ORIGIN ?? "http://127.0.0.1:18081";
const OTHER = "http://127.0.0.1:18082";

const servers: Server[] = [];

test.beforeAll(async () => {
  for (const origin of [ALLOWED, OTHER]) {
    const server = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<!doctype html><title>Elsewhere</title>");
    });
    await new Promise<void>((resolve) => server.listen(Number(new URL(origin).port), "127.0.0.1", resolve));
    servers.push(server);
  }
});

test.afterAll(() => {
  for (const server of servers) server.close();
});

async function pageAt(page: Page, origin: string) {
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
