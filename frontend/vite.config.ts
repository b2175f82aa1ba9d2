import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// dist/ is emptied on every build, but main.go embeds it, so a clean clone
// needs the directory: put back the committed placeholder after each build.
function keepDist(): Plugin {
  return {
    name: 'kumeo-keep-dist',
    apply: 'build',
    closeBundle() {
      writeFileSync(fileURLToPath(new URL('dist/.gitkeep', import.meta.url)), '');
    },
  };
}

export default defineConfig({
  plugins: [svelte(), keepDist()],
  // Relative asset paths: the same build works in the Wails asset server
  // and in a browser served from any path by a Go harness.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
