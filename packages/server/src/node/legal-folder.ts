import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { AccordError, type CatalogueFile, type LegalCatalogue, loadCatalogue } from '@accord/core';

/** The catalogue shipped with Accord: the repository's `legal/` folder. */
export const BUILT_IN_LEGAL = resolve(import.meta.dirname, '..', '..', '..', '..', 'legal');

/** Every `*.yaml` / `*.yml` below `dir`, in name order, named relative to `base` for messages. */
const yamlFiles = async (dir: string, base: string): Promise<CatalogueFile[]> => {
  const out: CatalogueFile[] = [];
  const walk = async (at: string): Promise<void> => {
    const entries = (await readdir(at, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) {
        out.push({ name: relative(base, path), text: await readFile(path, 'utf8') });
      }
    }
  };
  await walk(dir);
  return out;
};

/**
 * Loads the built-in catalogue and, when the data folder has one, the deployment's own `legal/`
 * folder (more crimes or national profiles), and validates them together: a malformed file stops
 * the node with its name and line.
 */
export const loadLegalCatalogue = async (dataDir?: string): Promise<LegalCatalogue> => {
  const files = await yamlFiles(BUILT_IN_LEGAL, resolve(BUILT_IN_LEGAL, '..'));
  if (dataDir) {
    const extra = join(resolve(dataDir), 'legal');
    const info = await stat(extra).catch(() => undefined);
    if (info?.isDirectory()) files.push(...(await yamlFiles(extra, resolve(dataDir))));
    else if (info) throw new AccordError('config', `${extra} must be a folder of catalogue files`);
  }
  return loadCatalogue(files);
};
