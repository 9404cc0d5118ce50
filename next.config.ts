import type { NextConfig } from "next";

const config: NextConfig = {
  // The custom server (server/main.ts) owns the port, REST and socket.io; Next renders pages.
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
};

export default config;
