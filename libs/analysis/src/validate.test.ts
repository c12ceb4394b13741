import { describe, expect, it } from 'vitest';
import { compileWatUnchecked, compileWatWithFeatures } from '../../../testing/analysis-fixtures.js';
import { parseCompileError, validateModule } from './validate.js';

describe('validateModule', () => {
  it('accepts a valid module', async () => {
    expect(validateModule(await compileWatWithFeatures('(module (func (export "f") (result i32) (i32.const 1)))'))).toBeNull();
  });

  it("returns V8's reason and offset for a module that decodes but does not type-check", async () => {
    const bytes = await compileWatUnchecked('(module (func (result i32)))');
    expect(validateModule(bytes)).toEqual({
      message: 'Compiling function #0 failed: expected 1 elements on the stack for fallthru, found 0 @+24',
      offset: 24,
    });
  });

  it('gives no offset when V8 gives none', () => {
    expect(parseCompileError(new Error('WebAssembly.Module(): out of memory'))).toEqual({ message: 'out of memory', offset: null });
  });
});
