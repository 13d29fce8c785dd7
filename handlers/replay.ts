// Placeholder until issue 5: replays nothing and says so.
export interface ReplayReport {
  messages: number;
  replayed: number;
  expired: number;
  failed: number;
  records: number;
  note: string;
}

export const handler = async (): Promise<ReplayReport> => ({
  messages: 0,
  replayed: 0,
  expired: 0,
  failed: 0,
  records: 0,
  note: 'replay is not implemented yet',
});
