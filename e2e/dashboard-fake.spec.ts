// The dashboard against its own Tandem with the fake driver and 1,000 guests: the list is
// virtualised, scrolls and filters, and the wizard, console, command
// palette, bulk actions, dark mode and phone layout work end to end. Screenshots go to
// e2e/artifacts/ for people to look at.
import { expect, test } from "@playwright/test";
import { startFakeServer, type FakeServer } from "./fake-server";
import {
  createThroughWizard,
  deleteFromSettings,
  expectGuestState,
  openConsole,
  shot,
  signIn,
  terminalText,
} from "./helpers";

const PORT = Number(process.env.TANDEM_E2E_FAKE_PORT ?? 18391);
const GUESTS = 1000;

let server: FakeServer;

test.use({ baseURL: `http://127.0.0.1:${PORT}` });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startFakeServer({ port: PORT, guests: GUESTS });
});

test.afterAll(async () => {
  await server?.stop();
});

test("the list of 1,000 guests is virtualised, scrolls to its end and filters", async ({ page }) => {
  await signIn(page, server.password);
  await expect(page.getByText(`${GUESTS} guests`)).toBeVisible();
  // Let a few overview ticks arrive so sparklines are drawing.
  await page.waitForTimeout(3000);
  const rows = page.locator('[role="row"][data-guest-id]');
  expect(await rows.count()).toBeLessThan(80); // virtualised: only what is visible (plus overscan) exists

  // Scrolling to the end renders the last rows, still only a window of them. How smooth it is
  // (frame times, filter latency) is a figure for bench/, never an assertion here.
  const scroller = page.getByTestId("guest-scroller");
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(rows.last()).toBeInViewport();
  expect(await rows.count()).toBeLessThan(80);
  await scroller.evaluate((el) => (el.scrollTop = 0));

  const search = page.getByLabel("Search guests");
  await search.fill("vm-0499");
  await expect(page.getByText(`1 of ${GUESTS} guests`)).toBeVisible();
  expect(await rows.count()).toBe(1);
  await search.fill("");
  await expect(page.getByText(`${GUESTS} guests`)).toBeVisible();
  // Most of a minute of live points, so the sparklines in the screenshot have a shape.
  await page.waitForTimeout(30_000);
  await shot(page, "overview");
});

test("sorting and filters narrow the one list", async ({ page }) => {
  await signIn(page, server.password);
  await page.getByLabel("Kind").selectOption("vm");
  await expect(page.getByText(`500 of ${GUESTS} guests`)).toBeVisible();
  await page.getByLabel("State").selectOption("stopped");
  await expect(page.getByText(/^100 of \d+ guests$/)).toBeVisible();
  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await page.getByRole("button", { name: "Name" }).click(); // descending
  await expect(page.locator('[role="row"][data-guest-id]').first()).toContainText("vm-0499");
  await page.getByRole("button", { name: "Name" }).click();
});

test("create a container in the wizard, use its console, stop and delete it", async ({ page }) => {
  await signIn(page, server.password);
  await page.getByRole("link", { name: "New container" }).click();
  await page.getByLabel("Name", { exact: true }).fill("bad name!");
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expect(page.getByText(/name may contain letters/)).toBeVisible(); // inline, from the contract's schema
  await page.getByLabel("Name", { exact: true }).fill("e2e-web");
  await shot(page, "wizard-source");
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expect(page.getByLabel("Memory (MiB)")).toBeVisible();
  await expect(page.getByText(/free of/)).toBeVisible(); // host capacity next to the field
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await page.getByLabel("Environment").fill("GREETING=hello");
  await page.getByRole("button", { name: "Add a port" }).click();
  await page.getByLabel("Host port 1").fill("18080");
  await page.getByLabel("Container port 1").fill("80");
  await page.getByRole("button", { name: "Next", exact: true }).click();
  await expect(page.getByText("18080→80/tcp")).toBeVisible();
  await shot(page, "wizard");
  await page.getByRole("button", { name: "Create container" }).click();
  await expect(page).toHaveURL(/\/guests\/local\.container\./);
  await expectGuestState(page, "running");
  await expect
    .poll(async () => Number(await page.locator('[data-chart="CPU"]').getAttribute("data-points")), {
      timeout: 15_000,
    })
    .toBeGreaterThan(2);
  await shot(page, "guest-page");

  await openConsole(page);
  await page.locator(".xterm").click();
  await page.keyboard.type("hello from e2e");
  await expect.poll(() => terminalText(page)).toContain("hello from e2e");
  await shot(page, "console");

  await page.getByRole("toolbar", { name: "Guest actions" }).getByRole("button", { name: "Stop" }).click();
  await expectGuestState(page, "stopped");
  await expect(page.locator("[data-console-status]")).toHaveAttribute("data-console-status", "waiting");
  await page.getByRole("toolbar", { name: "Guest actions" }).getByRole("button", { name: "Start" }).click();
  await expectGuestState(page, "running");
  // The console comes back by itself when the guest runs again.
  await expect(page.locator("[data-console-status]")).toHaveAttribute("data-console-status", "connected");

  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Notes", { exact: true }).fill("made by the e2e run");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved e2e-web")).toBeVisible();
  await deleteFromSettings(page, "e2e-web");
});

