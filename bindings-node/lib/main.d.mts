// Types of the ESM entry point (lib/main.mjs): the same as the CommonJS one.
export * from './main.js'
import * as cjs from './main.js'
export default cjs
