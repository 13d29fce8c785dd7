/** The machine a run measured, for the table's footnote and the JSON. */
import os from 'node:os';

export interface MachineInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started: other work on a shared machine. */
  loadAverage: number[];
}

/**
 * @example
 * const machine = describeMachine();
 */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverage: os.loadavg().map((n) => +n.toFixed(2)),
  };
}

/**
 * One line for under the table.
 *
 * @example
 * machineLine(describeMachine()); // '2 x Intel(R) Xeon(R) ..., 23.5 GiB, Linux 6.1 x64, Node v20.20.2; load average at start 1.2 / 0.9 / 0.7'
 */
export function machineLine(machine: MachineInfo): string {
  return `${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}; load average at start ${machine.loadAverage.join(' / ')}`;
}
