import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ once, so `npx vitest` alone tests what nginx would load.
    globalSetup: ["test/support/global-setup.ts"],
    // End-to-end suites start real daemons; a slow machine must not fail them.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: more parallel files would only make daemons compete.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
