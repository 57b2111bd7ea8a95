export * from './render.js';
export * from './vars.js';
