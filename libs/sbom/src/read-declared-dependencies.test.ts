import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { parseDeclaredDependencyFiles, type DependencyFile } from './dependencies.js';
import { readDeclaredDependencies } from './sbom-builder.js';

/** Parses in this thread, as the worker would, and counts the calls. */
class InlineBuilder {
  calls = 0;
  async parseDependencies(files: DependencyFile[]) {
    this.calls += 1;
    return parseDeclaredDependencyFiles(files);
  }
}

describe('readDeclaredDependencies', () => {
  it('is null when the publisher sent no dependency file, without waking the SBOM worker', async () => {
    const builder = new InlineBuilder();
    expect(await readDeclaredDependencies([], 'body.dependencies', builder)).toBeNull();
    expect(builder.calls).toBe(0);
  });

  it('returns what the files declare', async () => {
    const files = [{ filename: 'purls.txt', content: 'pkg:npm/left-pad@1.3.0' }];
    const declared = await readDeclaredDependencies(files, 'body.dependencies', new InlineBuilder());
    expect(declared).toEqual((parseDeclaredDependencyFiles(files) as { value: unknown }).value);
  });

  it('refuses a lockfile that does not parse with a 400 naming the field, the file and the line', async () => {
    const refused = await readDeclaredDependencies([{ filename: 'Cargo.lock', content: '[[package]]\nname = ' }], 'body.dependencies', new InlineBuilder()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryError);
    expect((refused as RegistryError).status).toBe(400);
    const problems = JSON.stringify((refused as RegistryError).extensions);
    expect(problems).toContain('body.dependencies');
    expect(problems).toContain('Cargo.lock line');
  });
});
