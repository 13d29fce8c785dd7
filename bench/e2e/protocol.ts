/** Messages between the benchmark and its stack child (bench/e2e/stackChild.ts), over IPC. */
import type { LocalStackStatus } from '../../local/src/stack';

export interface StackChildInfo {
  apiUrl: string;
  apiKey: string;
  databaseUrl: string;
  streamName: string;
}

export type StackChildRequest = { type: 'status'; id: number };

export type StackChildReply =
  | { type: 'ready'; info: StackChildInfo }
  | { type: 'status'; id: number; status: LocalStackStatus; mappings: Record<string, Record<string, unknown>> }
  | { type: 'error'; id: number; message: string };
