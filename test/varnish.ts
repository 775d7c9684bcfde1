// A real varnishd on the repository's VCL, for the CDN purge test and bench: one way to start it.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const VCL = path.join(import.meta.dirname, '..', 'deploy', 'varnish', 'default.vcl');

/**
 * Writes deploy/varnish/default.vcl into `work`, pointed at the gateway's port, and returns
 * varnishd's arguments: -F in the foreground, so the caller owns the process; -j none, no
 * privilege separation (works as root and as anyone else); its own -n working directory in `work`.
 */
export async function varnishArgs(options: { work: string; listenPort: number; gatewayPort: number | string; storage: string }) {
  const vcl = (await readFile(VCL, 'utf8')).replace(/\.port = "\d+";/, `.port = "${options.gatewayPort}";`);
  await writeFile(path.join(options.work, 'default.vcl'), vcl);
  return [
    '-F',
    '-j',
    'none',
    '-n',
    path.join(options.work, 'n'),
    '-a',
    `127.0.0.1:${options.listenPort}`,
    '-f',
    path.join(options.work, 'default.vcl'),
    '-s',
    `malloc,${options.storage}`,
  ];
}
