import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { describeComponent, worldItems } from './component.js';

/**
 * A component that lowers wasi:cli/environment@0.2.0 get-environment into a
 * core module (memory and realloc from a helper module) and exports an
 * interface instance and a function.
 */
const ENV_COMPONENT_WAT = `(component
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))
  ))
  (core module $mem
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      (local.set $at (global.get $heap))
      (global.set $heap (i32.add (local.get $at) (i32.add (local.get 3) (i32.const 8))))
      (local.get $at))
  )
  (core instance $mem (instantiate $mem))
  (alias core export $mem "memory" (core memory $memory))
  (alias core export $mem "realloc" (core func $realloc))
  (alias export $env "get-environment" (func $get-env))
  (core func $get-env-lowered (canon lower (func $get-env) (memory $memory) (realloc $realloc)))
  (core module $plugin
    (import "env" "get-environment" (func $get-env (param i32)))
    (import "env" "memory" (memory 1))
    (func (export "env-count") (result i32)
      (call $get-env (i32.const 16))
      (i32.load (i32.const 20)))
    (func (export "answer") (result i32) (i32.const 42))
  )
  (core instance $plugin (instantiate $plugin
    (with "env" (instance
      (export "get-environment" (func $get-env-lowered))
      (export "memory" (memory $memory))))))
  (func $env-count (result u32) (canon lift (core func $plugin "env-count")))
  (func $answer (result u32) (canon lift (core func $plugin "answer")))
  (instance $stats (export "env-count" (func $env-count)))
  (export "registry:fixtures/stats@0.1.0" (instance $stats))
  (export "answer" (func $answer))
)`;

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