test("create a VM: its serial console answers; what the backend lacks is not offered", async ({ page }) => {
  await signIn(page, server.password);
  await createThroughWizard(page, "vm", "e2e-vm", "demo-vm");
  await expectGuestState(page, "running");
  await openConsole(page);
  await expect.poll(() => terminalText(page)).toContain("fake vm e2e-vm");
  // The fake backend has no screen, snapshots or clones: no dead tabs or buttons for them.
  await expect(page.getByText("Screen (VNC)")).toHaveCount(0);
  await expect(page.getByRole("tab", { name: "Snapshots" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Clone…" })).toHaveCount(0);
  await deleteFromSettings(page, "e2e-vm");
});

test("the command palette jumps to a guest and runs an action", async ({ page }) => {
  await signIn(page, server.password);
  await page.keyboard.press("Control+k");
  const paletteInput = page.getByRole("combobox", { name: "Command palette" });
  await paletteInput.fill("vm-0477");
  // As a person would: press Enter once the suggestion for what was typed is highlighted.
  const chosen = (name: RegExp) => expect(page.getByRole("option", { name })).toHaveAttribute("aria-selected", "true");
  await chosen(/vm-0477/);
  await shot(page, "palette");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "vm-0477" })).toBeVisible();
  await page.keyboard.press("Control+k");
  await paletteInput.fill("pause vm-0477");
  await chosen(/Pause.*vm-0477/i);
  await page.keyboard.press("Enter");
  await expectGuestState(page, "paused");
  await page.keyboard.press("Control+k");
  await paletteInput.fill("resume vm-0477");
  await chosen(/Resume.*vm-0477/i);
  await page.keyboard.press("Enter");
  await expectGuestState(page, "running");
  // Keyboard shortcuts: g i goes to images, ? shows the help.
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("g");
  await page.keyboard.press("i");
  await expect(page.getByRole("heading", { name: "Images" })).toBeVisible();
  await page.keyboard.press("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
});

test("bulk actions apply to the selection after one confirmation", async ({ page }) => {
  await signIn(page, server.password);
  await page.getByLabel("Search guests").fill("ct-010");
  await expect(page.getByText(`10 of ${GUESTS} guests`)).toBeVisible();
  await page.getByLabel("Select all shown guests").check();
  const bar = page.getByRole("toolbar", { name: "Bulk actions" });
  await expect(bar.getByText("10 selected")).toBeVisible();
  await bar.getByRole("button", { name: /^Stop/ }).click();
  await expect(page.locator('[role="row"][data-guest-id]').getByText("running")).toHaveCount(0);
  await bar.getByRole("button", { name: /^Start/ }).click();
  await expect(page.locator('[role="row"][data-guest-id]').getByText("stopped")).toHaveCount(0);
  await page.getByLabel("Select ct-0100").uncheck();
  await bar.getByRole("button", { name: /^Delete/ }).click();
  const dialog = page.getByRole("dialog", { name: "Delete 9 guests?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Delete 9" }).click();
  await expect(page.getByText(`1 of ${GUESTS - 9} guests`)).toBeVisible();
});

test("dark mode follows the toggle and survives a reload", async ({ page }) => {
  await signIn(page, server.password);
  const dark = page.getByRole("button", { name: "Dark mode" });
  const wasDark = (await dark.getAttribute("aria-pressed")) === "true";
  if (wasDark) await dark.click();
  await dark.click();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await page.waitForTimeout(15_000);
  await shot(page, "overview-dark");
  await page.getByLabel("Search guests").fill("vm-0001");
  await page.getByRole("link", { name: "vm-0001", exact: true }).click();
  await page.waitForTimeout(2500);
  await shot(page, "guest-page-dark");
});

test("the dashboard works at phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, server.password);
  await expect(page.getByRole("button", { name: "Menu" })).toBeVisible();
  await page.waitForTimeout(2000);
  await shot(page, "phone-overview");
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible();
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Guests" }).click();
  await page.getByLabel("Search guests").fill("vm-0002");
  await page.getByRole("link", { name: "vm-0002", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "vm-0002" })).toBeVisible();
  await shot(page, "phone-guest");
  // No horizontal overflow on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test("a lost connection shows the banner, then resyncs by itself", async ({ page, context }) => {
  await signIn(page, server.password);
  await expect(page.getByText(`guests`, { exact: false }).first()).toBeVisible();
  await page.waitForTimeout(1500);
  await context.setOffline(true);
  await expect(page.getByRole("alert").filter({ hasText: "Connection to Tandem lost" })).toBeVisible({
    timeout: 60_000,
  });
  await context.setOffline(false);
  await expect(page.getByRole("status").filter({ hasText: "Reconnected" })).toBeVisible({ timeout: 60_000 });
});

