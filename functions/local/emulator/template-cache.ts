import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { ShopConfig } from "../../core/config/config.js";
import type { CloudFormationTemplate } from "./engine.js";

/**
 * The synthesized template a local run needs (`npm start`, `simulate`, `whatif`, `explain --events`), kept
 * on disk by what made it: the config and every source file the stack is built from. Loading aws-cdk-lib and
 * synthesizing take about 2 s of CPU in every such process; the same tree and config give the same
 * template, so a second run reads it back (`node_modules/.cache/shopcare-templates/`, as other tools keep
 * theirs). A cache that cannot be read or written is passed by: the template is synthesized.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CACHE_DIR = join(ROOT, "node_modules", ".cache", "shopcare-templates");
/** What the stack is built from: its code, its state machines' definitions and the packages' versions. */
const SOURCES = ["infra", "functions", "workflows"];
const LOCKFILE = "package-lock.json";

/** Every file under the sources, in a stable order. */
async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  for (const source of SOURCES) await walk(join(ROOT, source));
  return files.sort();
}

/** A hash of the config and of every source file's path and content. */
async function cacheKey(config: ShopConfig): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify(config));
  for (const file of [...(await sourceFiles()), join(ROOT, LOCKFILE)]) {
    hash.update(relative(ROOT, file));
    hash.update(await readFile(file).catch(() => Buffer.alloc(0)));
  }
  return hash.digest("hex");
}

/** The template for `config`: from the cache when this tree made it before, else synthesized and kept. */
export async function localTemplate(config: ShopConfig): Promise<CloudFormationTemplate> {
  const key = await cacheKey(config);
  const path = join(CACHE_DIR, `${key}.json`);
  const cached = await readFile(path, "utf8").then(
    (text) => JSON.parse(text) as CloudFormationTemplate,
    () => undefined,
  );
  if (cached) return cached;
  const { synthesizeTemplate } = await import("./synth.js");
  const template = synthesizeTemplate(config);
  // Written aside and renamed: runs started together never read half a file.
  const partial = `${path}.${randomUUID()}`;
  await mkdir(CACHE_DIR, { recursive: true })
    .then(() => writeFile(partial, JSON.stringify(template)))
    .then(() => rename(partial, path))
    .catch(() => undefined);
  return template;
}
