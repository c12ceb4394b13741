// Lets Node run the TypeScript sources directly (type stripping): a relative
// `./x.js` import from a .ts file, the spelling tsc's nodenext wants, resolves
// to `./x.ts` when no such .js exists. Loaded with `node --import`.
//
// A source that tsc compiles (apps/, libs/, scripts/) resolves to its build in
// dist/ instead, when there is one: those sources use syntax that type
// stripping refuses (parameter properties, decorators), and dist/ is what the
// bench measures anyway (`npm run bench*` build first). testing/ and bench/
// are not compiled, so they run from their .ts sources.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function compiled(tsUrl) {
  const path = relative(ROOT, fileURLToPath(tsUrl));
  if (path.startsWith('..') || !/^(apps|libs|scripts)\//.test(path.split(sep).join('/'))) return null;
  const js = `${ROOT}dist/${path.replace(/\.ts$/, '.js')}`;
  return existsSync(js) ? pathToFileURL(js).href : null;
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const fromTs = context.parentURL?.endsWith('.ts');
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !fromTs || !/^\.\.?\/.*\.js$/.test(specifier)) throw error;
      const source = nextResolve(specifier.replace(/\.js$/, '.ts'), context);
      const built = compiled(source.url);
      return built ? { url: built, shortCircuit: true } : source;
    }
  },
});
