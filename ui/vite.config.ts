import { defineConfig } from "vitest/config";

// The built app goes into the Python package, which `mlrs ui` serves; it is gitignored and
// shipped in the wheel. Absolute asset paths, because every client-side route serves index.html.
export default defineConfig({
  base: "/",
  build: {
    outDir: "../python/mlrs/ui_assets",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: true,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