test("upload an image with progress, then delete it", async ({ page }) => {
  await signIn(page, server.password);
  await page.getByRole("link", { name: "Images" }).first().click();
  await page.getByLabel("File").setInputFiles({
    name: "tiny-disk.qcow2",
    mimeType: "application/octet-stream",
    buffer: Buffer.alloc(8 * 1024 * 1024, 7),
  });
  await expect(page.getByLabel("Image name")).toHaveValue("tiny-disk");
  await expect(page.getByLabel("Format")).toHaveValue("qcow2");
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  const row = page.getByRole("row").filter({ hasText: "tiny-disk" });
  await expect(row).toBeVisible();
  await expect(row).toContainText("8.0 MiB");
  await page.getByRole("button", { name: "Delete image tiny-disk" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(row).toHaveCount(0);
});

test("an API token is shown once, then only its prefix", async ({ page }) => {
  await signIn(page, server.password);
  await page.goto("/settings");
  // As a person would: type once the page shows its token list (a form typed into before the
  // page is live would lose the text).
  await expect(page.getByRole("region", { name: "API tokens" })).toHaveAttribute("aria-busy", "false");
  await page.getByLabel("Token name").fill("e2e-token");
  await page.getByRole("button", { name: "Create token" }).click();
  const dialog = page.getByRole("dialog", { name: 'Token "e2e-token" created' });
  const secret = await dialog.getByLabel("New API token").inputValue();
  expect(secret.length).toBeGreaterThan(20);
  await dialog.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row").filter({ hasText: "e2e-token" });
  await expect(row).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
  // The token works as a bearer credential against the API.
  const res = await page.request.get("/api/v1/host", { headers: { authorization: `Bearer ${secret}` } });
  expect(res.ok()).toBe(true);
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(row).toHaveCount(0);
});

test("a password change says it revokes the API tokens, then does", async ({ page, browser }) => {
  // A user of its own, so the admin's password stays what the other specs sign in with.
  await signIn(page, server.password);
  const { csrfToken } = await (await page.request.get("/api/v1/session")).json();
  const made = await page.request.post("/api/v1/users", {
    headers: { "x-csrf-token": csrfToken },
    data: { username: "e2e-pw", password: "e2e-pw-first", role: "viewer" },
  });
  expect(made.status()).toBe(201);
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${PORT}` });
  try {
    const user = await context.newPage();
    await signIn(user, "e2e-pw-first", "e2e-pw");
    await user.goto("/settings");
    await expect(user.getByText("No API tokens yet.")).toBeVisible();
    await user.getByLabel("Token name").fill("before-change");
    await user.getByRole("button", { name: "Create token" }).click();
    const created = user.getByRole("dialog", { name: 'Token "before-change" created' });
    const secret = await created.getByLabel("New API token").inputValue();
    await created.getByRole("button", { name: "Done" }).click();
    const row = user.getByRole("row").filter({ hasText: "before-change" });
    await expect(row).toBeVisible();

    await user.getByLabel("Current password").fill("e2e-pw-first");
    await user.getByLabel("New password").fill("e2e-pw-second");
    await user.getByRole("button", { name: "Change password" }).click();
    const confirm = user.getByRole("dialog", { name: "Change your password?" });
    await expect(confirm).toContainText("your API token revoked");
    await confirm.getByRole("button", { name: "Change password" }).click();
    // Two scrypt runs (check the old password, hash the new one) at 128 MiB each: seconds on a
    // busy two-core host.
    await expect(user.getByText(/Password changed; .* your API token revoked/)).toBeVisible({ timeout: 60_000 });
    await expect(row).toHaveCount(0);
    const res = await user.request.get("/api/v1/host", { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status()).toBe(401);
  } finally {
    await context.close();
  }
});

test("j/k move through the list and Enter opens the guest", async ({ page }) => {
  await signIn(page, server.password);
  await page.getByLabel("Search guests").fill("vm-01");
  // As a person would: move through the list once it shows the filtered rows.
  await expect(page.getByText(/^100 of \d+ guests$/)).toBeVisible();
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await expect(page.getByRole("link", { name: "vm-0101", exact: true })).toBeFocused();
  await page.keyboard.press("k");
  await expect(page.getByRole("link", { name: "vm-0100", exact: true })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "vm-0100" })).toBeVisible();
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  // Number keys pick tabs by position; the fake backend's VM has Overview, Console, Network,
  // Storage, Settings.
  await page.keyboard.press("5");
  await expect(page.getByRole("tab", { name: "Settings" })).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("1");
  await expect(page.getByRole("tab", { name: "Overview" })).toHaveAttribute("aria-selected", "true");
});
