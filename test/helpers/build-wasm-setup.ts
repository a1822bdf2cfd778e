// vitest globalSetup: (re)builds the generated wasm module when it is missing or older than the
// AssemblyScript source, so tests never run stale kernels.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const source = `${root}src/backend/wasm/assembly/kernels.ts`;
const generated = `${root}src/backend/wasm/module.generated.ts`;

export default function setup(): void {
  if (existsSync(generated) && statSync(generated).mtimeMs >= statSync(source).mtimeMs) return;
  execFileSync(process.execPath, [`${root}scripts/build-wasm.mjs`], { cwd: root, stdio: "inherit" });
}
