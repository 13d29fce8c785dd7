// kinesalite ships no types; this is the part of its API the local stack uses.
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  interface KinesaliteOptions {
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
    path?: string;
    ssl?: boolean;
  }
  function kinesalite(options?: KinesaliteOptions): Server;
  export default kinesalite;
}
