// Issue 12's browser flow against the real server (libvirt networks, conmon+crun, libvirt
// storage pools): create a NAT network on the Networks page (and edit its DHCP range), create a
// container on it through the wizard with a new volume and a port forward (another added and
// removed on its Network tab, a second NIC attached and detached, a firewall rule saved), see the
// container and its forward on the network's page and the volume in use on the Storage page; a
// delete of the network (or the volume) while in use is refused with the server's message; then
// delete the container with purge (its volume goes too) and the network through the UI.
// A second test: a stopped VM with an extra disk from the wizard, grown and detached. afterEach
// removes by API whatever a failure left.
import { expect, test } from "@playwright/test";
import { e2eAdminPassword } from "../playwright.config";
import {
  cleanupGuests,
  cleanupNetworksAndVolumes,
  deleteFromSettings,
  expectGuestState,
  shot,
  signIn,
} from "./helpers";

const suffix = () => Math.random().toString(36).slice(2, 7);
const PREFIX = `e2e-${suffix()}-`;
// A /24 under 10.231.0.0/16 (the e2e server's container bridge is 10.231.13.0/24), third octet
// 100–199 so concurrent runs rarely meet; the server refuses an overlap with a clear 409.
const SUBNET = `10.231.${100 + Math.floor(Math.random() * 100)}.0/24`;
// Inside the default TANDEM_PUBLISH_PORT_RANGE (this and the next); the server refuses a port
// taken on the host.
const HOST_PORT = 20000 + Math.floor(Math.random() * 10000);

test.afterEach(async ({ request }) => {
  await cleanupGuests(request, e2eAdminPassword, PREFIX);
  await cleanupNetworksAndVolumes(request, e2eAdminPassword, PREFIX);
});

