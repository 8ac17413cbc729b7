// Admins get a users page; everyone else never sees it.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { checkScreen, clickAndAnswer, logIn, register } from "./support";

const authService = resolve(import.meta.dirname, "../../target/debug/auth-service");

test("an admin sees and changes the users; a user has no users page", async ({ page }, testInfo) => {
  // An address with nowhere to break a line, which must still fit a phone.
  const plain = await register(page, "Plain", `plain.averylongname.${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`);
  await expect(page.getByRole("link", { name: "Import/export" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  await page.getByRole("button", { name: "Log out" }).click();

  const email = await register(page, "Boss");
  execFileSync(authService, ["grant-admin", email], { env: process.env, stdio: "pipe" });
  await page.getByRole("button", { name: "Log out" }).click();
  await logIn(page, email);

  await page.getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: plain });
  await expect(row).toBeVisible();
  await checkScreen(page, testInfo, "users");

  // Disabling an account asks first; then it takes effect at once: the
  // account can no longer log in.
  const canSignIn = row.getByRole("checkbox", { name: `${plain} can sign in` });
  expect(await clickAndAnswer(page, canSignIn, "no")).toContain(plain);
  await expect(canSignIn).toBeChecked();
  expect(await clickAndAnswer(page, canSignIn, "yes")).toContain(plain);
  await expect(canSignIn).not.toBeChecked();
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Email").fill(plain);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
});
