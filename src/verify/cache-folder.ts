import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * RULES2ACTIONS_CACHE (an absolute folder, or `off`), else `$XDG_CACHE_HOME/rules2actions` (when absolute, as
 * the XDG spec requires), else `~/.cache/rules2actions`; false for none. Kept apart from child-caches.ts so
 * the CLI can check the setting without loading the verifier.
 */
export function defaultCacheFolder(env: NodeJS.ProcessEnv = process.env): string | false {
  const chosen = env.RULES2ACTIONS_CACHE;
  if (chosen !== undefined && chosen !== '') return chosen !== 'off' && isAbsolute(chosen) ? chosen : false;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'rules2actions');
  try {
    const home = homedir();
    return home ? join(home, '.cache', 'rules2actions') : false;
  } catch {
    return false;
  }
}

/** What to tell the user when RULES2ACTIONS_CACHE names no usable folder (a relative one depends on where the command runs). */
export function cacheSettingWarning(env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = env.RULES2ACTIONS_CACHE;
  if (chosen === undefined || chosen === '' || chosen === 'off' || isAbsolute(chosen)) return null;
  return `RULES2ACTIONS_CACHE=${JSON.stringify(chosen)} is not an absolute folder: verify runs without its start-up caches (give an absolute folder, or off).`;
}
