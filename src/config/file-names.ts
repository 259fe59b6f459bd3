/** The config files a project may have, looked for in this order; the first one found wins. */
export const CONFIG_FILE_NAMES = ["slipway.yaml", "slipway.yml", "werf.yaml", "werf.yml", "dappfile.yml", "dappfile.yaml"];
