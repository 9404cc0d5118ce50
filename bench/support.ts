// Shared set-up for benchmarks that drive a real Tandem server: a migrated temp database, the
// test harness's server and clients, and small timing helpers.
import globalSetup from "../server/test/global-setup";
import {
  Client,
  connectSocket,
  removeCgroupParent,
  startTestServer,
  until,
  type TestServer,
  type TestSocket,
} from "../server/test/harness";

export { Client, connectSocket, removeCgroupParent, until, type TestServer, type TestSocket };

export async function benchServer(opts: Parameters<typeof startTestServer>[0]): Promise<{
  server: TestServer;
  admin: Client;
  stop: () => Promise<void>;
}> {
  const teardown = globalSetup();
  const server = await startTestServer(opts);
  const admin = new Client(server.url);
  await admin.login();
  return {
    server,
    admin,
    stop: async () => {
      await server.stop();
      teardown();
    },
  };
}

export async function waitTask(admin: Client, taskId: string, timeoutMs = 120_000, pollMs = 50): Promise<void> {
  await until(
    async () => {
      const t = (await admin.json<{ task: { state: string; error: string | null } }>("GET", `/api/v1/tasks/${taskId}`))
        .body.task;
      if (t.state === "failed") throw new Error(`task failed: ${t.error}`);
      return t.state === "succeeded";
    },
    timeoutMs,
    pollMs,
  );
}

export { sleep } from "../server/test/support";
