#!/usr/bin/env node
// Runs the TypeScript CLI through tsx in this very process (no build step for local use). In-process
// matters: a wrapper child would let Ctrl-C reach the CLI twice and turn a drain into a kill.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/entry.ts');
