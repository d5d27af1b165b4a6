import type { Transform } from './types.js';

/** Findings raised by the pipeline itself rather than by a transform. */
export const pipelineTransform: Pick<Transform, 'id' | 'messages'> = {
  id: 'pipeline',
  messages: {
    'parse-error': { severity: 'error', text: 'Syntax error: {{message}}' },
    'too-deep': {
      severity: 'error',
      text: 'The rule is nested too deeply to migrate safely (the parser ran out of stack); no Action was written. Split it into smaller functions and run again.',
    },
    'already-action': {
      severity: 'info',
      text: 'This file is already a post-login Action (it exports onExecutePostLogin); nothing to migrate.',
    },
    'not-a-rule': { severity: 'error', text: 'Not a Rule: {{reason}}. The file was left alone.' },
    'transform-crashed': {
      severity: 'error',
      text: 'The {{transform}} transform failed on this rule ({{error}}); no Action was written. Please report this rule.',
    },
    'print-failed': { severity: 'error', text: 'Could not print the Action ({{error}}); no Action was written.' },
    'token-lost': {
      severity: 'error',
      text: 'A keyword token (@@KEY@@ or ##KEY##) would not survive the migration unchanged; no Action was written.',
    },
    'invalid-output': {
      severity: 'error',
      text: 'The generated Action does not parse ({{error}}); no Action was written. Please report this rule.',
    },
  },
};
