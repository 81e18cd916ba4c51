/**
 * Node.js options of the processes `npm start` runs (and of its own: package.json's start script and
 * console-testing's PlatformProcess say the same).
 * V8 grows the young generation up to three 16 MB semispaces under the allocation burst of start-up
 * (snapshot, enrolment, read models catching up) and keeps them at rest; capped at 4 MB they cost
 * about 30 MB less per process (bench:memory) for somewhat more frequent scavenges under load.
 */
export const PLATFORM_NODE_OPTIONS = ['--max-semi-space-size=4'];
