import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a refused upload's client gets to read the answer while what it still sends is thrown away. */
export const LINGER_MS = 2000;

/**
 * After refusing an upload before its end (413, 400, 429 …): once the answer is
 * written, Node closes the socket with the client's bytes still arriving, and
 * the kernel answers those with a reset that can destroy the answer before the
 * client reads it. Like nginx's lingering close, half-close instead and keep
 * reading (and dropping) what comes for a moment, then close.
 */
export function lingerAfterAnswer(request: IncomingMessage, ms = LINGER_MS): void {
  const socket = request.socket as Socket | null;
  if (socket === null || socket.destroyed) return;
  socket.destroySoon = function lingeringClose(this: Socket): void {
    if (this.writable) this.end();
    const close = () => this.destroy();
    const timer = setTimeout(close, ms).unref();
    this.once('close', () => clearTimeout(timer));
    // The client finished sending (FIN): nothing more to drop.
    this.once('end', close);
    request.resume();
    this.resume();
  };
}
