// Vite's build of the web console, for tools/build/console-web.js (an ES module here, so `vite`
// resolves from this workspace whether npm hoisted it or not).
import { build } from 'vite';

export const buildConsoleWeb = (configFile) => build({ configFile, logLevel: 'warn' });
