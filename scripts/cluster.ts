// npm run cluster: nginx in front of two hero-socket instances on one redis-server, on loopback, in
// a temp folder, run from the production files in deploy/ (scripts/cluster/). Prints the URL to
// open and an account's password; Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything and removes
// the folder (exit 0). A program that ends on its own stops the rest, said in one sentence (exit 1).
import { checkPortFree, clusterCredentials, clusterPort, type Credentials } from './cluster/cluster-settings.js'
import { LocalCluster, type ClusterAccess } from './cluster/local-cluster.js'

/** What a person reads once the cluster is up. */
function welcome (access: ClusterAccess, dir: string): string {
  return [
    'hero-socket cluster: nginx in front of two instances on one redis-server, all on loopback.',
    `  open:      ${access.url}`,
    `  username:  ${access.username}`,
    `  password:  ${access.password}`,
    `  metrics:   ${access.metricsUrls.join(' ')} (token in ${access.metricsTokenFile})`,
    `  files:     ${dir} (logs in logs/)`,
    'Ctrl-C stops everything and removes the folder.',
    ''
  ].join('\n')
}

/** The one sentence a failure is said in (a program's end comes with its last lines beneath). */
function sentence (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Starts the cluster and prints the welcome; resolves '' on SIGINT, SIGTERM or SIGHUP (its
 * terminal closed: the programs, in groups of their own, would not hear it), else with what went wrong.
 */
async function runUntilStopped (cluster: LocalCluster, port: number, credentials: Credentials): Promise<string> {
  const stopped = new Promise<string>((resolve) => {
    // on, not once: a second Ctrl-C (or npm passing the first one on) must not kill the script mid-stop.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve(''))
  })
  const running = cluster.start(port, credentials).then(async (access) => {
    process.stdout.write(welcome(access, cluster.dir))
    return await new Promise<string>(() => {})
  })
  try {
    return await Promise.race([stopped, cluster.failed, running])
  } catch (err) {
    return `the cluster could not start: ${sentence(err)}`
  }
}

/** Runs the cluster until a signal (0) or a failure, which it prints (1); everything is stopped either way. */
async function run (): Promise<number> {
  const port = clusterPort(process.env)
  const credentials = await clusterCredentials(process.env)
  await checkPortFree(port)
  const cluster = new LocalCluster()
  process.once('exit', () => cluster.killNow())
  const failure = await runUntilStopped(cluster, port, credentials)
  if (failure === '') process.stderr.write('Stopping the cluster…\n')
  await cluster.stop()
  if (failure === '') return 0
  process.stderr.write(`npm run cluster: ${failure}\n`)
  return 1
}

// A closed terminal (SIGHUP) must not turn a message into an uncaught EPIPE before the stop is done.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
run().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`npm run cluster: ${sentence(err)}\n`)
  process.exitCode = 1
})
