// `npm run users`: runs the users CLI from the build in dist/, compiling nothing, so a command
// answers as fast as Node starts. With no build yet it says how to make one.
import fs from 'node:fs'

const cli = new URL('../dist/src/cli/users-cli.js', import.meta.url)
if (fs.existsSync(cli)) {
  await import(cli.href)
} else {
  process.stderr.write('hero-socket is not built yet: run `npm run build` (or `npm start`) first.\n')
  process.exitCode = 1
}
