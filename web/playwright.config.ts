import { defineConfig, devices } from "@playwright/test";

// The browser tests run against the stack `make run` starts
// (scripts/run.sh), here on ports of their own, with fresh databases and
// the provider stand-ins that scripts/test-web.sh sets up. Chromium is the
// system's (Debian's `chromium` package): Playwright downloads none.
const gateway = process.env.GATEWAY_LISTEN_ADDR ?? "127.0.0.1:18080";
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: `http://${gateway}`,
    launchOptions: { executablePath: chromium },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], channel: undefined } },
  ],
  webServer: {
    command: "../scripts/run.sh",
    url: `http://${gateway}/`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
