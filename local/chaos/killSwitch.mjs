/**
 * The chaos harness's kill switch, preloaded into a function process with `node --import` (NODE_OPTIONS):
 * a test seam that no deployment has. When the process writes a log event named in HOSTPAY_CHAOS_KILL
 * (JSON: event_type -> probability), it may die right there by SIGKILL, at exactly that point of the
 * attempt: after a signature is stored (`payment_signed`), after a broadcast (`payment_submitted`), after
 * a confirmation is recorded and before its notice (`payment_confirmed`). While the file named by
 * HOSTPAY_CHAOS_CONTROL does not read `on`, it never kills.
 */
import { readFileSync } from 'node:fs';

const odds = JSON.parse(process.env.HOSTPAY_CHAOS_KILL ?? '{}');
const control = process.env.HOSTPAY_CHAOS_CONTROL;
const write = process.stdout.write.bind(process.stdout);

function armed() {
  try {
    return control !== undefined && readFileSync(control, 'utf8').trim() === 'on';
  } catch {
    return false;
  }
}

process.stdout.write = (chunk, ...rest) => {
  const written = write(chunk, ...rest);
  const text = String(chunk);
  const event = /"event_type":"([a-z_]+)"/.exec(text)?.[1];
  const chance = event === undefined ? undefined : odds[event];
  if (chance !== undefined && Math.random() < chance && armed()) {
    // stdout and stderr are pipes: writes to them are synchronous, so this line is out before the kill.
    process.stderr.write(`chaos-kill ${event}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  return written;
};
