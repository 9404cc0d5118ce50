// The REST surface with the fake driver: guests, tasks, images, host, metrics, OpenAPI — and
// every route's answer to bad input (never a 500, never a crash).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { Client, startTestServer, until, type TestServer } from "./harness";

let server: TestServer;
let admin: Client;

beforeAll(async () => {
  server = await startTestServer();
  admin = new Client(server.url);
  await admin.login();
});
afterAll(() => server?.stop());

const body = (over: Record<string, unknown> = {}) => ({
  kind: "container",
  name: `ct-${Math.random().toString(36).slice(2, 8)}`,
  image: "demo-busybox",
  vcpus: 1,
  memoryMiB: 128,
  ...over,
});

async function createAndWait(over: Record<string, unknown> = {}) {
  const res = await admin.json<{ guest: { id: string; state: string }; taskId: string }>(
    "POST",
    "/api/v1/guests",
    body(over),
  );
  expect(res.status).toBe(202);
  const task = await until(async () => {
    const t = await admin.json<{ task: { state: string } }>("GET", `/api/v1/tasks/${res.body.taskId}`);
    return t.body.task.state === "succeeded" || t.body.task.state === "failed" ? t.body.task : null;
  });
  return { ...res.body, task };
}

describe("guests", () => {
  it("creates a guest: 202 with the guest and a task, then it runs", async () => {
    const { guest, task } = await createAndWait({ name: "web-1" });
    expect(guest).toMatchObject({ kind: "container", name: "web-1", state: "creating", hostId: "local" });
    expect(task).toMatchObject({ state: "succeeded", progress: 100, action: "create", username: "admin" });
    const got = await admin.json<{ guest: Record<string, unknown> }>("GET", `/api/v1/guests/${guest.id}`);
    expect(got.status).toBe(200);
    expect(got.body.guest).toMatchObject({
      id: guest.id,
      kind: "container",
      name: "web-1",
      state: "running",
      vcpus: 1,
      memoryMiB: 128,
      image: "demo-busybox",
    });
    expect(typeof got.body.guest.createdAt).toBe("string");
    // The fake backend has no extras; the UI hides the tabs it would need.
    expect(got.body.guest.capabilities).toEqual({
      vnc: false,
      exec: false,
      snapshots: false,
      logs: false,
      clone: false,
      rename: false,
      resize: false,
      liveResize: false,
    });
    // …so a rename or resize is refused with a clear 400, not attempted.
    const rename = await admin.json<{ error: { message: string } }>("PATCH", `/api/v1/guests/${guest.id}`, {
      name: "web-2",
    });
    expect(rename.status).toBe(400);
    expect(rename.body.error.message).toMatch(/renaming is not available/);
    const list = await admin.json<{ guests: { id: string }[] }>("GET", "/api/v1/guests");
    expect(list.body.guests.map((g) => g.id)).toContain(guest.id);
  });

  it("refuses a duplicate name with 409", async () => {
    await createAndWait({ name: "dup" });
    const again = await admin.json("POST", "/api/v1/guests", body({ name: "dup" }));
    expect(again.status).toBe(409);
  });

  it("runs lifecycle actions as tasks and refuses impossible ones with INVALID_STATE", async () => {
    const { guest } = await createAndWait({ kind: "vm", image: "demo-vm", name: "life" });
    const pause = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${guest.id}/actions`, {
      action: "pause",
    });
    expect(pause.status).toBe(202);
    await until(
      async () =>
        (await admin.json<{ guest: { state: string } }>("GET", `/api/v1/guests/${guest.id}`)).body.guest.state ===
        "paused",
    );
    const startPaused = await admin.json<{ error: { code: string } }>("POST", `/api/v1/guests/${guest.id}/actions`, {
      action: "start",
    });
    expect(startPaused.status).toBe(409);
    expect(startPaused.body.error.code).toBe("INVALID_STATE");
    const tasks = await admin.json<{ tasks: { action: string; targetId: string }[] }>(
      "GET",
      `/api/v1/tasks?targetId=${guest.id}`,
    );
    expect(tasks.body.tasks.map((t) => t.action)).toEqual(expect.arrayContaining(["create", "pause"]));
  });

  it("deletes a running guest (stopping it first) and then 404s", async () => {
    const { guest } = await createAndWait();
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${guest.id}?purge=true`);
    expect(del.status).toBe(202);
    await until(async () => (await admin.raw("GET", `/api/v1/guests/${guest.id}`)).status === 404);
    const task = await admin.json<{ task: { state: string; action: string } }>(
      "GET",
      `/api/v1/tasks/${del.body.taskId}`,
    );
    expect(task.body.task).toMatchObject({ state: "succeeded", action: "delete+purge" });
  });

  it("a failing create leaves no guest behind and a failed task with the error", async () => {
    const { guest, task } = await createAndWait({ name: "will-fail" });
    expect(task).toMatchObject({ state: "failed" });
    expect((task as unknown as { error: string }).error).toMatch(/fails names/);
    expect((await admin.raw("GET", `/api/v1/guests/${guest.id}`)).status).toBe(404);
  });

  it("two actions on one guest at once: one wins, the other gets a clear 409", async () => {
    const { guest } = await createAndWait();
    const [a, b] = await Promise.all([
      admin.json<{ error?: { code: string } }>("POST", `/api/v1/guests/${guest.id}/actions`, { action: "stop" }),
      admin.json<{ error?: { code: string } }>("POST", `/api/v1/guests/${guest.id}/actions`, { action: "pause" }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([202, 409]);
    const loser = a.status === 409 ? a : b;
    expect(["CONFLICT", "INVALID_STATE"]).toContain(loser.body.error?.code);
  });

  it("keeps tags and notes in Tandem's database", async () => {
    const { guest } = await createAndWait({ tags: ["web"] });
    const patched = await admin.json<{ guest: { tags: string[]; notes: string } }>(
      "PATCH",
      `/api/v1/guests/${guest.id}`,
      { tags: ["web", "prod"], notes: "front door" },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.guest).toMatchObject({ tags: ["web", "prod"], notes: "front door" });
  });
});

describe("bad input gets a clear 4xx, never a 500", () => {
  const cases: [string, string, unknown, number, string?][] = [
    ["POST", "/api/v1/guests", { kind: "vm" }, 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ vcpus: "two" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ vcpus: 0 }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ vcpus: 1e308 }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ memoryMiB: -5 }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ vcpus: 4096 }), 400, "VALIDATION"],
    // Within the schema's limits but more than the host has: the one capacity code (issue 11).
    ["POST", "/api/v1/guests", body({ memoryMiB: 4 * 1024 * 1024 }), 507, "INSUFFICIENT_RESOURCES"],
    ["POST", "/api/v1/guests", body({ kind: "jail" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ image: "no-such-image" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ image: "demo-vm" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ name: "x'; rm -rf / #" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ name: "<domain>&amp;" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ name: "../../etc" }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ name: "a".repeat(300) }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", body({ env: ["not an env var"] }), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", JSON.parse('{"__proto__":{"admin":true},"kind":"vm"}'), 400, "VALIDATION"],
    ["POST", "/api/v1/guests", "{not json", 400, "BAD_REQUEST"],
    ["POST", "/api/v1/guests", [], 400, "VALIDATION"],
    ["POST", "/api/v1/guests", null, 400, "VALIDATION"],
    ["POST", "/api/v1/session", { username: 5 }, 400, "VALIDATION"],
    ["POST", "/api/v1/tokens", {}, 400, "VALIDATION"],
    ["POST", "/api/v1/tokens", { name: "x".repeat(1000) }, 400, "VALIDATION"],
    ["POST", "/api/v1/users", { username: "a b", password: "12345678", role: "admin" }, 400, "VALIDATION"],
    ["POST", "/api/v1/users", { username: "dave", password: "short", role: "admin" }, 400, "VALIDATION"],
    ["POST", "/api/v1/users", { username: "dave", password: "12345678", role: "root" }, 400, "VALIDATION"],
    ["GET", "/api/v1/guests/local.vm.does-not-exist", undefined, 404, "NOT_FOUND"],
    ["GET", "/api/v1/guests/garbage", undefined, 404, "NOT_FOUND"],
    ["GET", "/api/v1/guests/%2e%2e%2f%2e%2e", undefined, 404, "NOT_FOUND"],
    ["DELETE", "/api/v1/guests/local.container.nope", undefined, 404, "NOT_FOUND"],
    ["POST", "/api/v1/guests/local.vm.nope/actions", { action: "start" }, 404, "NOT_FOUND"],
    ["POST", "/api/v1/guests/local.vm.nope/actions", { action: "explode" }, 400, "VALIDATION"],
    ["GET", "/api/v1/guests/local.vm.nope/metrics", undefined, 404, "NOT_FOUND"],
    ["GET", "/api/v1/guests/local.vm.nope/metrics?range=forever", undefined, 400, "VALIDATION"],
    ["GET", "/api/v1/tasks/nope", undefined, 404, "NOT_FOUND"],
    ["GET", "/api/v1/tasks?limit=-1", undefined, 400, "VALIDATION"],
    ["GET", "/api/v1/tasks?limit=abc", undefined, 400, "VALIDATION"],
    ["DELETE", "/api/v1/images/nope", undefined, 404, "NOT_FOUND"],
    ["DELETE", "/api/v1/images/demo-vm", undefined, 409, "CONFLICT"],
    ["POST", "/api/v1/images?name=x&kind=vm", "abc", 400, "VALIDATION"],
    ["GET", "/api/v1/nothing-here", undefined, 404, "NOT_FOUND"],
  ];
  for (const [method, path, payload, status, code] of cases) {
    it(`${method} ${path.slice(0, 60)} ${JSON.stringify(payload)?.slice(0, 50) ?? ""} → ${status}`, async () => {
      const res = await admin.raw(
        method,
        path,
        payload === undefined ? undefined : typeof payload === "string" ? payload : JSON.stringify(payload),
      );
      expect(res.status).toBe(status);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.message.length).toBeGreaterThan(3);
    });
  }

  it("refuses bodies that are not JSON with 415", async () => {
    const res = await admin.raw("POST", "/api/v1/guests", "kind=vm", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(415);
  });

  it("refuses oversized JSON bodies with 413", async () => {
    const res = await admin.raw(
      "POST",
      "/api/v1/guests",
      JSON.stringify({ ...body(), notes: "x".repeat(2 * 1024 * 1024) }),
    );
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("the server is still healthy after all of that", async () => {
    expect((await admin.raw("GET", "/healthz")).status).toBe(200);
    expect((await admin.raw("GET", "/api/v1/guests")).status).toBe(200);
  });
});

describe("images, host, tasks, metrics, OpenAPI", () => {
  it("lists the demo images with the documented fields", async () => {
    const res = await admin.json<{ images: Record<string, unknown>[] }>("GET", "/api/v1/images");
    expect(res.body.images).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "demo-vm", kind: "vm", format: "demo-kernel", sizeBytes: expect.any(Number) }),
        expect.objectContaining({ id: "demo-busybox", kind: "container", format: "oci" }),
      ]),
    );
  });

  it("uploads a VM disk image and deletes it; the size limit holds", async () => {
    const up = await admin.raw("POST", "/api/v1/images?name=tiny-raw&kind=vm&format=raw", "x".repeat(4096), {
      "content-type": "application/octet-stream",
    });
    expect(up.status).toBe(201);
    const { image } = (await up.json()) as { image: { id: string; sizeBytes: number; format: string } };
    expect(image).toMatchObject({ sizeBytes: 4096, format: "raw" });
    expect((await admin.raw("DELETE", `/api/v1/images/${image.id}`)).status).toBe(204);
    const dup = await admin.raw("POST", "/api/v1/images?name=demo-vm&kind=vm&format=raw", "x", {
      "content-type": "application/octet-stream",
    });
    expect(dup.status).toBe(409);
    const wrongKind = await admin.raw("POST", "/api/v1/images?name=a&kind=vm&format=oci", "x", {
      "content-type": "application/octet-stream",
    });
    expect(wrongKind.status).toBe(400);
  });

  it("reports the host", async () => {
    const res = await admin.json<{ host: Record<string, unknown> }>("GET", "/api/v1/host");
    expect(res.body.host).toMatchObject({
      id: "local",
      cpus: expect.any(Number),
      accel: expect.stringMatching(/^(kvm|qemu)$/),
      degraded: false,
    });
    expect(res.body.host.memoryBytes as number).toBeGreaterThan(0);
  });

  it("serves Prometheus text that a real parser reads, with labelled guest series", async () => {
    const { guest } = await createAndWait({ name: "prom-me" });
    const cpuFamily = async () => {
      const res = await admin.raw("GET", "/metrics");
      expect(res.headers.get("content-type")).toMatch(/text\/plain/);
      const families = parsePrometheusTextFormat(await res.text());
      const cpu = families.find((f) => f.name === "tandem_guest_cpu_seconds_total");
      return cpu?.metrics.some((m) => m.labels?.id === guest.id) ? { families, cpu } : null;
    };
    const { families, cpu } = await until(cpuFamily, 8000);
    expect(cpu?.type).toBe("COUNTER");
    const mine = cpu?.metrics.find((m) => m.labels?.id === guest.id);
    expect(mine?.labels).toMatchObject({ name: "prom-me", kind: "container" });
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        "tandem_host_cpu_seconds_total",
        "tandem_sampler_tick_seconds",
        "tandem_connected_clients",
      ]),
    );
  });

  it("serves 1 s metric history for a running guest", async () => {
    const { guest } = await createAndWait();
    const pts = await until(async () => {
      const r = await admin.json<{ points: { cpuPct: number }[]; resolution: number }>(
        "GET",
        `/api/v1/guests/${guest.id}/metrics?range=15m`,
      );
      return r.body.points.length >= 2 ? r.body : null;
    }, 8000);
    expect(pts.resolution).toBe(1);
    expect(pts.points[0]!.cpuPct).toBeGreaterThanOrEqual(0);
  });

  it("publishes an OpenAPI document covering every route", async () => {
    const doc = await admin.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/api/v1/openapi.json",
    );
    expect(doc.body.openapi).toBe("3.1.0");
    for (const [p, m] of [
      ["/api/v1/session", "post"],
      ["/api/v1/session", "delete"],
      ["/api/v1/tokens", "post"],
      ["/api/v1/host", "get"],
      ["/api/v1/guests", "get"],
      ["/api/v1/guests", "post"],
      ["/api/v1/guests/{id}", "get"],
      ["/api/v1/guests/{id}", "delete"],
      ["/api/v1/guests/{id}/actions", "post"],
      ["/api/v1/guests/{id}/metrics", "get"],
      ["/api/v1/images", "get"],
      ["/api/v1/images", "post"],
      ["/api/v1/tasks", "get"],
      ["/api/v1/tasks/{id}", "get"],
      ["/metrics", "get"],
      ["/healthz", "get"],
    ] as const) {
      expect(doc.body.paths[p]?.[m], `${m} ${p}`).toBeDefined();
    }
    // One shape per kind: each variant requires the common fields and names its kind.
    type Shape = { required: string[]; properties: Record<string, { enum?: string[]; const?: string }> };
    const create = doc.body.paths["/api/v1/guests"]!.post as {
      requestBody: { content: Record<string, { schema: { oneOf?: Shape[]; anyOf?: Shape[] } }> };
    };
    const body = create.requestBody.content["application/json"]!.schema;
    const variants = body.oneOf ?? body.anyOf ?? [];
    expect(variants).toHaveLength(2);
    for (const v of variants) {
      expect(v.required).toEqual(expect.arrayContaining(["kind", "name", "image", "vcpus", "memoryMiB"]));
    }
    const kinds = variants.map((v) => v.properties.kind?.const ?? v.properties.kind?.enum?.[0]);
    expect(kinds.sort()).toEqual(["container", "vm"]);
    // Since issue 12 both kinds take nics and ports (forwards to the first NIC); only containers
    // mount volumes and binds, only VMs have cloud-init.
    const vm = Object.keys(variants.find((v) => v.properties.cloudInit)!.properties);
    const container = Object.keys(variants.find((v) => !v.properties.cloudInit)!.properties);
    expect(vm).toEqual(expect.arrayContaining(["nics", "ports", "disks"]));
    expect(vm).not.toContain("volumes");
    expect(vm).not.toContain("binds");
    expect(container).toEqual(expect.arrayContaining(["nics", "ports", "volumes", "binds"]));
  });
});
