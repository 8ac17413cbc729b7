// What went wrong, where it went wrong: invalid fields next to their input.
import { expect, test } from "@playwright/test";
import { PASSWORD, register, uniqueEmail } from "./support";

test("each invalid field's error is shown next to it", async ({ page }) => {
  await page.goto("/register");
  await page.getByLabel("Name").fill("Shorty");
  await page.getByLabel("Email").fill("not an email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();

  const email = page.getByLabel("Email");
  const password = page.getByLabel("Password");
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(password).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name")).not.toHaveAttribute("aria-invalid", "true");
  // The message is the input's description, so a screen reader reads it too.
  await expect(password).toHaveAccessibleDescription(/8/);
  await expect(email).toHaveAccessibleDescription(/email/i);
});

test("a taken email is said plainly, and logging in with a wrong password too", async ({ page }) => {
  const email = await register(page, "Taken");
  await page.getByRole("button", { name: "Log out" }).click();
  await page.goto("/register");
  await page.getByLabel("Name").fill("Again");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText(/already/i)).toBeVisible();

  await page.goto("/login");
  await page.getByLabel("Email").fill(uniqueEmail("nobody"));
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
});

test("an empty search says what to type, next to the search box", async ({ page }) => {
  await register(page, "Searcher");
  await page.getByRole("link", { name: "Search" }).click();
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByLabel("Title")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Title")).toHaveAccessibleDescription(/.+/);
});

test("too many failed logins say how long to wait (the RetryInfo detail)", async ({ page }) => {
  const email = uniqueEmail("locked");
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password here");
  const alert = page.getByRole("alert");
  const logIn = page.getByRole("button", { name: "Log in" });
  await logIn.click();
  await expect(alert).toBeVisible();
  await expect(alert).not.toContainText("Try again");
  // auth-service locks an email after five failures (AUTH_LOGIN_MAX_FAILURES);
  // the button is disabled while a try is under way, so clicks wait for it.
  for (let attempt = 2; attempt <= 10; attempt++) {
    await logIn.click();
    await expect(logIn).toBeEnabled();
    if (/Try again/.test((await alert.textContent()) ?? "")) break;
  }
  await expect(alert).toContainText(/Try again in \d+ s\./);
});
