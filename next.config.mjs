// Plain JavaScript on purpose: Next transpiles a next.config.ts with its native SWC binding at
// every start, which maps ~24 MiB of that library into the server process for good (measured:
// idle `npm start` RSS); a .mjs config is imported as it is.
/** @type {import("next").NextConfig} */
const config = {
  // The custom server (server/main.ts) owns the port, REST and socket.io; Next renders pages.
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  // `npm test` type-checks the whole repo once (tsc); checking again inside `next build` only
  // slows every start after a change.
  typescript: { ignoreBuildErrors: true },
};

export default config;
