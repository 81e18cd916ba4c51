/** The command's version: `rustronaut --version`, and the agent string its tunnels introduce themselves with. */
export const VERSION = '0.1.0';
