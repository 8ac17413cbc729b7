import { defineConfig } from "vite";

// Hashed file names under assets/ (the gateway caches them for a year) and
// no inline scripts or styles (the gateway's Content-Security-Policy allows
// none). JSX is Preact's, as tsconfig.json says.
// `npm run dev` serves the app with live reload and passes API calls to
// the gateway `make run` started (GATEWAY_URL to use another).
const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  server: {
    proxy: {
      "^/(completionist\\.|grpc\\.)": { target: gateway, changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    target: "es2022",
  },
});
