// Prisma CLI configuration. `engine: "js"` runs migrations through the libsql driver adapter,
// so no engine binary has to be downloaded (this host reaches only the npm registry).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    return new PrismaLibSQL({ url: process.env.DATABASE_URL ?? "file:./data/tandem.db" });
  },
});
