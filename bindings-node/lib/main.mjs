// ESM entry point of `officernd-auth`: the same objects as the CommonJS one (lib/main.js), so
// `import` and `require` in one process share the native module and its token cache.
import cjs from './main.js'

export const { Token, TokenClient, ErrorCode, isOfficeRnDAuthError } = cjs
export default cjs
