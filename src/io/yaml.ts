// The YAML parser, behind an ES module of our own: a dynamic import of the `yaml` package itself
// gives a CommonJS namespace in the bundle (only `default`), while this module's named export is
// the same under tsc, vitest and esbuild.
export { parse as parseYaml } from 'yaml';
