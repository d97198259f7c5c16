/**
 * `npm run dashboards`: writes infra/grafana/dashboards/<plugin>/<name>.json from dashboards.ts.
 * test/unit/dashboards-sync.test.ts fails when the committed files differ from this output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboards } from './dashboards.js';
import { renderDashboard, type Plugin } from './render.js';

export const dashboardsDir = fileURLToPath(new URL('../dashboards', import.meta.url));
export const plugins: readonly Plugin[] = ['json-api', 'infinity'];

/** Every generated file: path relative to dashboardsDir -> its text. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const plugin of plugins) {
    for (const [name, dashboard] of Object.entries(dashboards)) {
      files.set(path.join(plugin, `${name}.json`), JSON.stringify(renderDashboard(plugin, dashboard), null, 2) + '\n');
    }
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of generatedFiles()) {
    mkdirSync(path.dirname(path.join(dashboardsDir, file)), { recursive: true });
    writeFileSync(path.join(dashboardsDir, file), text);
    console.log(`wrote infra/grafana/dashboards/${file}`);
  }
}
