/**
 * How the service's last parse of a new version went ('incremental' or
 * 'full'), read by the benchmark through its bundle. A function, so that the
 * bundle hands out the current value and not a copy taken when it loaded.
 */
import { lastReparse } from '../server/src/xml/incremental';

export function reparseOutcome(): string {
  return lastReparse;
}
