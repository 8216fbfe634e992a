// The set-up scripts on a machine whose apt lists are missing or stale, without touching this
// machine's own apt state: apt is pointed (through APT_CONFIG, apt's own variable) at private
// lists and a private cache in a temp dir, while the sources stay the machine's.
//
// - "stale": lists made from the base release alone (no security or point-release updates),
//   as a stock image has them; they offer an older rustc-web than Cargo.toml's rust-version.
// - "missing": no lists at all, as on a freshly booted image before any apt-get update.
//
// In both, `setup-rust.sh --check` and `setup-chromium.sh --check` must notice, refresh the
// (private) lists once, derive the package set anew and find every file on the mirror. They
// need root (apt-get update writes the lists) and the Debian mirror; elsewhere they skip,
// except on CI, where a skip would hide a broken fresh-machine set-up.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/etc/os-release');
const codename = hasApt ? /VERSION_CODENAME=(\w+)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
const canRun = isRoot && hasApt && codename !== undefined;
const rustVersion = /^rust-version = "([\d.]+)"/m.exec(readFileSync(join(ROOT, 'Cargo.toml'), 'utf8'))?.[1];

const tmp = mkdtempSync(join(tmpdir(), 'lossfn-setup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A private apt state (lists + cache) and the APT_CONFIG file that selects it. */
function aptState(name: string): { dir: string; config: string } {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  const config = join(dir, 'apt.conf');
  writeFileSync(config, `Dir::State::Lists "${dir}/lists";\nDir::Cache "${dir}/cache";\n`);
  return { dir, config };
}

/** Fills a private state with lists of the base release only (what a stock image has). */
function makeStale(state: { dir: string; config: string }): void {
  const base = join(state.dir, 'base.list');
  writeFileSync(base, `deb http://deb.debian.org/debian ${codename} main\n`);
  execFileSync('apt-get', ['update', '-qq', '-o', `Dir::Etc::SourceList=${base}`, '-o', 'Dir::Etc::SourceParts=/nonexistent'], {
    env: { ...process.env, APT_CONFIG: state.config },
    stdio: 'pipe',
  });
}

function candidate(config: string, pkg: string): string {
  const out = execFileSync('apt-cache', ['policy', pkg], { env: { ...process.env, APT_CONFIG: config }, encoding: 'utf8' });
  return /Candidate: (\S+)/.exec(out)?.[1] ?? '(none)';
}

function script(config: string, name: string): { code: number | null; out: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts', name), '--check'], {
    env: { ...process.env, APT_CONFIG: config }, encoding: 'utf8', timeout: 300_000,
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Debian upstream version of a package version string: 1:1.96.0+dfsg1-1~deb12u2 -> 1.96.0. */
const upstream = (v: string): string => v.replace(/^\d+:/, '').split(/[-+~]/)[0];
const atLeast = (v: string, min: string): boolean => {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
};

describe.skipIf(!canRun && !process.env.CI)('set-up on a machine with stale or missing apt lists (private apt state)', () => {
  it('runs as root with apt (CI must not skip this)', () => {
    expect(canRun, 'the set-up test needs root and apt-get').toBe(true);
    expect(rustVersion, 'Cargo.toml declares rust-version').toMatch(/^\d+\.\d+/);
  });

  it('setup-rust: stale lists offering an old rustc-web are refreshed and the package set derived anew', () => {
    const st = aptState('rust-stale');
    makeStale(st);
    const before = candidate(st.config, 'rustc-web');
    // The base release's rustc-web predates the one this project needs: the failure mode of a
    // stock image, reproduced in the private state.
    expect(atLeast(upstream(before), rustVersion as string), `base-release rustc-web ${before}`).toBe(false);
    const r = script(st.config, 'setup-rust.sh');
    expect(r.out).toContain(`apt offers rustc-web ${upstream(before)}, older than the ${rustVersion}`);
    expect(r.out).toContain('refreshing apt');
    expect(r.code, r.out).toBe(0);
    const after = candidate(st.config, 'rustc-web');
    expect(atLeast(upstream(after), rustVersion as string), after).toBe(true);
    // The set is derived: libstd-rust-web-<its version> and the lld of the LLVM it links.
    const m = /Debian rustc-web (\S+) with llvm-(\d+): (.*)/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const pkgs = (m as RegExpExecArray)[3].split(' ');
    const major = upstream(after).split('.').slice(0, 2).join('.');
    expect(pkgs).toEqual(expect.arrayContaining(['rustc-web', 'cargo-web', 'rust-web-src', `libstd-rust-web-${major}`,
      `libllvm${(m as RegExpExecArray)[2]}`, `lld-${(m as RegExpExecArray)[2]}`]));
  }, 300_000);

  it('setup-rust: missing lists are fetched', () => {
    const st = aptState('rust-missing');
    expect(candidate(st.config, 'rustc-web')).toBe('(none)');
    const r = script(st.config, 'setup-rust.sh');
    expect(r.out).toContain('apt offers no rustc-web');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Debian rustc-web \S+ with llvm-\d+/);
  }, 300_000);

  it('setup-chromium: missing lists are fetched and chromium resolves', () => {
    const st = aptState('chromium-missing');
    const r = script(st.config, 'setup-chromium.sh');
    expect(r.out).toContain('refreshing apt');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/apt would install chromium \S+/);
  }, 300_000);

  it('setup-chromium: stale lists resolve to the current chromium after a refresh or as they are', () => {
    const st = aptState('chromium-stale');
    makeStale(st);
    const r = script(st.config, 'setup-chromium.sh');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/apt would install chromium \S+/);
  }, 300_000);
});
