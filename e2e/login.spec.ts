// A real Chromium signs in with the admin password and sees the guest list.
import { expect, test } from "@playwright/test";
import { e2eAdminPassword } from "../playwright.config";

test("redirects to sign-in, refuses a wrong password, then signs in and shows the guests", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /wrong user name or password/ })).toBeVisible();

  await page.getByLabel("Password").fill(e2eAdminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: /Guests/ })).toBeVisible();
  await expect(page.getByText("admin", { exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});
