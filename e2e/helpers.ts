// Shared steps for the specs: sign in, find things by role and label like a user would, clean
// up, and keep screenshots in e2e/artifacts/ for people to look at.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { GuestList, LoginResponse, NetworkList, SessionResponse, VolumeList } from "../server/contract";

const artifacts = path.resolve(import.meta.dirname, "artifacts");

/** A screenshot named `name` in e2e/artifacts/. */
export async function shot(page: Page, name: string) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

export async function signIn(page: Page, password: string, username = "admin") {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Guests" })).toBeVisible();
}

/** The state word in the guest page header. */
export async function expectGuestState(page: Page, state: string, timeout = 30_000) {
  await expect(page.locator("main header").getByText(state, { exact: true })).toBeVisible({ timeout });
}

/** Creates a guest through the wizard with defaults; lands on its page. */
export async function createThroughWizard(page: Page, kind: "vm" | "container", name: string, image: string) {
  await page.goto(`/guests/new?kind=${kind}`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("radio", { name: new RegExp(image) }).check();
  await page.getByRole("button", { name: "Skip to review" }).click();
  await page.getByRole("button", { name: kind === "vm" ? "Create VM" : "Create container" }).click();
  await expect(page).toHaveURL(/\/guests\/local\./, { timeout: 120_000 });
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

/** Text currently rendered by the xterm on the page. */
export async function terminalText(page: Page): Promise<string> {
  return (await page.locator(".xterm-rows").first().innerText()).replace(/\u00a0/g, " ");
}

export async function openConsole(page: Page) {
  await page.getByRole("tab", { name: "Console" }).click();
  await expect(page.locator("[data-console-status]")).toHaveAttribute("data-console-status", "connected", {
    timeout: 60_000,
  });
}

export async function deleteFromSettings(page: Page, name: string) {
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByRole("button", { name: `Delete ${name}…` }).click();
  // With purge: a test leaves nothing on the host (a delete without purge keeps the guest's files).
  await page.getByRole("dialog").getByLabel(/purge/).check();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByLabel("Search guests").fill(name);
  await expect(page.getByText("No guest matches these filters.")).toBeVisible({ timeout: 60_000 });
}

/**
 * Deletes (with purge) every guest whose name starts with `prefix`, longest names first so
 * linked clones go before their source. Real guests outlive the server: a failed run must not
 * leave any behind.
 */
export async function cleanupGuests(request: APIRequestContext, password: string, prefix: string) {
  const login = await request.post("/api/v1/session", { data: { username: "admin", password } });
  if (!login.ok()) return;
  const { csrfToken } = LoginResponse.parse(await login.json());
  const headers = { "x-csrf-token": csrfToken };
  const list = async () =>
    GuestList.parse(await (await request.get("/api/v1/guests")).json())
      .guests.filter((g) => g.name.startsWith(prefix))
      .sort((a, b) => b.name.length - a.name.length);
  for (const g of await list()) {
    if (g.state === "creating") continue;
    await request.delete(`/api/v1/guests/${encodeURIComponent(g.id)}?purge=true`, { headers });
    await expect.poll(async () => (await list()).some((x) => x.id === g.id), { timeout: 60_000 }).toBe(false);
  }
}

/**
 * Deletes the volumes and networks whose names start with `prefix` (after their guests are gone:
 * the server refuses both while a guest uses them). Networks and volumes outlive the server too.
 */
export async function cleanupNetworksAndVolumes(request: APIRequestContext, password: string, prefix: string) {
  // The context may be signed in already (cleanupGuests): a second sign-in would need the token.
  const current = await request.get("/api/v1/session");
  const login = current.ok()
    ? current
    : await request.post("/api/v1/session", { data: { username: "admin", password } });
  if (!login.ok()) return;
  const { csrfToken } = SessionResponse.parse(await login.json());
  const headers = { "x-csrf-token": csrfToken ?? "" };
  const volumes = await request.get("/api/v1/volumes");
  if (volumes.ok())
    for (const v of VolumeList.parse(await volumes.json()).volumes.filter((x) => x.name.startsWith(prefix)))
      await request.delete(`/api/v1/volumes/${encodeURIComponent(v.id)}`, { headers });
  const networks = await request.get("/api/v1/networks");
  if (networks.ok())
    for (const n of NetworkList.parse(await networks.json()).networks.filter((x) => x.name.startsWith(prefix)))
      await request.delete(`/api/v1/networks/${encodeURIComponent(n.id)}`, { headers });
}
