// Finds Debian's PyTorch and gives it OpenBLAS with its fastest kernel, the way the peer study
// measured it: Debian's python3-torch links libblas.so.3, by default the netlib reference BLAS
// (about 5 GFLOP/s, one thread), so without OpenBLAS a comparison with PyTorch means nothing.
// OpenBLAS comes from Debian's libopenblas0-openmp package, unpacked into bench/.cache (the
// system's BLAS alternative is left alone) and put first on LD_LIBRARY_PATH. OpenBLAS 0.3.21
// does not recognise recent CPUs and falls back to SSE3 kernels (34 instead of 178 GFLOP/s on
// the peer study's Xeon) unless OPENBLAS_CORETYPE names one.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const PYTHON = "/usr/bin/python3";
const INSTALL_HINT = "apt-get install -y python3-torch python3-numpy   (Debian 12: PyTorch 1.13 for /usr/bin/python3)";

function findFile(dir, name) {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === name) return p;
    if (statSync(p).isDirectory()) { const f = findFile(p, name); if (f) return f; }
  }
  return null;
}

/** OpenBLAS's kernel for this CPU: the AVX-512 one where the CPU has AVX-512. */
function coreType() {
  const flags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
  if (flags.includes("avx512f")) return "SkylakeX";
  if (flags.includes("avx2")) return "Haswell";
  return null;
}

/**
 * `{ env, torch, openblas, coretype }` to run torch_bench.py with, or `{ skip }` saying why not
 * and what to do about it.
 */
export function torchEnv(cacheDir) {
  const probe = spawnSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (probe.status !== 0) return { skip: `PyTorch is not importable by ${PYTHON}. To compare with it: ${INSTALL_HINT}` };
  const torch = probe.stdout.trim();

  const dir = join(cacheDir, "openblas-openmp");
  let lib = findFile(dir, "libblas.so.3");
  if (!lib) {
    const debs = join(cacheDir, "debs");
    mkdirSync(debs, { recursive: true });
    const dl = spawnSync("apt-get", ["download", "libopenblas0-openmp"], { cwd: debs, encoding: "utf8" });
    const deb = existsSync(debs) ? readdirSync(debs).find((f) => f.startsWith("libopenblas0-openmp_") && f.endsWith(".deb")) : null;
    if (!deb) {
      return { skip: `OpenBLAS is needed for a meaningful PyTorch comparison and could not be fetched (apt-get download libopenblas0-openmp: ${(dl.stderr || dl.error?.message || "").trim().split("\n").pop()}). ` +
        `Fetch it by hand: mkdir -p ${debs} && (cd ${debs} && apt-get download libopenblas0-openmp) && dpkg -x ${debs}/libopenblas0-openmp_*.deb ${dir}` };
    }
    const x = spawnSync("dpkg", ["-x", join(debs, deb), dir], { encoding: "utf8" });
    lib = findFile(dir, "libblas.so.3");
    if (x.status !== 0 || !lib) return { skip: `dpkg -x ${deb} failed: ${x.stderr}` };
  }
  const libDir = resolve(lib.slice(0, lib.lastIndexOf("/")));
  const coretype = coreType();
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
    ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}),
  };
  return { env, torch, openblas: libDir, coretype };
}
