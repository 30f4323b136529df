// deploy/nginx/hero-socket.conf as run on this machine (by npm run cluster and by the tests): the
// deployment file as shipped, with only the lines marked "test:" pointed at local ports and
// certificate files, inside a main configuration that keeps every file nginx writes in one folder
// (no root, no /etc paths).
import fs from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../../src/config/package-root.js'

/** nginx's binary: where Debian puts it, or on PATH. */
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => fs.existsSync(file)) ?? 'nginx'

export const DEPLOY_CONF = path.join(PACKAGE_ROOT, 'deploy', 'nginx', 'hero-socket.conf')

/** An upstream server nobody is sent to: the shape nginx needs before the instances exist. */
const NO_UPSTREAM = '127.0.0.1:9 down'

/**
 * The deployment file with its "test:" lines set: nginx on 127.0.0.1:`port` with `certFile` and
 * `keyFile`, in front of the instances on `upstreams` (none yet: every request 502).
 * @throws Error naming the line when the shipped file lost one of the marked lines
 */
export function renderDeployConf (
  port: number,
  upstreams: readonly [number, number] | undefined,
  certFile: string,
  keyFile: string
): string {
  const text = fs.readFileSync(DEPLOY_CONF, 'utf8')
  const upstream = (i: 0 | 1): string => upstreams === undefined ? NO_UPSTREAM : `127.0.0.1:${upstreams[i]}`
  const replacements: ReadonlyArray<[RegExp, string]> = [
    [/^(\s*)server 127\.0\.0\.1:\d+ (.*)# test: instance 1$/m, `$1server ${upstream(0)} $2`],
    [/^(\s*)server 127\.0\.0\.1:\d+ (.*)# test: instance 2$/m, `$1server ${upstream(1)} $2`],
    [/^(\s*)listen \d+ ssl;\s*# test: listen$/m, `$1listen 127.0.0.1:${port} ssl;`],
    [/^(\s*)ssl_certificate\s+\S+;\s*# test: certificate$/m, `$1ssl_certificate ${certFile};`],
    [/^(\s*)ssl_certificate_key\s+\S+;\s*# test: key$/m, `$1ssl_certificate_key ${keyFile};`]
  ]
  let rendered = text
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(rendered)) throw new Error(`${DEPLOY_CONF} has no line matching ${String(pattern)}`)
    rendered = rendered.replace(pattern, replacement)
  }
  return rendered
}

/**
 * The main configuration around the deployment file (written as `dir`/hero-socket.conf): in the
 * foreground (daemon off), every file nginx writes (pid, logs, temp folders) in `dir`.
 */
export function nginxMainConf (dir: string): string {
  return [
    // As root, workers would otherwise switch to nobody and could not write the temp folders.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 512; }',
    'http {',
    `  access_log ${dir}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${dir}/${name};`),
    `  include ${dir}/hero-socket.conf;`,
    '}',
    ''
  ].join('\n')
}

/** The arguments that run nginx on `dir`/nginx.conf with `dir` as its prefix (its error log there from the start). */
export function nginxArgs (dir: string): string[] {
  return ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]
}
