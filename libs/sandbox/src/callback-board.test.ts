import { describe, expect, it } from 'vitest';
import { CALLBACK_BOARD_BYTES, CallbackBoard } from './callback-board.js';

describe('CallbackBoard', () => {
  it('tells a reader sharing the buffer which callback runs, where, and when it returned', () => {
    const buffer = new SharedArrayBuffer(CALLBACK_BOARD_BYTES);
    const writer = new CallbackBoard(buffer);
    const reader = new CallbackBoard(buffer);
    expect(reader.read()).toEqual({ sequence: 0, callback: null });
    writer.enter('proxy_on_request_headers', { section: 'requests', index: 2 });
    const entered = reader.read();
    expect(entered).toEqual({ sequence: 2, callback: 'proxy_on_request_headers', at: { section: 'requests', index: 2 } });
    writer.leave();
    writer.enter('proxy_on_tick', { section: 'ticks', index: 0 });
    expect(reader.read()).toEqual({ sequence: 6, callback: 'proxy_on_tick', at: { section: 'ticks', index: 0 } });
    writer.leave();
    expect(reader.read()).toEqual({ sequence: 8, callback: null });
  });
});