describe('describeComponent', () => {
  it('reports the WIT world, imports and exports of a component compiled from WAT', async () => {
    const bytes = await parse(ENV_COMPONENT_WAT);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(HEADER);

    const { info, error } = await describeComponent(bytes);

    expect(error).toBeNull();
    expect(info).not.toBeNull();
    expect(info!.wit).toBe(
      [
        'package root:component;',
        '',
        'world root {',
        '  import wasi:cli/environment@0.2.0;',
        '',
        '  export registry:fixtures/stats@0.1.0;',
        '  export answer: func() -> u32;',
        '}',
        '',
      ].join('\n'),
    );
    expect(info!.imports).toEqual(['wasi:cli/environment@0.2.0']);
    expect(info!.exports).toEqual(['registry:fixtures/stats@0.1.0', 'answer']);
  });

  it('names inline interfaces and functions of a world embedded into a hand-written core module', async () => {
    const witSource = `package registry:demo@1.0.0;

interface greeter {
  record limits { low: u32, high: u32 }
  clamp: func(value: u32) -> u32;
}

world plugin {
  import host: interface {
    record window { start: u32, end: u32 }
    current-window: func() -> window;
  }
  import now: func() -> u64;
  export greeter;
  export run: func();
}
`;
    // The canonical ABI names wit-component expects for that world.
    const core = await parse(`(module
      (import "host" "current-window" (func $window (param i32)))
      (import "$root" "now" (func $now (result i64)))
      (memory (export "memory") 1)
      (func (export "registry:demo/greeter@1.0.0#clamp") (param i32) (result i32)
        (call $window (i32.const 8))
        (select (i32.load (i32.const 12)) (local.get 0)
          (i32.gt_u (local.get 0) (i32.load (i32.const 12)))))
      (func (export "run") (drop (call $now))))`);
    const embedded = await componentEmbed({ binary: core, witSource, world: 'plugin' });
    const component = await componentNew(embedded);

    const { info, error } = await describeComponent(component);

    expect(error).toBeNull();
    expect(info!.imports).toEqual(['host', 'now']);
    expect(info!.exports).toEqual(['run', 'registry:demo/greeter@1.0.0']);
    expect(info!.wit).toBe(
      [
        'package root:component;',
        '',
        'world root {',
        '  import host: interface {',
        '    record window {',
        '      start: u32,',
        '      end: u32,',
        '    }',
        '',
        '    current-window: func() -> window;',
        '  }',
        '  import now: func() -> u64;',
        '',
        '  export run: func();',
        '  export registry:demo/greeter@1.0.0;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('fails with wasm-tools message and offset on a component header followed by garbage', async () => {
    const bytes = new Uint8Array([...HEADER, 0xff, 0xff, 0xff, 0x13, 0x37]);

    const { info, error } = await describeComponent(bytes);

    expect(info).toBeNull();
    expect(error).toEqual({
      message: 'Failed to decode wit component: malformed section id (at offset 0x8)',
      offset: 8,
    });
  });

  it('fails with the offset where a truncated component ends', async () => {
    const bytes = new Uint8Array([...HEADER, ...new TextEncoder().encode('not a component')]);

    const { info, error } = await describeComponent(bytes);

    expect(info).toBeNull();
    expect(error).toEqual({
      message: 'Failed to decode wit component: unexpected end-of-file (at offset 0xa)',
      offset: 10,
    });
  });

  it('fails on an unknown component binary version', async () => {
    const { info, error } = await describeComponent(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0e, 0x00, 0x01, 0x00]));

    expect(info).toBeNull();
    expect(error!.offset).toBe(4);
    expect(error!.message).toMatch(/^Failed to decode wit component: unknown binary version.*0x1000e \(at offset 0x4\)$/);
  });

  it('refuses a core module instead of reporting the empty world wasm-tools prints for it', async () => {
    const core = await parse('(module (func (export "f")))');

    const { info, error } = await describeComponent(core);

    expect(info).toBeNull();
    expect(error).toEqual({ message: 'not a component: the header declares a core module (layer 0)', offset: 6 });
  });

  it('reports an invalid function body in a nested core module, at its offset in the component', async () => {
    // wasm-tools decodes the world without validating function bodies; V8 validates each core module.
    const bytes = await parse(`(component
      (core module $fine (func (export "f") (result i32) (i32.const 1)))
      (component $inner
        (core module $broken (func (result i32))))
    )`);

    const coreHeader = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const fine = Buffer.from(bytes).indexOf(coreHeader);
    const broken = Buffer.from(bytes).indexOf(coreHeader, fine + 1);
    expect([fine, broken]).toEqual([10, 70]);

    const { info, error } = await describeComponent(bytes);

    expect(info).toEqual({ wit: 'package root:component;\n\nworld root {\n}\n', imports: [], exports: [] });
    expect(error).toEqual({
      message:
        'core module "broken" at offset 70 is invalid: Compiling function #0 failed: ' +
        'expected 1 elements on the stack for fallthru, found 0 @+24',
      offset: 70 + 24,
    });
  });

  it('decodes the same component again quickly once wasm-tools is loaded', async () => {
    const bytes = await parse(ENV_COMPONENT_WAT);
    await describeComponent(bytes);
    const started = performance.now();
    const { error } = await describeComponent(bytes);
    expect(error).toBeNull();
    // Generous: a warm call takes well under a millisecond on an idle machine.
    expect(performance.now() - started).toBeLessThan(250);
  });
});

describe('worldItems', () => {
  it('reads items of the first top-level world, skipping comments, gates, uses and types', () => {
    const wit = `package a:b;

package wasi:other@1.0.0 {
  world ignored { import x:y/z; }
}

/// docs
world main {
  // a comment: import not:this/one;
  use wasi:io/streams@0.2.0.{input-stream};
  type id = u64;
  @since(version = 0.2.0)
  import wasi:cli/environment@0.2.0;
  import %use: func(s: borrow<input-stream>) -> result<_, string>;
  record r { a: u8 }
  export handler: interface {
    handle: func() -> option<r>;
  }
  @unstable(feature = f)
  export wasi:http/incoming-handler@0.2.0;
}

world second { import only:in/second; }
`;
    expect(worldItems(wit)).toEqual({
      imports: ['wasi:cli/environment@0.2.0', 'use'],
      exports: ['handler', 'wasi:http/incoming-handler@0.2.0'],
    });
  });

  it('returns empty lists when there is no world', () => {
    expect(worldItems('package a:b;\ninterface i { f: func(); }\n')).toEqual({ imports: [], exports: [] });
  });
});
