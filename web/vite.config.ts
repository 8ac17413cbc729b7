import { defineConfig } from "vite";

// Hashed file names under assets/ (the gateway caches them for a year) and
// no inline scripts or styles (the gateway's Content-Security-Policy allows
// none). JSX is Preact's, as tsconfig.json says.
export default defineConfig({
  build: {
    outDir: "dist",
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    target: "es2022",
  },
});
