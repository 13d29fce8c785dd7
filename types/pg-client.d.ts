// pg's Client alone, without the package index (which also loads pg-pool and the native binding's
// loader): the functions use one connection each, never a pool, and every KB of bundle is cold start.
declare module 'pg/lib/client' {
  import { Client } from 'pg';
  export = Client;
}
