import { it } from 'vitest';
import { main } from '../src/cli/main.js';
it('cli', async () => {
  let out = '', err = '';
  const io = { stdout: (t: string) => { out += t; }, stderr: (t: string) => { err += t; }, isTTY: false };
  const t = Date.now();
  const code = await main(process.env.ARGS!.split(' '), io);
  console.log(out, err, 'exit', code, Date.now() - t, 'ms');
}, 120000);
