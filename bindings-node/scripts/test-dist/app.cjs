// CommonJS consumer of the installed package (make test-dist-node, against the mock).
const { TokenClient } = require('officernd-auth')

TokenClient.fromEnv()
  .authorizationHeader()
  .then((header) => {
    if (!header.startsWith('Bearer ')) throw new Error('no Bearer header')
    console.log('CommonJS: token fetched through the installed platform package')
  })
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
