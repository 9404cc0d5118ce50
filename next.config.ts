import type { NextConfig } from "next";

const config: NextConfig = {
  // The custom server (server/main.ts) owns the port, REST and socket.io; Next renders pages.
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  // `npm test` type-checks the whole repo once (tsc); checking again inside `next build` only
  // slows every start after a change.
  typescript: { ignoreBuildErrors: true },
};

export default config;
