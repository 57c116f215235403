// Validates OpenAPI documents written by `tfmodel serve` (GET .../openapi.json):
//   node validate.mjs FILE...
// Each must pass swagger-parser's validate() (the OpenAPI 3.0 schema, $refs resolved),
// and every request example in it must match its request schema (ajv). Prints one line
// per file ("valid ..." or "INVALID ...: why"); exits 1 when any file is invalid.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';

// OpenAPI 3.0 schema objects are a JSON Schema dialect: its own keywords (nullable) and
// formats (float, int64, byte) are not checked here.
const ajv = new Ajv({strict: false, validateFormats: false, allErrors: true});

async function check(file) {
  const api = await SwaggerParser.validate(file);
  let examples = 0;
  for (const [path, item] of Object.entries(api.paths)) {
    const body = item.post && item.post.requestBody;
    if (!body) continue;
    const media = body.content['application/json'];
    const matches = ajv.compile(media.schema);
    for (const [name, example] of Object.entries(media.examples || {})) {
      if (!matches(example.value)) {
        throw new Error(`${path}: example ${name} does not match the request schema: ` +
                        ajv.errorsText(matches.errors));
      }
      examples++;
    }
  }
  return `${api.info.title}, ${Object.keys(api.paths).length} paths, ${examples} request ` +
         'examples matching their schemas';
}

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    console.log(`valid ${file}: ${await check(file)}`);
  } catch (e) {
    failed = true;
    console.log(`INVALID ${file}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
