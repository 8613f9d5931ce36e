import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into dist/, which the API serves at /console (app/console.py). `npm run dev` proxies
// the API so the page can be worked on with hot reload against `make run`.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: {
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8000", ws: true },
      "/console/config.json": "http://127.0.0.1:8000",
    },
  },
});
