// A PostgreSQL cluster of a test's own, for daemons that share a store (`serve --store`):
// Debian's initdb and postgres, run as `nobody` when the test runs as root, listening only on a
// unix socket in a folder directly under the temporary folder (nobody can't reach into root's).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const kBin = '/usr/lib/postgresql/15/bin';
const kPort = 5432; // names the socket file in the cluster's own folder; no TCP port is opened
const kUser = 'bosun';

function run(argv, cwd) {
  const asNobody = process.getuid() === 0 ? ['runuser', '-u', 'nobody', '--'] : [];
  const [file, ...args] = [...asNobody, ...argv];
  return new Promise((resolve, reject) =>
    execFile(file, args, { cwd, timeout: 60000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${argv[0]}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

export class PgCluster {
  // Whether Debian's PostgreSQL is installed (scripts/deps installs it).
  static installed() {
    return fs.existsSync(path.join(kBin, 'initdb')) && fs.existsSync(path.join(kBin, 'postgres'));
  }

  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-pg-'));
    if (process.getuid() === 0) {
      const nobody = Number((await run(['id', '-u'], this.dir)).trim());
      fs.chownSync(this.dir, nobody, nobody);
    }
    const data = path.join(this.dir, 'data');
    await run([path.join(kBin, 'initdb'), '-D', data, '-U', kUser, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], this.dir);
    const options = `-k ${this.dir} -c listen_addresses= -p ${kPort} -c fsync=off`;
    await run([path.join(kBin, 'pg_ctl'), '-D', data, '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '30', '-o', options, 'start'], this.dir);
    return this;
  }

  // The store URL of database `db`, as `bosun serve --store` takes it.
  url(db = 'postgres') {
    return `postgresql:///${db}?host=${this.dir}&port=${kPort}&user=${kUser}`;
  }

  async stop() {
    if (!this.dir) return;
    await run([path.join(kBin, 'pg_ctl'), '-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop'], this.dir).catch(() => {});
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
