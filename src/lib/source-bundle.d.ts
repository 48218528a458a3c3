/** See source-bundle.js. */
export function bundleEntry(entry: URL): Promise<{ url: URL; reused: boolean }>;
/** See source-bundle.js. */
export function jsonDataModule(path: string): Promise<string>;
