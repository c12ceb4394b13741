// Lets Node run the TypeScript sources directly (type stripping): a relative
// `./x.js` import from a .ts file, the spelling tsc's nodenext wants, resolves
// to `./x.ts` when no such .js exists. Loaded with `node --import`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const fromTs = context.parentURL?.endsWith('.ts');
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !fromTs || !/^\.\.?\/.*\.js$/.test(specifier)) throw error;
      return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
    }
  },
});
