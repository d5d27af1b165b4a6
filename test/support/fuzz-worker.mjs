// Runs migrate() from the build in a worker thread so that the fuzz test can stop a case that hangs.
// The output is parsed here too: deep inputs need the same stack as the migration.
import { parentPort } from 'node:worker_threads';
import * as babel from '@babel/parser';
import { migrate } from '../../dist/src/migrate.js';

const TOKEN = /@@[A-Za-z0-9_]+@@|##[A-Za-z0-9_]+##/g;

function parseProblem(code) {
  try {
    // Tokens are replaced by a0deploy before deploy; as written they are not JavaScript.
    // Node strips a byte order mark before compiling; Babel would not read a hashbang after it.
    const ast = babel.parse(code.replace(/^\uFEFF/, '').replace(TOKEN, (t) => '_'.repeat(t.length)), { sourceType: 'script' });
    const handler = ast.program.body.some(
      (s) => s.type === 'ExpressionStatement' && s.expression.type === 'AssignmentExpression' &&
        s.expression.left.type === 'MemberExpression' && s.expression.left.object.name === 'exports' &&
        s.expression.left.property.name === 'onExecutePostLogin',
    );
    return handler ? null : 'no top-level exports.onExecutePostLogin = … statement';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

parentPort.on('message', ({ id, source, options }) => {
  try {
    const { status, code, findings } = migrate(source, options);
    parentPort.postMessage({ id, result: { status, code, findings, parseProblem: status === 'ok' ? parseProblem(code) : null } });
  } catch (error) {
    parentPort.postMessage({ id, thrown: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  }
});