test("a network, a container on it with a volume and a port forward, seen on the network and storage pages", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const net = `${PREFIX}net`;
  const vol = `${PREFIX}vol`;
  const ct = `${PREFIX}ct`;
  await signIn(page, e2eAdminPassword);

  // The network, from the Networks page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Networks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Networks" })).toBeVisible();
  await page.getByRole("button", { name: "Create network" }).click();
  const create = page.getByRole("dialog", { name: "Create a network" });
  await create.getByLabel("Network name").fill(net);
  await create.getByLabel("Type").selectOption("nat");
  await create.getByLabel("IPv4 subnet").fill(SUBNET);
  await create.getByRole("button", { name: "Create network" }).click();
  await expect(create).toBeHidden({ timeout: 60_000 });
  const row = page.locator(`tr[data-network="${net}"]`);
  await expect(row).toContainText("NAT");
  await expect(row).toContainText(SUBNET);
  // Edit: a narrower DHCP range (a live change through libvirt), shown in the details.
  const prefix3 = SUBNET.split(".").slice(0, 3).join(".");
  await row.getByRole("button", { name: `Edit ${net}` }).click();
  const edit = page.getByRole("dialog", { name: `Edit network ${net}` });
  await expect(edit.getByLabel("DHCP start")).toHaveValue(`${prefix3}.128`);
  await edit.getByLabel("DHCP start").fill(`${prefix3}.200`);
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden({ timeout: 60_000 });
  await expect(page.getByText(`${prefix3}.200 – ${prefix3}.254`)).toBeVisible();

  // The container, through the wizard: a NIC on the network, a new volume at /data and a port
  // forward to the NIC.
  await page.goto("/guests/new?kind=container");
  await page.getByLabel("Name", { exact: true }).fill(ct);
  await page.getByRole("radio", { name: /demo-busybox/ }).check();
  await page.getByRole("button", { name: "2. Resources" }).click();
  await page.getByRole("button", { name: "Add a NIC" }).click();
  await page.getByLabel("NIC 1 network", { exact: true }).selectOption(net);
  await page.getByRole("button", { name: "Add a volume" }).click();
  await page.getByLabel("Volume 1 name", { exact: true }).fill(vol);
  await page.getByLabel("Volume 1 size (GiB)", { exact: true }).fill("1");
  await expect(page.getByLabel("Volume 1 mount path", { exact: true })).toHaveValue("/data");
  await page.getByRole("button", { name: "3. Configure" }).click();
  await expect(page.getByText("Port forwards (to the first NIC)")).toBeVisible();
  await page.getByRole("button", { name: "Add a port" }).click();
  await page.getByLabel("Host port 1", { exact: true }).fill(String(HOST_PORT));
  await page.getByLabel("Container port 1", { exact: true }).fill("80");
  await page.getByRole("button", { name: "4. Review" }).click();
  await expect(page.getByText(`1: ${net} (automatic address)`)).toBeVisible();
  await expect(page.getByText(`${vol} (new) at /data`)).toBeVisible();
  await expect(page.getByText(`${HOST_PORT}→80/tcp`)).toBeVisible();
  await shot(page, "real-network-wizard-review");
  await page.getByRole("button", { name: "Create container" }).click();
  await expect(page).toHaveURL(/\/guests\/local\./, { timeout: 120_000 });
  await expect(page.getByRole("heading", { level: 1, name: ct })).toBeVisible();
  await expectGuestState(page, "running", 90_000);

  // Its Network tab: the NIC with an address in the subnet and a MAC; a port forward added there.
  await page.getByRole("tab", { name: "Network" }).click();
  const nic = page.locator(`tr[data-nic="${net}"]`);
  await expect(nic).toContainText(`${prefix3}.`);
  await expect(nic).toContainText(/([0-9a-f]{2}:){5}[0-9a-f]{2}/);
  await expect(page.locator(`[data-forward="${HOST_PORT}"]`)).toContainText(`host ${HOST_PORT}/tcp → ${prefix3}.`);
  // A second forward, added and removed here.
  const addForward = page.getByRole("form", { name: "Add a port forward" });
  await addForward.getByLabel("Host port").fill(String(HOST_PORT + 1));
  await addForward.getByLabel("Guest port").fill("8080");
  await addForward.getByRole("button", { name: "Add forward" }).click();
  const extra = page.locator(`[data-forward="${HOST_PORT + 1}"]`);
  await expect(extra).toContainText(`host ${HOST_PORT + 1}/tcp → ${prefix3}.`);
  await extra.getByRole("button", { name: `Remove forward of host port ${HOST_PORT + 1}` }).click();
  await expect(extra).toHaveCount(0);
  // A second NIC, on the default network, attached to the running container and detached again.
  const attach = page.getByRole("form", { name: "Attach a NIC" });
  await attach.getByLabel("Attach to network").selectOption("default");
  await attach.getByRole("button", { name: "Attach NIC" }).click();
  const second = page.locator('tr[data-nic="default"]');
  // An address from the default network (10.88.0.0/16 unless the host already uses it).
  await expect(second.getByRole("cell").nth(2)).toHaveText(/^\d{1,3}(\.\d{1,3}){3}\b/);
  await page.getByRole("button", { name: "Detach NIC 2" }).click();
  await page
    .getByRole("dialog", { name: "Detach NIC 2?" })
    .getByRole("button", { name: "Detach", exact: true })
    .click();
  await expect(second).toHaveCount(0);
  // A firewall rule, saved and read back after a reload.
  await page.getByRole("button", { name: "Add a rule" }).click();
  await page.getByLabel("Rule 1 ports", { exact: true }).fill("80");
  await page.getByLabel("Rule 1 source", { exact: true }).fill("10.0.0.0/8");
  await page.getByRole("button", { name: "Save rules" }).click();
  await expect(page.getByRole("button", { name: "Save rules" })).toBeDisabled();
  await page.reload();
  await expect(page.getByLabel("Rule 1 ports", { exact: true })).toHaveValue("80");
  await expect(page.getByLabel("Rule 1 source", { exact: true })).toHaveValue("10.0.0.0/8");
  await shot(page, "real-guest-network-tab");
  // Its Storage tab: the volume mounted at /data.
  await page.getByRole("tab", { name: "Storage" }).click();
  await expect(page.locator(`[data-volume="${vol}"]`)).toContainText("at /data");

  // The network's page lists the container and its forward.
  await page.goto("/networks");
  await expect(row.getByRole("cell").nth(4)).toHaveText("1");
  await row.getByRole("button", { name: net, exact: true }).click();
  const guests = page.getByRole("region", { name: `Guests on ${net}` });
  await expect(guests.getByRole("link", { name: ct })).toBeVisible();
  await expect(page.getByRole("region", { name: `Port forwards on ${net}` })).toContainText(
    `host ${HOST_PORT}/tcp → ${ct}`,
  );
  await shot(page, "real-networks-page");

  // In use: the server refuses the delete and names the container; the dialog shows it.
  await row.getByRole("button", { name: `Delete ${net}` }).click();
  const refuse = page.getByRole("dialog", { name: `Delete network ${net}?` });
  await refuse.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(refuse.getByRole("alert")).toContainText(ct);
  await refuse.getByRole("button", { name: "Cancel" }).click();

  // The Storage page shows the volume in its pool, used by the container at /data.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Storage" }).click();
  const volRow = page.locator(`tr[data-volume="${vol}"]`);
  await expect(volRow).toContainText(ct);
  await expect(volRow).toContainText("/data");
  await expect(page.getByRole("progressbar").first()).toBeVisible();
  await shot(page, "real-storage-page");
  // A volume in use cannot be deleted: the server's refusal is shown.
  await page.getByRole("button", { name: `Delete volume ${vol}` }).click();
  const inUse = page.getByRole("dialog", { name: `Delete volume ${vol}?` });
  await inUse.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(inUse.getByRole("alert")).not.toBeEmpty();
  await inUse.getByRole("button", { name: "Cancel" }).click();
  // A volume made on this page, mounted into the running container from its Storage tab (the
  // server says it applies at the next start) and unmounted, then deleted from this page.
  const spare = `${PREFIX}spare`;
  await page.getByRole("button", { name: "Create volume" }).click();
  const make = page.getByRole("dialog", { name: "Create a volume" });
  await make.getByLabel("Volume name").fill(spare);
  await make.getByLabel("Size (GiB)").fill("1");
  await make.getByRole("button", { name: "Create volume" }).click();
  const spareRow = page.locator(`tr[data-volume="${spare}"]`);
  await expect(spareRow).toContainText("container volume");
  await volRow.getByRole("link", { name: ct }).click();
  await page.getByRole("tab", { name: "Storage" }).click();
  const mount = page.getByRole("form", { name: "Mount a volume" });
  await mount.getByLabel("Volume to mount").selectOption({ label: `${spare} (1.0 GiB)` });
  await mount.getByLabel("Mount path").fill("/spare");
  await mount.getByRole("button", { name: "Mount" }).click();
  await expect(page.locator(`[data-volume="${spare}"]`)).toContainText("at /spare");
  await expect(page.getByRole("status").filter({ hasText: "next start" })).toBeVisible();
  await page.getByRole("button", { name: `Unmount ${spare}` }).click();
  await expect(page.locator(`[data-volume="${spare}"]`)).toHaveCount(0);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Storage" }).click();
  await expect(spareRow).toBeVisible();
  await page.getByRole("button", { name: `Delete volume ${spare}` }).click();
  await page
    .getByRole("dialog", { name: `Delete volume ${spare}?` })
    .getByRole("button", { name: "Delete", exact: true })
    .click();
  await expect(spareRow).toHaveCount(0);

  // Delete the container with purge: its volume goes with it (no other container has it), then
  // the network, now unused, through the UI.
  await volRow.getByRole("link", { name: ct }).click();
  await expect(page.getByRole("heading", { level: 1, name: ct })).toBeVisible();
  await deleteFromSettings(page, ct);
  await page.goto("/storage");
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("progressbar").first()).toBeVisible();
    await expect(volRow).toHaveCount(0, { timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  await page.goto("/networks");
  await row.getByRole("button", { name: `Delete ${net}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(row).toHaveCount(0, { timeout: 60_000 });
});

test("a stopped VM with an extra disk from the wizard: grow it, see it on the Storage page, detach it with purge", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const vm = `${PREFIX}vm`;
  await signIn(page, e2eAdminPassword);
  await page.goto("/guests/new?kind=vm");
  await page.getByLabel("Name", { exact: true }).fill(vm);
  await page.getByRole("radio", { name: /demo-vm/ }).check();
  await page.getByRole("button", { name: "2. Resources" }).click();
  await page.getByRole("button", { name: "Add a disk" }).click();
  await page.getByLabel("Disk 2 size (GiB)", { exact: true }).fill("1");
  await page.getByRole("button", { name: "3. Configure" }).click();
  await page.getByLabel("Start it when it is created").uncheck();
  await page.getByRole("button", { name: "4. Review" }).click();
  await expect(page.getByText("1 GiB in the default pool")).toBeVisible();
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { level: 1, name: vm })).toBeVisible({ timeout: 120_000 });
  await expectGuestState(page, "stopped", 120_000);

  await page.getByRole("tab", { name: "Storage" }).click();
  const vdb = page.locator('tr[data-disk="vdb"]');
  await expect(vdb).toContainText("1.0 GiB");
  await page.getByRole("button", { name: "Grow vdb" }).click();
  const grow = page.getByRole("dialog", { name: "Grow vdb?" });
  await grow.getByLabel("New size (GiB)").fill("2");
  await grow.getByRole("button", { name: "Grow", exact: true }).click();
  await expect(grow).toBeHidden();
  await expect(vdb).toContainText("2.0 GiB", { timeout: 60_000 });
  await shot(page, "real-vm-disks");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Storage" }).click();
  const volume = page.locator("tr[data-volume]").filter({ hasText: vm });
  await expect(volume).toContainText("VM disk");
  await expect(volume).toContainText("vdb");
  await volume.getByRole("link", { name: vm }).click();

  await page.getByRole("tab", { name: "Storage" }).click();
  await page.getByRole("button", { name: "Detach vdb" }).click();
  const detach = page.getByRole("dialog", { name: "Detach vdb?" });
  await detach.getByLabel(/purge/).check();
  await detach.getByRole("button", { name: "Detach", exact: true }).click();
  await expect(vdb).toHaveCount(0, { timeout: 60_000 });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Storage" }).click();
  await expect(page.getByRole("progressbar").first()).toBeVisible();
  await expect(page.locator("tr[data-volume]").filter({ hasText: vm })).toHaveCount(0);
  await page.goBack();
  await deleteFromSettings(page, vm);
});
