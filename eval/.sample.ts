import {digitHeavyCorpus} from '../bench/redact/index.ts'; console.log(digitHeavyCorpus(3000).join('\n'))
